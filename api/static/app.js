/* orderplan planning page: start a solve, follow it live, show its plan.
 *
 * Every request carries the API key in the X-API-Key header, the event stream
 * included: it is read with fetch() and a stream reader, because EventSource
 * cannot send headers.
 */
(function () {
  "use strict";

  const KEY_STORE = "orderplan.apiKey";
  const TERMINAL = new Set(["completed", "infeasible", "failed", "cancelled"]);
  const RED = "#dc2626";
  // Tier colours, strongest first (tiers are ordered by their policy weight); red is
  // kept for late operations.
  const TIER_COLOURS = ["#6d28d9", "#2563eb", "#0f9f8f", "#ca8a04", "#64748b", "#db2777"];

  const $ = (id) => document.getElementById(id);
  const el = {
    message: $("message"),
    form: $("solve-form"),
    key: $("api-key"),
    keyShow: $("key-show"),
    keySave: $("key-save"),
    keyState: $("key-state"),
    sourceExample: $("source-example"),
    sourceFile: $("source-file"),
    select: $("scenario-select"),
    file: $("scenario-file"),
    fileState: $("file-state"),
    timeLimit: $("time-limit"),
    start: $("start"),
    cancel: $("cancel"),
    csv: $("download-csv"),
    status: $("st-status"),
    scenario: $("st-scenario"),
    elapsed: $("st-elapsed"),
    objective: $("st-objective"),
    bound: $("st-bound"),
    gap: $("st-gap"),
    plans: $("st-plans"),
    incumbent: $("incumbent"),
    planState: $("plan-state"),
    terms: $("objective"),
    notes: $("plan-notes"),
    legend: $("legend"),
    gantt: $("gantt"),
    orders: $("orders"),
  };

  const state = {
    key: "",
    upload: null, // {name, text} of a chosen file
    job: null, // the latest GET /v1/solves/{id}
    jobId: null,
    scenario: null, // the job's scenario content, for row order, tiers and horizon
    progress: [], // [{elapsed, objective, bound}]
    plan: null,
    view: "machine",
    stream: null, // AbortController of the event stream
    refresh: { running: false, again: false },
    ticker: null,
    charts: { gantt: null, incumbent: null },
    ganttShape: "", // view and rows the chart was built for; zoom is kept while it holds
    drawnProgress: -1, // progress points in the incumbent chart
    shownError: null, // the job whose error was shown
  };

  // ---------------------------------------------------------------- helpers

  class ApiError extends Error {
    constructor(status, detail, problems) {
      super(detail);
      this.status = status;
      this.problems = problems || [];
    }
  }

  async function api(path, options = {}) {
    const headers = { "X-API-Key": state.key, Accept: "application/json" };
    const init = { method: options.method || "GET", headers, signal: options.signal };
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    }
    const response = await fetch(path, init);
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      let problems = [];
      try {
        const body = await response.json();
        detail = typeof body.detail === "string" ? body.detail : detail;
        problems = Array.isArray(body.problems) ? body.problems : [];
      } catch (_) {
        /* not JSON: keep the status line */
      }
      throw new ApiError(response.status, explain(response.status, detail), problems);
    }
    return options.raw ? response : response.json();
  }

  function explain(status, detail) {
    if (status === 401) return `The API key was not accepted (${detail}).`;
    if (status === 403) return `This key's role may not do that (${detail}).`;
    return detail;
  }

  function showMessage(text, problems, kind) {
    el.message.replaceChildren();
    el.message.className = `message ${kind || "error"}`;
    const p = document.createElement("p");
    p.textContent = text;
    el.message.append(p);
    if (problems && problems.length) {
      const list = document.createElement("ul");
      for (const problem of problems.slice(0, 20)) {
        const item = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = problem.path || "(scenario)";
        item.append(code, `: ${problem.message}`);
        list.append(item);
      }
      if (problems.length > 20) list.append(`… and ${problems.length - 20} more`);
      el.message.append(list);
    }
    el.message.hidden = false;
  }

  function clearMessage() {
    el.message.hidden = true;
    el.message.replaceChildren();
  }

  function fail(error) {
    if (error && error.name === "AbortError") return;
    showMessage(error instanceof ApiError ? error.message : String(error), error.problems);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function number(value, digits = 2) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    return Number(value).toLocaleString("en", { maximumFractionDigits: digits });
  }

  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  /* An instant as the plan gives it, in the scenario's own UTC offset: "Mon 02 Mar 07:00". */
  function formatInstant(iso) {
    if (!iso) return "–";
    const wall = new Date(`${iso.slice(0, 19)}Z`);
    if (Number.isNaN(wall.getTime())) return iso;
    const day = String(wall.getUTCDate()).padStart(2, "0");
    return `${WEEKDAYS[wall.getUTCDay()]} ${day} ${MONTHS[wall.getUTCMonth()]} ${iso.slice(11, 16)}`;
  }

  function offsetMs(iso) {
    const match = /([+-])(\d\d):?(\d\d)$/.exec(iso || "");
    if (!match) return 0;
    const minutes = Number(match[2]) * 60 + Number(match[3]);
    return (match[1] === "-" ? -1 : 1) * minutes * 60000;
  }

  /* A time-axis label; axis values are wall-clock instants written as UTC. */
  function axisTime(value) {
    const at = new Date(value);
    const clock = at.toISOString().slice(11, 16);
    if (clock !== "00:00") return clock;
    const day = String(at.getUTCDate()).padStart(2, "0");
    return `{day|${WEEKDAYS[at.getUTCDay()]} ${day} ${MONTHS[at.getUTCMonth()]}}`;
  }

  function minutesBetween(a, b) {
    return Math.round((Date.parse(b) - Date.parse(a)) / 60000);
  }

  // ---------------------------------------------------------------- key and scenarios

  function useKey() {
    state.key = el.key.value.trim();
    if (state.key) localStorage.setItem(KEY_STORE, state.key);
    else localStorage.removeItem(KEY_STORE);
    clearMessage();
    loadScenarios();
  }

  async function loadScenarios() {
    el.select.disabled = true;
    if (!state.key) {
      el.keyState.textContent = "";
      setOptions([["", "enter a key first"]]);
      return;
    }
    el.keyState.textContent = "Checking the key…";
    try {
      const list = await api("/v1/scenarios");
      el.keyState.textContent = "Key accepted.";
      const examples = list.items.filter((s) => s.origin === "example");
      const uploads = list.items.filter((s) => s.origin !== "example");
      const previous = el.select.value;
      el.select.replaceChildren();
      for (const [label, items] of [["Examples", examples], ["Uploaded", uploads]]) {
        if (!items.length) continue;
        const group = document.createElement("optgroup");
        group.label = label;
        for (const s of items) {
          const option = new Option(`${s.name} · ${s.orders} orders`, s.id);
          option.title = s.id;
          group.append(option);
        }
        el.select.append(group);
      }
      if (!list.items.length) setOptions([["", "no stored scenarios: upload one"]]);
      if (previous && list.items.some((s) => s.id === previous)) el.select.value = previous;
      el.select.disabled = !list.items.length;
    } catch (error) {
      el.keyState.textContent = "";
      setOptions([["", "enter a valid key"]]);
      fail(error);
    }
  }

  function setOptions(pairs) {
    el.select.replaceChildren(...pairs.map(([value, label]) => new Option(label, value)));
  }

  async function chooseFile() {
    const file = el.file.files && el.file.files[0];
    state.upload = null;
    el.fileState.textContent = "";
    if (!file) return;
    el.sourceFile.checked = true;
    clearMessage();
    const text = await file.text();
    state.upload = { name: file.name, text };
    if (!state.key) {
      el.fileState.textContent = `${file.name}: enter a key to check it.`;
      return;
    }
    el.fileState.textContent = `Checking ${file.name}…`;
    try {
      const report = await api("/v1/scenarios/validate", { method: "POST", json: { scenario_text: text } });
      if (report.valid) {
        el.fileState.textContent = `${file.name}: valid, “${report.name}”, ${report.orders} orders.`;
      } else {
        el.fileState.textContent = `${file.name}: not a valid scenario.`;
        showMessage(`${file.name} is not a valid scenario:`, report.problems);
      }
    } catch (error) {
      el.fileState.textContent = "";
      fail(error);
    }
  }

  // ---------------------------------------------------------------- solving

  async function startSolve(event) {
    event.preventDefault();
    clearMessage();
    if (!state.key) {
      showMessage("Enter an API key first.");
      el.key.focus();
      return;
    }
    const timeLimit = Number(el.timeLimit.value);
    if (!(timeLimit > 0)) {
      showMessage("The time limit must be a positive number of seconds.");
      el.timeLimit.focus();
      return;
    }
    const body = { time_limit: timeLimit };
    if (el.sourceFile.checked) {
      if (!state.upload) {
        showMessage("Choose a scenario file first.");
        el.file.focus();
        return;
      }
      body.scenario_text = state.upload.text;
    } else {
      if (!el.select.value) {
        showMessage("Pick a stored scenario first.");
        el.select.focus();
        return;
      }
      body.scenario_id = el.select.value;
    }
    el.start.disabled = true;
    try {
      const job = await api("/v1/solves", { method: "POST", json: body });
      history.replaceState(null, "", `#solve=${encodeURIComponent(job.id)}`);
      await follow(job.id);
      if (body.scenario_text) loadScenarios(); // the upload is stored now
    } catch (error) {
      fail(error);
    } finally {
      el.start.disabled = false;
    }
  }

  async function cancelSolve() {
    if (!state.jobId) return;
    el.cancel.disabled = true;
    try {
      await api(`/v1/solves/${encodeURIComponent(state.jobId)}`, { method: "DELETE" });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) fail(error); // 409: it ended
    }
    refreshSoon();
  }

  async function downloadCsv() {
    if (!state.jobId) return;
    try {
      const response = await api(`/v1/solves/${encodeURIComponent(state.jobId)}/plan.csv`, { raw: true });
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = `plan-${state.jobId}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      fail(error);
    }
  }

  /* Show a solve from the start: its state, its events as they come, its plan. */
  async function follow(jobId) {
    if (state.stream) state.stream.abort();
    state.jobId = jobId;
    state.job = null;
    state.plan = null;
    state.scenario = null;
    state.progress = [];
    state.ganttShape = "";
    renderProgress();
    renderPlan();
    const job = await api(`/v1/solves/${encodeURIComponent(jobId)}`);
    if (state.jobId !== jobId) return;
    applyJob(job);
    api(`/v1/scenarios/${encodeURIComponent(job.scenario_id)}`)
      .then((scenario) => {
        if (state.jobId !== jobId) return;
        state.scenario = scenario.content;
        renderPlan();
      })
      .catch(() => {
        /* rows and tiers then come from the plan alone */
      });
    const controller = new AbortController();
    state.stream = controller;
    readEvents(jobId, controller.signal).catch(fail);
  }

  /* Read the job's server-sent events with the key in a header; resume after drops. */
  async function readEvents(jobId, signal) {
    let last = 0;
    let failures = 0;
    while (!signal.aborted) {
      let ended = false;
      try {
        const response = await api(`/v1/solves/${encodeURIComponent(jobId)}/events?after=${last}`, {
          raw: true,
          signal,
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = parseEvent(block);
            if (!event) continue;
            if (event.id !== null) last = event.id;
            failures = 0;
            onEvent(event.name, event.data);
            if (event.name === "end") ended = true;
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status < 500) throw error;
        failures += 1;
      }
      if (ended || signal.aborted) return;
      // The stream closed early (a server restart, a proxy): the job may have ended meanwhile.
      await refreshJob();
      if (state.job && TERMINAL.has(state.job.status)) return;
      if (failures > 20) throw new Error("Lost the event stream of the solve; reload the page to follow it.");
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** failures, 5000)));
    }
  }

  function parseEvent(block) {
    let name = "message";
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // comments are keep-alives
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
      else if (field === "id" && /^\d+$/.test(value)) id = Number(value);
    }
    if (!data.length) return null;
    let payload;
    try {
      payload = JSON.parse(data.join("\n"));
    } catch (_) {
      return null;
    }
    return { name, id, data: payload.data || {} };
  }

  function onEvent(name, data) {
    if (name === "progress") {
      state.progress.push({ elapsed: data.elapsed, objective: data.objective, bound: data.bound });
      if (state.job) {
        state.job.objective = data.objective;
        state.job.bound = data.bound;
        state.job.gap = data.gap;
      }
    } else if (name === "started" && state.job) {
      state.job.status = "solving";
    } else if (name === "end" && state.job) {
      state.job.status = data.status;
    }
    renderProgress();
    refreshSoon();
  }

  /* Fetch the job (and its best plan) again; calls while one runs are folded into one. */
  function refreshSoon() {
    if (state.refresh.running) {
      state.refresh.again = true;
      return;
    }
    state.refresh.running = true;
    refreshJob()
      .catch(fail)
      .finally(() => {
        state.refresh.running = false;
        if (state.refresh.again) {
          state.refresh.again = false;
          setTimeout(refreshSoon, 250);
        }
      });
  }

  async function refreshJob() {
    const jobId = state.jobId;
    if (!jobId) return;
    const job = await api(`/v1/solves/${encodeURIComponent(jobId)}`);
    if (state.jobId === jobId) applyJob(job);
  }

  function applyJob(job) {
    state.job = job;
    if (job.plan) state.plan = job.plan;
    renderProgress();
    renderPlan();
  }

  // ---------------------------------------------------------------- progress

  function elapsedSeconds(job) {
    if (!job || !job.started_at) return null;
    const start = Date.parse(job.started_at);
    const end = job.finished_at ? Date.parse(job.finished_at) : Date.now();
    return Math.max(0, (end - start) / 1000);
  }

  function renderProgress() {
    const job = state.job;
    const status = job ? job.status : state.jobId ? "starting" : "idle";
    el.status.dataset.status = status;
    el.status.textContent =
      status === "queued" && job.queue_position ? `queued (position ${job.queue_position})` : status;
    el.scenario.textContent = job ? job.scenario_name : "–";
    const seconds = elapsedSeconds(job);
    el.elapsed.textContent =
      seconds === null ? "–" : `${number(seconds, 1)} s (limit ${number(job.time_limit, 0)} s)`;
    el.objective.textContent = job ? number(job.objective) : "–";
    el.bound.textContent = job ? number(job.bound) : "–";
    el.gap.textContent = job && job.gap !== null && job.gap !== undefined ? `${number(job.gap * 100, 1)} %` : "–";
    el.plans.textContent = state.jobId ? String(state.progress.length) : "–";
    const running = Boolean(job) && !TERMINAL.has(job.status);
    el.cancel.disabled = !running;
    el.csv.disabled = !state.plan;
    if (running && !state.ticker) {
      state.ticker = setInterval(renderProgress, 500);
    } else if (!running && state.ticker) {
      clearInterval(state.ticker);
      state.ticker = null;
    }
    if (job && job.error && state.shownError !== job.id) {
      state.shownError = job.id;
      showMessage(`The solve failed: ${job.error}`);
    }
    if (state.drawnProgress !== state.progress.length) {
      state.drawnProgress = state.progress.length;
      renderIncumbent();
    }
  }

  function renderIncumbent() {
    if (!window.echarts) return;
    if (!state.charts.incumbent) {
      state.charts.incumbent = echarts.init(el.incumbent);
    }
    const points = state.progress.filter((p) => p.objective !== null && p.objective !== undefined);
    const bounds = state.progress.filter((p) => p.bound !== null && p.bound !== undefined);
    state.charts.incumbent.setOption({
      animation: false,
      grid: { left: 56, right: 16, top: 28, bottom: 36 },
      legend: { top: 0, right: 8, itemWidth: 14, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis", valueFormatter: (v) => number(v) },
      xAxis: {
        type: "value",
        name: "s",
        nameGap: 6,
        min: 0,
        max: (extent) => Math.max(extent.max, state.job ? state.job.time_limit : 1),
        axisLabel: { fontSize: 11 },
      },
      yAxis: { type: "value", scale: true, axisLabel: { fontSize: 11 } },
      series: [
        {
          name: "best plan",
          type: "line",
          step: "end",
          symbolSize: 6,
          color: "#2563eb",
          data: points.map((p) => [p.elapsed, p.objective]),
        },
        {
          name: "bound",
          type: "line",
          step: "end",
          symbol: "none",
          color: "#94a3b8",
          lineStyle: { type: "dashed" },
          data: bounds.map((p) => [p.elapsed, p.bound]),
        },
      ],
    });
  }

  // ---------------------------------------------------------------- plan

  function tiers(plan) {
    const weights = (state.scenario && state.scenario.policy && state.scenario.policy.tier_weights) || {};
    const names = Object.keys(weights).sort((a, b) => weights[b] - weights[a]);
    for (const order of plan ? plan.orders : []) {
      if (order.tier && !names.includes(order.tier)) names.push(order.tier);
    }
    return new Map(names.map((name, i) => [name, TIER_COLOURS[i % TIER_COLOURS.length]]));
  }

  function renderPlan() {
    const plan = state.plan;
    const job = state.job;
    if (!plan) {
      el.planState.textContent = state.jobId ? "(waiting for a first plan)" : "";
    } else if (job && !TERMINAL.has(job.status)) {
      el.planState.textContent = "(best so far)";
    } else {
      el.planState.textContent = `(${plan.status})`;
    }
    renderTerms(plan);
    renderOrders(plan);
    renderGantt(plan);
  }

  function renderTerms(plan) {
    const body = el.terms.tBodies[0];
    const row = document.createElement("tr");
    if (!plan) {
      const cell = row.insertCell();
      cell.colSpan = 6;
      cell.className = "empty";
      cell.textContent = "no plan yet";
    } else {
      for (const term of ["total", "tardiness", "rejection", "makespan", "changeover", "stability"]) {
        const cell = row.insertCell();
        cell.dataset.term = term;
        cell.textContent = number(plan.objective[term]);
      }
    }
    body.replaceChildren(row);
    const notes = [];
    if (plan) {
      const bound = plan.bound === null || plan.bound === undefined ? "" : `, bound ${number(plan.bound)}`;
      notes.push(`Plan status ${plan.status}${plan.method ? ` (${plan.method})` : ""}${bound}.`);
      for (const reason of plan.reasons || []) notes.push(reason);
      for (const warning of plan.warnings || []) notes.push(`Warning: ${warning}`);
    }
    el.notes.replaceChildren(
      ...notes.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
  }

  function renderOrders(plan) {
    const body = el.orders.tBodies[0];
    if (!plan) {
      const row = document.createElement("tr");
      const cell = row.insertCell();
      cell.colSpan = 8;
      cell.className = "empty";
      cell.textContent = "no plan yet";
      body.replaceChildren(row);
      return;
    }
    const colours = tiers(plan);
    const orders = [...plan.orders].sort((a, b) => {
      if (a.accepted !== b.accepted) return a.accepted ? -1 : 1;
      const pa = a.priority ?? Infinity;
      const pb = b.priority ?? Infinity;
      return pa - pb || a.id.localeCompare(b.id);
    });
    const rows = orders.map((order) => {
      const row = document.createElement("tr");
      row.dataset.order = order.id;
      const late = (order.tardiness_minutes || 0) > 0;
      if (late) row.classList.add("late");
      if (!order.accepted) row.classList.add("rejected");
      const sources = [...new Set((order.lines || []).map((line) => line.source))].join(" + ");
      const cells = [
        order.priority ?? "–",
        order.id,
        order.customer || "–",
        null, // tier, with its colour
        formatInstant(order.due),
        order.accepted ? formatInstant(order.completion) : "rejected",
        order.accepted ? (order.tardiness_minutes ?? "–") : "–",
        order.accepted ? sources || "–" : "–",
      ];
      cells.forEach((value, i) => {
        const cell = i === 1 ? document.createElement("th") : row.insertCell();
        if (i === 1) {
          cell.scope = "row";
          row.append(cell);
        }
        if (i === 3) {
          const swatch = document.createElement("span");
          swatch.className = "swatch";
          swatch.style.background = colours.get(order.tier) || "#cbd5e1";
          swatch.setAttribute("aria-hidden", "true");
          cell.append(swatch, order.tier || "–");
        } else {
          cell.textContent = String(value);
        }
        if (i === 0 || i === 6) cell.className = "num";
      });
      return row;
    });
    body.replaceChildren(...rows);
  }

  let hatch = null;
  function hatchPattern() {
    if (hatch) return hatch;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 8;
    const ctx = canvas.getContext("2d");
    ctx.strokeStyle = "rgba(220, 38, 38, 0.85)";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(-2, 10);
    ctx.lineTo(10, -2);
    ctx.moveTo(6, 10);
    ctx.lineTo(10, 6);
    ctx.moveTo(-2, 2);
    ctx.lineTo(2, -2);
    ctx.stroke();
    hatch = { image: canvas, repeat: "repeat" };
    return hatch;
  }

  /* One bar per operation (by machine) or per operation and person (by person). */
  function ganttBars(plan) {
    const orders = new Map(plan.orders.map((o) => [o.id, o]));
    const bars = [];
    for (const a of plan.assignments) {
      const order = orders.get(a.order) || { id: a.order };
      const late = Boolean(order.due) && Date.parse(a.end) > Date.parse(order.due);
      const rows = state.view === "machine" ? [a.machine] : a.staff;
      for (const row of rows) bars.push({ row, a, order, late });
    }
    return bars;
  }

  function ganttRows(plan, bars) {
    const scenario = state.scenario;
    const declared =
      scenario && (state.view === "machine" ? scenario.machines : scenario.staff || []).map((r) => r.id);
    const rows = declared ? [...declared] : [];
    for (const bar of bars) if (!rows.includes(bar.row)) rows.push(bar.row);
    return rows;
  }

  function renderLegend(colours, late) {
    const items = [...colours].map(([tier, colour]) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour;
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, `${tier} tier`);
      return item;
    });
    const lateItem = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch late";
    swatch.setAttribute("aria-hidden", "true");
    lateItem.append(swatch, `late (ends after the order's due time): ${late}`);
    items.push(lateItem);
    el.legend.replaceChildren(...items);
  }

  function renderGantt(plan) {
    if (!window.echarts) {
      showMessage("The chart library did not load (/static/vendor/echarts/echarts.min.js).");
      return;
    }
    if (!state.charts.gantt) state.charts.gantt = echarts.init(el.gantt);
    const chart = state.charts.gantt;
    if (!plan || !plan.assignments.length) {
      chart.clear();
      state.ganttShape = "";
      el.gantt.dataset.bars = "0";
      el.gantt.setAttribute(
        "aria-label",
        plan ? "The plan has no operations to schedule." : "No plan yet.",
      );
      el.legend.replaceChildren();
      if (plan) {
        chart.setOption({
          title: { text: "no operations to schedule", left: "center", top: "middle", textStyle: { color: "#64748b", fontSize: 14, fontWeight: "normal" } },
        });
      }
      return;
    }
    const colours = tiers(plan);
    const bars = ganttBars(plan);
    const rows = ganttRows(plan, bars);
    const index = new Map(rows.map((r, i) => [r, i]));
    const horizon = state.scenario && state.scenario.horizon;
    // Axis labels show the scenario's wall clock: every instant is shifted by one offset.
    const shift = offsetMs((horizon && horizon.start) || plan.assignments[0].start);
    const at = (iso) => Date.parse(iso) + shift;
    const starts = bars.map((b) => at(b.a.start));
    const ends = bars.map((b) => at(b.a.end));
    const first = Math.min(...starts);
    const last = Math.max(...ends);
    const pad = Math.max((last - first) * 0.02, 5 * 60000);
    const lateCount = new Set(bars.filter((b) => b.late).map((b) => b.a)).size;

    el.gantt.dataset.bars = String(bars.length);
    el.gantt.dataset.late = String(lateCount);
    const what = state.view === "machine" ? "machines" : "people";
    el.gantt.setAttribute(
      "aria-label",
      `Schedule by ${state.view === "machine" ? "machine" : "person"}: ${bars.length} bars on ${rows.length} ${what}, ${lateCount} late operations. The order table below lists the plan.`,
    );
    renderLegend(colours, lateCount);

    const data = bars.map((bar, i) => ({
      value: [index.get(bar.row), at(bar.a.start), at(bar.a.end), i, bar.late ? 1 : 0],
    }));

    function renderItem(params, api) {
      const bar = bars[api.value(3)];
      const from = api.coord([api.value(1), api.value(0)]);
      const to = api.coord([api.value(2), api.value(0)]);
      const height = api.size([0, 1])[1] * 0.62;
      const shape = echarts.graphic.clipRectByRect(
        { x: from[0], y: from[1] - height / 2, width: Math.max(to[0] - from[0], 2), height },
        { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
      );
      if (!shape) return null;
      const children = [
        {
          type: "rect",
          shape,
          style: {
            fill: colours.get(bar.order.tier) || "#94a3b8",
            stroke: bar.late ? RED : "rgba(255,255,255,0.9)",
            lineWidth: bar.late ? 2 : 1,
          },
        },
      ];
      if (bar.late) children.push({ type: "rect", shape, silent: true, style: { fill: hatchPattern() } });
      if (shape.width > 36) {
        children.push({
          type: "text",
          silent: true,
          style: {
            text: `${bar.a.order} ${bar.a.operation}`,
            x: shape.x + 5,
            y: shape.y + shape.height / 2,
            verticalAlign: "middle",
            fill: "#fff",
            fontSize: 11,
            width: shape.width - 10,
            overflow: "truncate",
            ellipsis: "…",
          },
        });
      }
      return { type: "group", children };
    }

    function tooltip(params) {
      const bar = bars[params.value[3]];
      const a = bar.a;
      const order = bar.order;
      const minutes = minutesBetween(a.start, a.end);
      const lines = [
        `<strong>${escapeHtml(a.order)}</strong> · ${escapeHtml(a.operation)} (line ${a.line + 1})`,
        `customer ${escapeHtml(order.customer || "–")}, ${escapeHtml(order.tier || "–")} tier, priority ${escapeHtml(order.priority ?? "–")}`,
        `machine ${escapeHtml(a.machine)} · staff ${a.staff.length ? escapeHtml(a.staff.join(", ")) : "none"}`,
        `${escapeHtml(formatInstant(a.start))} – ${escapeHtml(formatInstant(a.end))} (${minutes} min)`,
        `due ${escapeHtml(formatInstant(order.due))}`,
      ];
      if (bar.late) {
        lines.push(`<span class="late-text">late: ends ${minutesBetween(order.due, a.end)} min after the due time</span>`);
      }
      return lines.join("<br>");
    }

    const shape = `${state.view}|${rows.join(",")}`;
    const option = {
      animation: false,
      useUTC: true,
      grid: { left: 90, right: 24, top: 16, bottom: 64 },
      tooltip: { trigger: "item", confine: true, formatter: tooltip, className: "gantt-tip" },
      xAxis: {
        type: "time",
        min: first - pad,
        max: last + pad,
        axisLabel: {
          hideOverlap: true,
          fontSize: 11,
          formatter: axisTime,
          rich: { day: { fontWeight: "bold", fontSize: 11, color: "#1e293b" } },
        },
        splitLine: { show: true, lineStyle: { color: "#eef2f7" } },
      },
      yAxis: {
        type: "category",
        data: rows,
        inverse: true,
        axisTick: { show: false },
        axisLabel: { fontSize: 12, color: "#1e293b" },
        splitLine: { show: true, lineStyle: { color: "#eef2f7" } },
      },
      series: [
        {
          type: "custom",
          name: "operations",
          renderItem,
          encode: { x: [1, 2], y: 0 },
          clip: true,
          data,
        },
      ],
    };
    const height = Math.max(220, rows.length * 34 + 96);
    if (el.gantt.style.height !== `${height}px`) {
      el.gantt.style.height = `${height}px`;
      chart.resize();
    }
    if (shape !== state.ganttShape) {
      // A new view or new rows: start over, zoomed out.
      state.ganttShape = shape;
      chart.clear();
      option.dataZoom = [
        { type: "slider", xAxisIndex: 0, filterMode: "weakFilter", height: 18, bottom: 12, labelFormatter: "" },
        { type: "inside", xAxisIndex: 0, filterMode: "weakFilter", zoomOnMouseWheel: "ctrl", moveOnMouseWheel: false },
      ];
      chart.setOption(option);
    } else {
      // A better plan of the same solve: keep the user's zoom.
      chart.setOption(option, { replaceMerge: ["series"] });
    }
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    state.key = localStorage.getItem(KEY_STORE) || "";
    el.key.value = state.key;
    el.keySave.addEventListener("click", useKey);
    el.key.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        useKey();
      }
    });
    el.keyShow.addEventListener("click", () => {
      const show = el.key.type === "password";
      el.key.type = show ? "text" : "password";
      el.keyShow.textContent = show ? "Hide" : "Show";
      el.keyShow.setAttribute("aria-pressed", String(show));
    });
    el.select.addEventListener("change", () => {
      el.sourceExample.checked = true;
    });
    el.file.addEventListener("change", () => chooseFile().catch(fail));
    el.form.addEventListener("submit", startSolve);
    el.cancel.addEventListener("click", cancelSolve);
    el.csv.addEventListener("click", downloadCsv);
    for (const radio of document.querySelectorAll('input[name="view"]')) {
      radio.addEventListener("change", () => {
        state.view = radio.value;
        renderGantt(state.plan);
      });
    }
    window.addEventListener("resize", () => {
      for (const chart of Object.values(state.charts)) if (chart) chart.resize();
    });
    renderProgress();
    renderPlan();
    if (state.key) loadScenarios();
    const resume = /^#solve=(.+)$/.exec(location.hash);
    if (resume && state.key) follow(decodeURIComponent(resume[1])).catch(fail);
  }

  init();
})();
