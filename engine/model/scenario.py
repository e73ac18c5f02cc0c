"""The scenario root: one self-contained snapshot of a plant."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from engine.model.base import Frozen, Id, Instant, Loc, NonNegativeInt, located
from engine.model.calendar import ALWAYS, Calendar
from engine.model.orders import Baseline, Customer, Order, Policy
from engine.model.products import Material, Product
from engine.model.resources import Machine, StaffMember


class Horizon(Frozen):
    """Nothing is scheduled outside ``[start, end)``."""

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end <= self.start:
            raise located(
                [
                    (
                        ("end",),
                        f"horizon end {self.end.isoformat()} must be after its start "
                        f"{self.start.isoformat()}",
                    )
                ]
            )
        return self


class Scenario(Frozen):
    """A plant, what it owes, and the policy that says what matters most.

    Field validation reports every malformed value at once; the root validator
    then checks every cross-reference and reports every problem at once, each
    with its path (``orders[3].lines[0].product: unknown product 'oak-tabel'``).
    Pydantic skips the root validator when a field is malformed;
    :func:`reference_problems` then checks what can be checked on the raw data.
    """

    version: Literal[1] = 1
    name: str = Field(min_length=1)
    timezone: str = "UTC"
    horizon: Horizon
    calendars: dict[Id, Calendar] = Field(default_factory=dict)
    machines: list[Machine] = Field(min_length=1)
    staff: list[StaffMember] = Field(default_factory=list)
    products: list[Product] = Field(min_length=1)
    materials: list[Material] = Field(default_factory=list)
    stock: dict[Id, NonNegativeInt] = Field(default_factory=dict)
    customers: list[Customer] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    baseline: Baseline | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _known_version(cls, value: object) -> object:
        if value != 1 or isinstance(value, bool):
            raise ValueError(f"unsupported format version {value!r}: this engine reads version 1")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = list(_cross_reference_problems(_Parts.of_scenario(self)))
        if problems:
            raise located(problems)
        return self

    # Lookups, built once on first use (the model is frozen, so they never go stale).

    @cached_property
    def zone(self) -> ZoneInfo:
        """The zone in which weekly windows are read."""
        return ZoneInfo(self.timezone)

    @cached_property
    def machine_by_id(self) -> dict[str, Machine]:
        """Machines by id."""
        return {m.id: m for m in self.machines}

    @cached_property
    def staff_by_id(self) -> dict[str, StaffMember]:
        """Staff by id."""
        return {s.id: s for s in self.staff}

    @cached_property
    def product_by_id(self) -> dict[str, Product]:
        """Products by id."""
        return {p.id: p for p in self.products}

    @cached_property
    def material_by_id(self) -> dict[str, Material]:
        """Materials by id."""
        return {m.id: m for m in self.materials}

    @cached_property
    def customer_by_id(self) -> dict[str, Customer]:
        """Customers by id."""
        return {c.id: c for c in self.customers}

    @cached_property
    def order_by_id(self) -> dict[str, Order]:
        """Orders by id."""
        return {o.id: o for o in self.orders}

    def calendar(self, name: str) -> Calendar:
        """The calendar called ``name``; ``always`` is built in unless redefined."""
        if name in self.calendars:
            return self.calendars[name]
        if name == "always":
            return ALWAYS
        raise KeyError(name)

    def staff_with_skill(self, skill: str) -> list[StaffMember]:
        """Staff members holding ``skill``, in scenario order."""
        return [s for s in self.staff if skill in s.skills]

    def tier_weight(self, order: Order) -> float:
        """The tier weight of the order's customer, or the expedite weight while expedited."""
        if order.expedited:
            return self.policy.expedite_weight
        return self.policy.tier_weight(self.customer_by_id[order.customer].tier)


