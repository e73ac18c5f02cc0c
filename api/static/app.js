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
    charts: { gantt: null, incumbent: null, expedite: null },
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
    if (status === 429) return `Refused: ${detail}`;
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
    formMessage("");
    closeExpedite();
    pub.current = null;
    resetMe().finally(loadScenarios);
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
      fillPubScenarios(list.items);
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
      if (me.role === null && me.requester !== null) setRole(me.requester ? "planner" : "service");
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
    mainGantt.shape = "";
    renderProgress();
    renderPlan();
    const job = await api(`/v1/solves/${encodeURIComponent(jobId)}`);
    if (state.jobId !== jobId) return;
    applyJob(job);
    if (job.kind !== "expedite") showScenario(job.scenario_id);
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
    renderPublishButton();
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

  function tiers(plan, scenario = state.scenario) {
    const weights = (scenario && scenario.policy && scenario.policy.tier_weights) || {};
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

  /* A Gantt chart in `node` with its legend in `legend`; drawGantt() draws a plan in it.
   * `marks` (order id -> "expedite" | "slip") outlines the bars of those orders. */
  function makeGantt(node, legend, key) {
    return { node, legend, key, view: "machine", scenario: null, marks: null, shape: "" };
  }

  const mainGantt = makeGantt($("gantt"), $("legend"), "gantt");

  /* One bar per operation (by machine) or per operation and person (by person). */
  function ganttBars(plan, view) {
    const orders = new Map(plan.orders.map((o) => [o.id, o]));
    const bars = [];
    for (const a of plan.assignments) {
      const order = orders.get(a.order) || { id: a.order };
      const late = Boolean(order.due) && Date.parse(a.end) > Date.parse(order.due);
      const rows = view === "machine" ? [a.machine] : a.staff;
      for (const row of rows) bars.push({ row, a, order, late });
    }
    return bars;
  }

  function ganttRows(g, bars) {
    const scenario = g.scenario;
    const declared =
      scenario && (g.view === "machine" ? scenario.machines : scenario.staff || []).map((r) => r.id);
    const rows = declared ? [...declared] : [];
    for (const bar of bars) if (!rows.includes(bar.row)) rows.push(bar.row);
    return rows;
  }

  function renderLegend(g, colours, late) {
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
    const marks = g.marks ? [...g.marks] : [];
    for (const [kind, label] of [
      ["expedite", "expedited order"],
      ["slip", "slips (completes later than published)"],
    ]) {
      const ids = marks.filter(([, k]) => k === kind).map(([id]) => id);
      if (!ids.length) continue;
      const item = document.createElement("li");
      const mark = document.createElement("span");
      mark.className = `swatch mark-${kind}`;
      mark.setAttribute("aria-hidden", "true");
      item.append(mark, `${label}: ${ids.join(", ")}`);
      items.push(item);
    }
    g.legend.replaceChildren(...items);
  }

  function renderGantt(plan) {
    mainGantt.view = state.view;
    mainGantt.scenario = state.scenario;
    drawGantt(mainGantt, plan);
  }

  function drawGantt(g, plan) {
    if (!window.echarts) {
      showMessage("The chart library did not load (/static/vendor/echarts/echarts.min.js).");
      return;
    }
    if (!state.charts[g.key]) state.charts[g.key] = echarts.init(g.node);
    const chart = state.charts[g.key];
    if (!plan || !plan.assignments.length) {
      chart.clear();
      g.shape = "";
      g.node.dataset.bars = "0";
      g.node.setAttribute(
        "aria-label",
        plan ? "The plan has no operations to schedule." : "No plan yet.",
      );
      g.legend.replaceChildren();
      if (plan) {
        chart.setOption({
          title: { text: "no operations to schedule", left: "center", top: "middle", textStyle: { color: "#64748b", fontSize: 14, fontWeight: "normal" } },
        });
      }
      return;
    }
    const colours = tiers(plan, g.scenario);
    const bars = ganttBars(plan, g.view);
    const rows = ganttRows(g, bars);
    const index = new Map(rows.map((r, i) => [r, i]));
    const marks = g.marks || new Map();
    const horizon = g.scenario && g.scenario.horizon;
    // Axis labels show the scenario's wall clock: every instant is shifted by one offset.
    const shift = offsetMs((horizon && horizon.start) || plan.assignments[0].start);
    const at = (iso) => Date.parse(iso) + shift;
    const starts = bars.map((b) => at(b.a.start));
    const ends = bars.map((b) => at(b.a.end));
    const first = Math.min(...starts);
    const last = Math.max(...ends);
    const pad = Math.max((last - first) * 0.02, 5 * 60000);
    const lateCount = new Set(bars.filter((b) => b.late).map((b) => b.a)).size;

    g.node.dataset.bars = String(bars.length);
    g.node.dataset.late = String(lateCount);
    const what = g.view === "machine" ? "machines" : "people";
    g.node.setAttribute(
      "aria-label",
      `Schedule by ${g.view === "machine" ? "machine" : "person"}: ${bars.length} bars on ${rows.length} ${what}, ${lateCount} late operations. The order table below lists the plan.`,
    );
    renderLegend(g, colours, lateCount);

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
      const mark = marks.get(bar.a.order);
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
      if (mark) {
        children.push({
          type: "rect",
          shape,
          silent: true,
          style: {
            fill: "none",
            stroke: mark === "slip" ? RED : "#0f172a",
            lineWidth: 3,
            lineDash: mark === "slip" ? [5, 3] : null,
          },
        });
      }
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
      const mark = marks.get(a.order);
      if (mark === "expedite") lines.push("<strong>the expedited order</strong>");
      if (mark === "slip") lines.push('<span class="late-text">slips: completes later than published</span>');
      return lines.join("<br>");
    }

    const shape = `${g.view}|${rows.join(",")}`;
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
    if (g.node.style.height !== `${height}px`) {
      g.node.style.height = `${height}px`;
      chart.resize();
    }
    if (shape !== g.shape) {
      // A new view or new rows: start over, zoomed out.
      g.shape = shape;
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

  // ---------------------------------------------------------------- who the key is

  /* The page learns the key's role from what the service says about it: the key id
   * ("key-" and 12 hex digits of its SHA-256, as the service shows actors) next to a role
   * in published plans and audit trails, or the answer to an action. When a planner's
   * buttons are at stake and nothing is known yet, it asks GET /v1/me. */
  const ROLE_STORE = "orderplan.roles";
  const me = { id: null, role: null, planner: null, requester: null, probing: null };

  async function keyIdOf(key) {
    if (!key || !window.crypto || !crypto.subtle) return null; // plain http on another host
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `key-${hex.slice(0, 12)}`;
  }

  function knownRoles() {
    try {
      return JSON.parse(localStorage.getItem(ROLE_STORE) || "{}") || {};
    } catch (_) {
      return {};
    }
  }

  async function resetMe() {
    Object.assign(me, { id: null, role: null, planner: null, requester: null, probing: null });
    const key = state.key;
    const id = await keyIdOf(key).catch(() => null);
    if (state.key !== key) return;
    me.id = id;
    const role = id ? knownRoles()[id] : null;
    if (role) setRole(role);
    renderRole();
  }

  function setRole(role) {
    me.role = role;
    me.planner = role === "planner";
    me.requester = role === "planner" || role === "marketing";
    if (me.id) {
      const roles = knownRoles();
      roles[me.id] = role;
      localStorage.setItem(ROLE_STORE, JSON.stringify(roles));
    }
    renderRole();
  }

  /* Remember the role when `actor` is this key. */
  function learn(actor, role) {
    if (role && actor && me.id && actor === me.id && me.role !== role) setRole(role);
  }

  function renderRole() {
    $("key-role").textContent = me.role ? `Role: ${me.role}.` : "";
    renderPublishButton();
    renderRequestForm();
    if (ex.current) renderDecision(ex.current);
  }

  /* Whether the key is a planner; asks /v1/me once when nothing else told. */
  async function isPlanner() {
    if (me.planner !== null) return me.planner;
    if (!state.key) return false;
    if (!me.probing) {
      const key = state.key;
      me.probing = api("/v1/me")
        .then((answer) => answer.role === "planner")
        .then((planner) => {
          if (state.key !== key) return planner;
          if (planner) setRole("planner");
          else {
            me.planner = false;
            renderRole();
          }
          return planner;
        })
        .finally(() => {
          me.probing = null;
        });
    }
    return me.probing;
  }

  // ---------------------------------------------------------------- published plans

  const pub = {
    scenarioId: "",
    versions: [], // GET /v1/plans?scenario_id= items
    current: null, // the current version with its plan
    scenario: null, // the scenario's content
    loading: 0,
  };
  const scenarioCache = new Map(); // id -> content
  const MINUTE = 60000;

  async function scenarioContent(id) {
    if (!scenarioCache.has(id)) {
      const scenario = await api(`/v1/scenarios/${encodeURIComponent(id)}`);
      scenarioCache.set(id, scenario.content);
    }
    return scenarioCache.get(id);
  }

  function fillPubScenarios(items) {
    const select = $("pub-scenario");
    const previous = pub.scenarioId || select.value;
    select.replaceChildren(
      ...items.map((s) => {
        const option = new Option(`${s.name} · ${s.orders} orders`, s.id);
        option.title = s.id;
        return option;
      }),
    );
    if (!items.length) select.append(new Option("no stored scenarios", ""));
    select.disabled = !items.length;
    const wanted = items.some((s) => s.id === previous) ? previous : el.select.value || (items[0] && items[0].id);
    if (wanted) showScenario(wanted);
  }

  /* Show a scenario's published plan and expedites. */
  function showScenario(id) {
    const select = $("pub-scenario");
    if (id && ![...select.options].some((o) => o.value === id)) select.append(new Option(id, id));
    select.value = id;
    if (pub.scenarioId !== id) {
      pub.scenarioId = id;
      pub.versions = [];
      pub.current = null;
      pub.scenario = null;
      closeExpedite();
    }
    return loadPublished().catch(fail);
  }

  async function loadPublished() {
    const id = pub.scenarioId;
    if (!id || !state.key) return;
    const ticket = ++pub.loading;
    const [list, scenario] = await Promise.all([
      api(`/v1/plans?scenario_id=${encodeURIComponent(id)}&limit=100`),
      scenarioContent(id).catch(() => null),
    ]);
    const head = list.items.find((v) => v.current) || null;
    let current = null;
    if (head) {
      current = pub.current && pub.current.id === head.id ? pub.current : await api(`/v1/plans/${encodeURIComponent(head.id)}`);
    }
    if (ticket !== pub.loading || pub.scenarioId !== id) return;
    pub.versions = list.items;
    pub.current = current;
    pub.scenario = scenario;
    for (const v of list.items) learn(v.published_by, v.published_role);
    renderPublished();
    renderPublishButton();
    renderRequestForm();
    await loadExpedites();
  }

  function renderPublished() {
    const current = pub.current;
    $("pub-version").textContent = current ? String(current.version) : "none";
    $("pub-objective").textContent = current ? number(current.objective) : "–";
    $("pub-source").textContent = current ? sourceText(current) : "–";
    $("pub-at").textContent = current
      ? `${formatStamp(current.published_at)} by ${who(current.published_by, current.published_role)}`
      : "–";
    const rows = pub.versions.map((v) => {
      const row = document.createElement("tr");
      if (v.current) row.classList.add("current");
      const version = document.createElement("th");
      version.scope = "row";
      version.className = "num";
      version.textContent = v.current ? `${v.version} (current)` : String(v.version);
      row.append(version);
      for (const [text, cls] of [
        [sourceText(v), ""],
        [number(v.objective), "num"],
        [formatStamp(v.published_at), ""],
        [who(v.published_by, v.published_role), ""],
      ]) {
        const cell = row.insertCell();
        cell.textContent = text;
        if (cls) cell.className = cls;
      }
      return row;
    });
    $("pub-versions").querySelector("tbody").replaceChildren(...rows);
    $("pub-versions").querySelector("summary").textContent = `All versions (${pub.versions.length})`;
  }

  function sourceText(version) {
    if (version.source === "expedite") {
      const item = ex.items.find((e) => e.id === version.expedite_id);
      return item ? `approved expedite of ${item.order_id}` : "an approved expedite";
    }
    return `solve ${version.solve_id.slice(0, 8)} (${version.status})`;
  }

  function who(actor, role) {
    if (!actor) return "the engine";
    const you = me.id && actor === me.id ? " (this key)" : "";
    return `${actor}${role ? ` (${role})` : ""}${you}`;
  }

  /* A service timestamp (UTC) in the browser's time zone. */
  function formatStamp(iso) {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return iso || "–";
    return at.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  }

  // ---------------------------------------------------------------- publishing

  function publishable() {
    const job = state.job;
    return (
      Boolean(job && state.plan) &&
      job.kind !== "expedite" &&
      TERMINAL.has(job.status) &&
      ["optimal", "feasible"].includes(state.plan.status)
    );
  }

  function renderPublishButton() {
    const button = $("publish");
    const note = $("publish-state");
    const job = state.job;
    const current = pub.current && job && pub.scenarioId === job.scenario_id ? pub.current : null;
    if (!publishable()) {
      button.disabled = true;
      if (job && job.kind === "expedite") note.textContent = "An expedite's plan is published by approving the expedite.";
      else if (job && !TERMINAL.has(job.status)) note.textContent = "The plan can be published once the solve has ended.";
      else if (job && TERMINAL.has(job.status)) note.textContent = "This solve has no plan to publish.";
      return;
    }
    if (current && current.solve_id === job.id) {
      button.disabled = true;
      note.textContent = `This plan is the current published plan (version ${current.version}).`;
    } else if (me.planner === false) {
      button.disabled = true;
      note.textContent = `Only a planner key can publish plans${me.role ? `; this is a ${me.role} key` : ""}.`;
    } else {
      button.disabled = false;
      const earlier = pub.versions.find((v) => v.solve_id === job.id);
      const rollback = earlier ? `, a rollback to version ${earlier.version}` : "";
      note.textContent = current
        ? `Publishing makes it version ${current.version + 1} of this scenario's plan (now version ${current.version}${rollback}).`
        : "Publishing makes it version 1 of this scenario's plan.";
    }
  }

  async function publishPlan() {
    const job = state.job;
    if (!publishable()) return;
    const button = $("publish");
    button.disabled = true;
    try {
      const published = await api(`/v1/plans/${encodeURIComponent(job.id)}/publish`, { method: "POST" });
      setRole("planner");
      clearMessage();
      pub.current = published;
      await showScenario(published.scenario_id);
      $("publish-state").textContent = `Published as version ${published.version} of ${published.scenario_id}.`;
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        me.planner = false;
        renderRole();
      }
      fail(error);
      renderPublishButton();
    }
  }

  // ---------------------------------------------------------------- requesting an expedite

  /* The offset (minutes east of UTC) of `timeZone` at the UTC instant `ms`. */
  function zoneOffset(timeZone, ms) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    }).formatToParts(new Date(ms));
    const get = (type) => Number(parts.find((p) => p.type === type).value);
    const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
    return Math.round((wall - Math.floor(ms / MINUTE) * MINUTE) / MINUTE);
  }

  function offsetText(minutes) {
    const sign = minutes < 0 ? "-" : "+";
    const abs = Math.abs(minutes);
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  }

  /* "2026-03-03T08:00" on the scenario's wall clock as an instant with its UTC offset. */
  function wallToInstant(wall, fallbackIso) {
    const ms = Date.parse(`${wall}:00Z`);
    let offset = offsetMs(fallbackIso) / MINUTE;
    const zone = pub.scenario && pub.scenario.timezone;
    if (zone) {
      try {
        const first = zoneOffset(zone, ms);
        offset = zoneOffset(zone, ms - first * MINUTE);
      } catch (_) {
        /* an unknown zone for this browser: keep the order's own offset */
      }
    }
    return `${wall}:00${offsetText(offset)}`;
  }

  function selectedOrder() {
    const plan = pub.current && pub.current.plan;
    return plan ? plan.orders.find((o) => o.id === $("exp-order").value) || null : null;
  }

  function renderRequestForm() {
    const select = $("exp-order");
    const submit = $("exp-submit");
    const help = $("exp-form-help");
    const plan = pub.current && pub.current.plan;
    const previous = select.value;
    if (!plan) {
      select.replaceChildren(new Option(pub.scenarioId ? "no published plan yet" : "pick a scenario", ""));
      select.disabled = true;
      delete select.dataset.plan;
    } else {
      const shown = select.dataset.plan === pub.current.id;
      if (!shown) {
        const orders = [...plan.orders].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
        select.replaceChildren(
          ...orders.map((o) => {
            const done = o.accepted ? `completes ${formatInstant(o.completion)}` : "rejected";
            return new Option(`${o.id} · ${o.customer || "–"} · due ${formatInstant(o.due)} · ${done}`, o.id);
          }),
        );
        select.dataset.plan = pub.current.id;
        if (orders.some((o) => o.id === previous)) select.value = previous;
        if (!shown && !$("exp-due").value) fillDue();
      }
      select.disabled = false;
    }
    const zone = pub.scenario && pub.scenario.timezone;
    $("exp-due-help").textContent = zone
      ? `Wall-clock time in ${zone}, the scenario's time zone.`
      : "Wall-clock time of the scenario.";
    if (me.requester === false) {
      submit.disabled = true;
      help.textContent = `Only marketing and planner keys may request expedites${me.role ? `; this is a ${me.role} key` : ""}.`;
    } else if (!plan) {
      submit.disabled = true;
      help.textContent = pub.scenarioId
        ? "Expedites are previewed against the published plan: a planner publishes one first."
        : "Pick a scenario.";
    } else {
      submit.disabled = false;
      help.textContent = `The engine previews the request against published version ${pub.current.version}: whether the date can be met, what it costs and which orders slip. A planner then approves or rejects it.`;
    }
  }

  function fillDue() {
    const order = selectedOrder();
    if (order && order.due) $("exp-due").value = order.due.slice(0, 16);
  }

  function formMessage(text) {
    const box = $("exp-message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  async function requestExpedite(event) {
    event.preventDefault();
    formMessage("");
    const order = selectedOrder();
    const wall = $("exp-due").value;
    const reason = $("exp-reason").value.trim();
    const timeLimit = Number($("exp-time-limit").value);
    if (!order) return formMessage("Pick an order of the published plan.");
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(wall)) {
      $("exp-due").focus();
      return formMessage("Give the date and time the order is wanted by.");
    }
    if (!reason) {
      $("exp-reason").focus();
      return formMessage("Say why: the planner decides on the reason.");
    }
    if (!(timeLimit > 0)) {
      $("exp-time-limit").focus();
      return formMessage("The seconds for the preview must be a positive number.");
    }
    const submit = $("exp-submit");
    submit.disabled = true;
    try {
      const item = await api("/v1/expedites", {
        method: "POST",
        json: {
          scenario_id: pub.scenarioId,
          order_id: order.id,
          requested_due: wallToInstant(wall.slice(0, 16), order.due),
          reason,
          time_limit: timeLimit,
        },
      });
      learn(item.requested_by, item.requested_role);
      if (!me.role && item.requested_role) setRole(item.requested_role); // the answer is about this key
      $("exp-reason").value = "";
      upsert(item);
      renderExpedites();
      openExpedite(item.id, true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        me.requester = false;
        renderRole();
      }
      if (error instanceof ApiError) {
        const problems = error.problems.map((p) => `${p.path}: ${p.message}`);
        const quota = error.status === 429 ? "Quota reached. " : "";
        formMessage(`${quota}${error.message}${problems.length ? ` (${problems.join("; ")})` : ""}`);
      } else fail(error);
    } finally {
      renderRequestForm();
    }
  }

  // ---------------------------------------------------------------- expedites

  const ex = {
    items: [], // the list, newest first
    current: null, // the expedite shown in detail (with its plan once ready)
    watch: 0, // ticket of the detail's poller
    listTimer: null,
    gantt: makeGantt($("exp-gantt"), $("exp-legend"), "expedite"),
  };
  const OPEN = new Set(["previewing", "ready"]);

  function upsert(item) {
    const at = ex.items.findIndex((e) => e.id === item.id);
    const light = { ...item, preview: item.preview ? { ...item.preview, plan: null } : null };
    if (at >= 0) ex.items[at] = light;
    else ex.items.unshift(light);
  }

  function learnFrom(item) {
    learn(item.requested_by, item.requested_role);
    for (const entry of item.audit || []) learn(entry.actor, entry.role);
  }

  async function loadExpedites() {
    const id = pub.scenarioId;
    if (!id || !state.key) return;
    clearTimeout(ex.listTimer);
    const status = $("exp-filter").value;
    const query = `scenario_id=${encodeURIComponent(id)}&limit=100${status ? `&status=${status}` : ""}`;
    const list = await api(`/v1/expedites?${query}`);
    if (pub.scenarioId !== id) return;
    ex.items = list.items;
    list.items.forEach(learnFrom);
    renderExpedites();
    renderPublished(); // version sources name their expedites
    if (list.items.some((e) => e.status === "previewing")) {
      ex.listTimer = setTimeout(() => loadExpedites().catch(fail), 1500);
    }
  }

  function statusBadge(status) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.dataset.status = status;
    badge.textContent = status;
    return badge;
  }

  function signed(value) {
    if (value === null || value === undefined) return "–";
    return `${value > 0 ? "+" : ""}${number(value)}`;
  }

  function duration(minutes) {
    const abs = Math.abs(Math.round(minutes));
    const d = Math.floor(abs / 1440);
    const h = Math.floor((abs % 1440) / 60);
    const m = abs % 60;
    const parts = [];
    if (d) parts.push(`${d} d`);
    if (h) parts.push(`${h} h`);
    if (m || !parts.length) parts.push(`${m} min`);
    return parts.join(" ");
  }

  function auditList(entries) {
    const list = document.createElement("ol");
    list.className = "audit";
    for (const entry of entries) {
      const item = document.createElement("li");
      item.dataset.kind = entry.kind;
      const kind = document.createElement("strong");
      kind.textContent = entry.kind.replace(/_/g, " ");
      const time = document.createElement("time");
      time.dateTime = entry.at;
      time.textContent = formatStamp(entry.at);
      item.append(time, " ", kind, ` by ${who(entry.actor, entry.role)}`);
      if (entry.comment) {
        const quote = document.createElement("q");
        quote.textContent = entry.comment;
        item.append(": ", quote);
      }
      const data = entry.data || {};
      if (entry.kind === "preview_ready" && data.cost !== undefined) {
        item.append(` (cost ${signed(data.cost)}${data.slipping && data.slipping.length ? `, slipping ${data.slipping.join(", ")}` : ""})`);
      }
      if (entry.kind === "approved" && data.version) item.append(` (published as version ${data.version})`);
      if (data.error) item.append(` (${data.error})`);
      list.append(item);
    }
    return list;
  }

  function renderExpedites() {
    const body = $("expedites").tBodies[0];
    if (!ex.items.length) {
      const row = document.createElement("tr");
      const cell = row.insertCell();
      cell.colSpan = 8;
      cell.className = "empty";
      cell.textContent = $("exp-filter").value ? "no expedites with this status" : "no expedites for this scenario";
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(
      ...ex.items.map((item) => {
        const row = document.createElement("tr");
        row.dataset.expedite = item.id;
        row.dataset.status = item.status;
        if (ex.current && ex.current.id === item.id) row.classList.add("selected");
        const preview = item.preview;
        row.insertCell().textContent = formatStamp(item.created_at);
        const order = document.createElement("th");
        order.scope = "row";
        const open = document.createElement("button");
        open.type = "button";
        open.className = "link";
        open.textContent = item.order_id;
        open.setAttribute("aria-label", `Show the expedite of ${item.order_id} requested ${formatStamp(item.created_at)}`);
        open.addEventListener("click", () => openExpedite(item.id, true));
        order.append(open);
        row.append(order);
        row.insertCell().textContent = formatInstant(item.requested_due);
        row.insertCell().append(statusBadge(item.status));
        const cost = row.insertCell();
        cost.className = "num";
        cost.textContent = preview ? signed(preview.cost) : "–";
        const slipping = row.insertCell();
        if (preview && preview.slipping.length) {
          slipping.className = "slip-text";
          slipping.textContent = preview.slipping.join(", ");
        } else slipping.textContent = preview ? "none" : "–";
        const by = row.insertCell();
        by.className = "by";
        by.textContent = who(item.requested_by, item.requested_role);
        const trail = row.insertCell();
        trail.className = "trail";
        const details = document.createElement("details");
        const summary = document.createElement("summary");
        const last = item.audit[item.audit.length - 1];
        summary.textContent = `${item.audit.length} entr${item.audit.length === 1 ? "y" : "ies"}${last ? `, last: ${last.kind.replace(/_/g, " ")}` : ""}`;
        details.append(summary, auditList(item.audit));
        trail.append(details);
        return row;
      }),
    );
  }

  function closeExpedite() {
    ex.watch += 1;
    ex.current = null;
    $("expedite").hidden = true;
  }

  /* Show one expedite; while its preview runs, poll it until it is ready (or failed). */
  async function openExpedite(id, focus) {
    const ticket = ++ex.watch;
    const item = ex.items.find((e) => e.id === id);
    $("expedite").hidden = false;
    if (item) renderExpedite(item);
    if (focus) {
      $("exp-title").focus();
      $("expedite").scrollIntoView({ block: "start" });
    }
    let delay = 400;
    for (;;) {
      let full;
      try {
        full = await api(`/v1/expedites/${encodeURIComponent(id)}?plan=true`);
      } catch (error) {
        if (ticket === ex.watch) fail(error);
        return;
      }
      if (ticket !== ex.watch) return;
      learnFrom(full);
      upsert(full);
      renderExpedite(full);
      renderExpedites();
      if (full.status !== "previewing") return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 3000);
      if (ticket !== ex.watch) return;
    }
  }

  function renderExpedite(item) {
    ex.current = item;
    const preview = item.preview;
    $("expedite").dataset.status = item.status;
    const title = $("exp-title");
    title.replaceChildren(`Expedite of ${item.order_id} by ${formatInstant(item.requested_due)} `, statusBadge(item.status));
    $("exp-summary").textContent =
      `Requested ${formatStamp(item.created_at)} by ${who(item.requested_by, item.requested_role)}: “${item.reason}”. ` +
      `Previewed against published version ${item.baseline_version}${item.baseline_current ? " (the current one)" : " (no longer the current one)"}.`;
    const stateLine = $("exp-state");
    if (item.status === "previewing") {
      stateLine.textContent = `Computing the preview (preview job ${item.job_status})…`;
    } else if (item.status === "failed") {
      stateLine.textContent = `No preview: ${item.error || "the preview failed"}.`;
    } else {
      stateLine.textContent = "";
    }
    stateLine.hidden = !stateLine.textContent;
    $("exp-preview").hidden = !preview;
    if (preview) renderPreview(item, preview);
    renderDecision(item);
    const outcome = $("exp-outcome");
    if (item.status === "approved" || item.status === "rejected") {
      const published = item.published_version ? `; its plan is published as version ${item.published_version}` : "";
      const comment = item.decision_comment ? `: “${item.decision_comment}”` : "";
      outcome.textContent = `${item.status === "approved" ? "Approved" : "Rejected"} ${formatStamp(item.decided_at)} by ${who(item.decided_by, "planner")}${comment}${published}.`;
      outcome.dataset.status = item.status;
      outcome.hidden = false;
    } else {
      outcome.hidden = true;
    }
    $("exp-audit").replaceWith(Object.assign(auditList(item.audit), { id: "exp-audit" }));
    $("exp-audit").setAttribute("aria-labelledby", "exp-audit-title");
  }

  function renderPreview(item, preview) {
    const verdict = $("exp-verdict");
    verdict.dataset.canMeet = String(preview.can_meet);
    if (preview.can_meet) {
      verdict.textContent = `✓ The date can be met: ${preview.order} completes ${formatInstant(preview.completion)} (wanted by ${formatInstant(preview.requested_due)}).`;
    } else if (preview.earliest_completion) {
      const late = minutesBetween(preview.requested_due, preview.earliest_completion);
      const plan =
        preview.completion && preview.completion !== preview.earliest_completion
          ? `; the new plan completes it ${formatInstant(preview.completion)}`
          : "";
      verdict.textContent = `✗ The date cannot be met. The earliest ${preview.order} can complete is ${formatInstant(preview.earliest_completion)}, ${duration(late)} after the time asked for${plan}.`;
    } else {
      verdict.textContent = `✗ The date cannot be met, and ${preview.order} cannot be served at all on top of the published plan.`;
    }

    const cost = $("exp-cost");
    cost.textContent = `${signed(preview.cost)} on the objective`;
    cost.dataset.sign = preview.cost > 1e-9 ? "up" : preview.cost < -1e-9 ? "down" : "zero";
    const terms = ["total", "tardiness", "rejection", "makespan", "changeover", "stability"];
    const rows = [
      [`Published (version ${item.baseline_version})`, (t) => number(preview.objective_before[t]), "before"],
      ["With the expedite", (t) => number(preview.objective_after[t]), "after"],
      ["Change", (t) => signed(preview.objective_after[t] - preview.objective_before[t]), "change"],
    ].map(([label, value, kind]) => {
      const row = document.createElement("tr");
      row.dataset.row = kind;
      const head = document.createElement("th");
      head.scope = "row";
      head.textContent = label;
      row.append(head);
      for (const term of terms) {
        const cell = row.insertCell();
        cell.dataset.term = term;
        cell.textContent = value(term);
        if (kind === "change" && preview.objective_after[term] - preview.objective_before[term] > 1e-9) {
          cell.classList.add("worse");
        }
      }
      return row;
    });
    $("exp-terms").tBodies[0].replaceChildren(...rows);

    const slipping = preview.orders.filter((o) => o.slips);
    const summary = $("exp-slipping");
    summary.dataset.count = String(slipping.length);
    summary.textContent = slipping.length
      ? `${slipping.length} order${slipping.length === 1 ? "" : "s"} slip${slipping.length === 1 ? "s" : ""}: ` +
        slipping.map((o) => (o.accepted_after ? `${o.id} (${duration(o.delay_minutes)} later)` : `${o.id} (no longer served)`)).join(", ") +
        "."
      : "No other order completes later than published.";
    summary.className = slipping.length ? "slipping some" : "slipping none";

    $("exp-impact").tBodies[0].replaceChildren(
      ...preview.orders.map((o) => {
        const row = document.createElement("tr");
        row.dataset.order = o.id;
        if (o.slips) row.classList.add("slips");
        const head = document.createElement("th");
        head.scope = "row";
        head.textContent = o.id;
        row.append(head);
        row.insertCell().textContent = o.accepted_before ? formatInstant(o.completion_before) : "not served";
        row.insertCell().textContent = o.accepted_after ? formatInstant(o.completion_after) : "not served";
        const change = row.insertCell();
        change.className = "change";
        if (o.slips) {
          const badge = document.createElement("span");
          badge.className = "badge slip";
          badge.textContent = "slips";
          change.append(badge, o.accepted_after ? ` ${duration(o.delay_minutes)} later` : " no longer served");
        } else if (o.delay_minutes < 0) {
          change.textContent = `${duration(o.delay_minutes)} earlier`;
        } else {
          change.textContent = "unchanged";
        }
        for (const [value, worse] of [
          [o.tardiness_minutes_before, false],
          [o.tardiness_minutes_after, o.tardiness_minutes_after > o.tardiness_minutes_before],
        ]) {
          const cell = row.insertCell();
          cell.className = worse ? "num worse" : "num";
          cell.textContent = String(value);
        }
        return row;
      }),
    );

    const g = ex.gantt;
    g.scenario = pub.scenarioId === item.scenario_id ? pub.scenario : null;
    g.marks = new Map([[preview.order, "expedite"], ...slipping.map((o) => [o.id, "slip"])]);
    if (preview.plan) {
      drawGantt(g, preview.plan);
      if (state.charts.expedite) state.charts.expedite.resize();
    }
  }

  async function renderDecision(item) {
    const box = $("exp-decision");
    if (item.status !== "ready" && item.status !== "previewing") {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const approve = $("approve");
    const reject = $("reject");
    const help = $("decision-help");
    const planner = me.planner === null ? await isPlanner().catch(() => null) : me.planner;
    if (ex.current !== item) return;
    if (!planner) {
      approve.disabled = reject.disabled = true;
      $("decision-comment").disabled = true;
      help.textContent = `Only a planner key can approve or reject an expedite${me.role ? `; this is a ${me.role} key` : ""}. The decision will show here and in the audit trail.`;
      return;
    }
    $("decision-comment").disabled = false;
    reject.disabled = false;
    if (item.status === "previewing") {
      approve.disabled = true;
      help.textContent = "Approving is possible once the preview is ready; rejecting now stops the preview.";
    } else if (!item.baseline_current) {
      approve.disabled = true;
      help.textContent = "Another plan was published since this preview was made: it cannot be approved; request the expedite again.";
    } else {
      approve.disabled = false;
      help.textContent = `Approving publishes the new plan as version ${(pub.current ? pub.current.version : item.baseline_version) + 1}; rejecting keeps the published plan. The comment goes into the audit trail.`;
    }
  }

  async function decide(action) {
    const item = ex.current;
    if (!item) return;
    const approve = $("approve");
    const reject = $("reject");
    approve.disabled = reject.disabled = true;
    try {
      const decided = await api(`/v1/expedites/${encodeURIComponent(item.id)}/${action}`, {
        method: "POST",
        json: { comment: $("decision-comment").value.trim() },
      });
      setRole("planner");
      clearMessage();
      $("decision-comment").value = "";
      ex.watch += 1;
      upsert(decided);
      renderExpedite(decided);
      await loadPublished();
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        me.planner = false;
        renderRole();
      }
      fail(error);
      openExpedite(item.id, false);
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
      if (el.select.value) showScenario(el.select.value);
    });
    $("publish").addEventListener("click", publishPlan);
    $("pub-scenario").addEventListener("change", (event) => showScenario(event.target.value));
    $("pub-refresh").addEventListener("click", () => {
      loadPublished().catch(fail);
      if (ex.current) openExpedite(ex.current.id, false);
    });
    $("expedite-form").addEventListener("submit", requestExpedite);
    $("exp-order").addEventListener("change", fillDue);
    $("exp-filter").addEventListener("change", () => loadExpedites().catch(fail));
    $("approve").addEventListener("click", () => decide("approve"));
    $("reject").addEventListener("click", () => decide("reject"));
    for (const radio of document.querySelectorAll('input[name="exp-view"]')) {
      radio.addEventListener("change", () => {
        ex.gantt.view = radio.value;
        const plan = ex.current && ex.current.preview && ex.current.preview.plan;
        if (plan) drawGantt(ex.gantt, plan);
      });
    }
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
    if (state.key) resetMe().finally(loadScenarios);
    const resume = /^#solve=(.+)$/.exec(location.hash);
    if (resume && state.key) follow(decodeURIComponent(resume[1])).catch(fail);
  }

  init();
})();
