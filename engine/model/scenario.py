"""The scenario root: one self-contained snapshot of a plant."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from engine.model.base import Frozen, Id, Instant, NonNegativeInt
from engine.model.calendar import ALWAYS, Calendar
from engine.model.orders import Customer, Order, Policy
from engine.model.products import Material, Product
from engine.model.resources import Machine, StaffMember

Loc = tuple[str | int, ...]


class Horizon(Frozen):
    """Nothing is scheduled outside ``[start, end)``."""

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end <= self.start:
            raise ValueError("horizon end must be after its start")
        return self


class Scenario(Frozen):
    """A plant, what it owes, and the policy that says what matters most.

    Field validation reports every malformed value at once; the root validator
    then checks every cross-reference and reports every problem at once, each
    with its path (``orders[3].lines[0].product: unknown product 'oak-tabel'``).
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
        problems = list(_cross_reference_problems(self))
        if problems:
            raise PydanticCustomError(
                "cross_reference",
                "{count} cross-reference problem(s)",
                {"count": len(problems), "problems": problems},
            )
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
        """The tier weight of the order's customer."""
        return self.policy.tier_weight(self.customer_by_id[order.customer].tier)


def _duplicates(ids: Iterable[str], kind: str, field: str) -> Iterable[tuple[Loc, str]]:
    seen: Counter[str] = Counter()
    for index, ident in enumerate(ids):
        seen[ident] += 1
        if seen[ident] == 2:
            yield (field, index, "id"), f"duplicate {kind} id '{ident}'"


def _known(
    value: str, known: Sequence[str] | set[str] | dict[str, object], kind: str
) -> str | None:
    if value in known:
        return None
    return f"unknown {kind} '{value}'"


def _cross_reference_problems(s: Scenario) -> Iterable[tuple[Loc, str]]:
    yield from _duplicates((m.id for m in s.machines), "machine", "machines")
    yield from _duplicates((p.id for p in s.staff), "staff", "staff")
    yield from _duplicates((p.id for p in s.products), "product", "products")
    yield from _duplicates((m.id for m in s.materials), "material", "materials")
    yield from _duplicates((c.id for c in s.customers), "customer", "customers")
    yield from _duplicates((o.id for o in s.orders), "order", "orders")

    calendars = set(s.calendars) | {"always"}
    machines = {m.id for m in s.machines}
    products = {p.id for p in s.products}
    materials = {m.id for m in s.materials}
    customers = {c.id for c in s.customers}
    tiers = set(s.policy.tier_weights) | {"standard"}
    skill_count: Counter[str] = Counter()
    for person in s.staff:
        skill_count.update(set(person.skills))

    for i, machine in enumerate(s.machines):
        if (msg := _known(machine.calendar, calendars, "calendar")) is not None:
            yield ("machines", i, "calendar"), msg
    for i, person in enumerate(s.staff):
        if (msg := _known(person.calendar, calendars, "calendar")) is not None:
            yield ("staff", i, "calendar"), msg

    for i, product in enumerate(s.products):
        for k, op in enumerate(product.routing):
            for machine_id in op.machines:
                if machine_id not in machines:
                    yield (
                        ("products", i, "routing", k, "machines", machine_id),
                        f"unknown machine '{machine_id}'",
                    )
            if op.skill is not None:
                holders = skill_count[op.skill]
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
            if material_id not in materials:
                yield (
                    ("products", i, "materials", material_id),
                    f"unknown material '{material_id}'",
                )

    for i, material in enumerate(s.materials):
        for k, receipt in enumerate(material.receipts):
            if not s.horizon.start <= receipt.at < s.horizon.end:
                yield (
                    ("materials", i, "receipts", k, "at"),
                    f"receipt at {receipt.at.isoformat()} lies outside the horizon "
                    f"[{s.horizon.start.isoformat()}, {s.horizon.end.isoformat()})",
                )

    for product_id in s.stock:
        if product_id not in products:
            yield ("stock", product_id), f"unknown product '{product_id}'"

    for i, customer in enumerate(s.customers):
        if customer.tier not in tiers:
            yield (
                ("customers", i, "tier"),
                f"unknown tier '{customer.tier}': not a key of policy.tier_weights",
            )

    for i, order in enumerate(s.orders):
        if (msg := _known(order.customer, customers, "customer")) is not None:
            yield ("orders", i, "customer"), msg
        for k, line in enumerate(order.lines):
            if (msg := _known(line.product, products, "product")) is not None:
                yield ("orders", i, "lines", k, "product"), msg