_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class _Parts:
    """What the cross-reference checks look at, from a valid scenario or from raw data.

    ``ids`` holds each kind's ids as written, with their index, for the
    duplicate checks. ``known`` holds the names of each kind, plus calendars
    and tiers (``None`` where the field itself is unreadable, which skips the
    checks that need it). The element lists hold only the elements that
    validate on their own, with their index.
    """

    known: Mapping[str, set[str] | None]
    ids: Mapping[str, list[tuple[int, str]]]
    skill_holders: Counter[str] | None
    horizon: Horizon | None
    machines: list[tuple[int, Machine]]
    staff: list[tuple[int, StaffMember]]
    products: list[tuple[int, Product]]
    materials: list[tuple[int, Material]]
    customers: list[tuple[int, Customer]]
    orders: list[tuple[int, Order]]
    stock: list[str]

    @classmethod
    def of_scenario(cls, s: Scenario) -> _Parts:
        ids = {
            "machines": [m.id for m in s.machines],
            "staff": [p.id for p in s.staff],
            "products": [p.id for p in s.products],
            "materials": [m.id for m in s.materials],
            "customers": [c.id for c in s.customers],
            "orders": [o.id for o in s.orders],
        }
        holders: Counter[str] = Counter()
        for person in s.staff:
            holders.update(set(person.skills))
        return cls(
            known={
                **{kind: set(names) for kind, names in ids.items()},
                "calendars": set(s.calendars),
                "tiers": set(s.policy.tier_weights),
            },
            ids={kind: list(enumerate(names)) for kind, names in ids.items()},
            skill_holders=holders,
            horizon=s.horizon,
            machines=list(enumerate(s.machines)),
            staff=list(enumerate(s.staff)),
            products=list(enumerate(s.products)),
            materials=list(enumerate(s.materials)),
            customers=list(enumerate(s.customers)),
            orders=list(enumerate(s.orders)),
            stock=list(s.stock),
        )

    @classmethod
    def of_data(cls, data: Mapping[str, Any]) -> _Parts:
        lists = {
            kind: data.get(kind, [])
            for kind in ("machines", "staff", "products", "materials", "customers", "orders")
        }
        ids: dict[str, list[tuple[int, str]]] = {}
        known: dict[str, set[str] | None] = {}
        for kind, items in lists.items():
            if isinstance(items, list):
                ids[kind] = [
                    (i, item["id"])
                    for i, item in enumerate(items)
                    if isinstance(item, Mapping) and isinstance(item.get("id"), str)
                ]
                known[kind] = {ident for _, ident in ids[kind]}
            else:
                ids[kind], known[kind] = [], None
        known["calendars"] = _names(data.get("calendars", {}))
        policy = data.get("policy", {})
        known["tiers"] = (
            _names(policy.get("tier_weights", {})) if isinstance(policy, Mapping) else None
        )
        stock = data.get("stock", {})
        if not isinstance(stock, Mapping):
            stock = {}
        return cls(
            known=known,
            ids=ids,
            skill_holders=_raw_skill_holders(lists["staff"]),
            horizon=_valid(Horizon, data.get("horizon")),
            machines=_valid_items(Machine, lists["machines"]),
            staff=_valid_items(StaffMember, lists["staff"]),
            products=_valid_items(Product, lists["products"]),
            materials=_valid_items(Material, lists["materials"]),
            customers=_valid_items(Customer, lists["customers"]),
            orders=_valid_items(Order, lists["orders"]),
            stock=[key for key in stock if isinstance(key, str)],
        )


def _names(value: object) -> set[str] | None:
    if not isinstance(value, Mapping):
        return None
    return {key for key in value if isinstance(key, str)}


def _valid(model: type[_M], value: object) -> _M | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _valid_items(model: type[_M], items: object) -> list[tuple[int, _M]]:
    if not isinstance(items, list):
        return []
    valid = ((i, _valid(model, item)) for i, item in enumerate(items))
    return [(i, item) for i, item in valid if item is not None]


def _raw_skill_holders(staff: object) -> Counter[str] | None:
    # An unreadable staff entry might hold any skill: rather skip the skill checks
    # than call a skill unknown that a malformed entry does list.
    if not isinstance(staff, list):
        return None
    holders: Counter[str] = Counter()
    for person in staff:
        skills = person.get("skills", []) if isinstance(person, Mapping) else None
        if not isinstance(skills, list):
            return None
        holders.update({skill for skill in skills if isinstance(skill, str)})
    return holders


def reference_problems(data: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Cross-reference problems of raw scenario data whose field validation failed.

    Every reference is checked against the ids as written, so a reference to
    a malformed but present entity is not called unknown. Only references held
    by elements that validate on their own are checked: a problem inside
    ``orders[3]`` hides the references of ``orders[3]`` until it is fixed.

    Parameters
    ----------
    data
        The parsed scenario document.

    Returns
    -------
    list of tuple
        ``(path, message)`` pairs, as the root validator of :class:`Scenario`
        would report them.
    """
    return list(_cross_reference_problems(_Parts.of_data(data)))


_KINDS = {
    "machines": "machine",
    "staff": "staff",
    "products": "product",
    "materials": "material",
    "customers": "customer",
    "orders": "order",
}


def _cross_reference_problems(p: _Parts) -> Iterable[tuple[Loc, str]]:
    for field, kind in _KINDS.items():
        seen: set[str] = set()
        for index, ident in p.ids[field]:
            if ident in seen:
                yield (field, index, "id"), f"duplicate {kind} id '{ident}'"
            seen.add(ident)

    def unknown(value: str, field: str, kind: str, *builtin: str) -> str | None:
        names = p.known[field]
        if names is None or value in names or value in builtin:
            return None
        return f"unknown {kind} '{value}'"

    for i, machine in p.machines:
        if (msg := unknown(machine.calendar, "calendars", "calendar", "always")) is not None:
            yield ("machines", i, "calendar"), msg
    for i, person in p.staff:
        if (msg := unknown(person.calendar, "calendars", "calendar", "always")) is not None:
            yield ("staff", i, "calendar"), msg

    for i, product in p.products:
        for k, op in enumerate(product.routing):
            for machine_id in op.machines:
                if (msg := unknown(machine_id, "machines", "machine")) is not None:
                    yield ("products", i, "routing", k, "machines", machine_id), msg
            if op.skill is not None and p.skill_holders is not None:
                holders = p.skill_holders[op.skill]
                if holders == 0:
                    yield (
                        ("products", i, "routing", k, "skill"),
                        f"unknown skill '{op.skill}': no staff member holds it",
                    )
                elif op.crew_size > holders:
                    yield (
                        ("products", i, "routing", k, "crew"),
                        f"crew of {op.crew_size} but only {holders} staff member(s) "
                        f"hold skill '{op.skill}'",
                    )
        for material_id in product.materials:
            if (msg := unknown(material_id, "materials", "material")) is not None:
                yield ("products", i, "materials", material_id), msg

    if p.horizon is not None:
        start, end = p.horizon.start, p.horizon.end
        for i, material in p.materials:
            for k, receipt in enumerate(material.receipts):
                if not start <= receipt.at < end:
                    yield (
                        ("materials", i, "receipts", k, "at"),
                        f"receipt at {receipt.at.isoformat()} lies outside the horizon "
                        f"[{start.isoformat()}, {end.isoformat()})",
                    )

    for product_id in p.stock:
        if (msg := unknown(product_id, "products", "product")) is not None:
            yield ("stock", product_id), msg

    for i, customer in p.customers:
        if unknown(customer.tier, "tiers", "tier", "standard") is not None:
            yield (
                ("customers", i, "tier"),
                f"unknown tier '{customer.tier}': not a key of policy.tier_weights",
            )

    for i, order in p.orders:
        if (msg := unknown(order.customer, "customers", "customer")) is not None:
            yield ("orders", i, "customer"), msg
        for k, line in enumerate(order.lines):
            if (msg := unknown(line.product, "products", "product")) is not None:
                yield ("orders", i, "lines", k, "product"), msg
