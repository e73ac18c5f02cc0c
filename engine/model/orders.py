"""Customers, orders and the planning policy."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from engine.model.base import Frozen, Id, Instant, NonNegativeFloat, PositiveInt


class Customer(Frozen):
    """A customer and its tier, a key of ``policy.tier_weights``."""

    id: Id
    tier: Id = "standard"


class OrderLine(Frozen):
    """A quantity of one product."""

    product: Id
    quantity: PositiveInt


class Order(Frozen):
    """A customer order.

    Parameters
    ----------
    due
        When the customer expects it; lateness past it is tardiness.
    release
        Earliest start of any of its operations (default: horizon start).
    value
        Revenue lost if the order is rejected.
    firm
        ``False`` lets the engine reject the order.
    expedited
        ``True`` while marketing expedites it: its tardiness weighs
        ``policy.expedite_weight`` instead of its customer's tier weight.
    """

    id: Id
    customer: Id
    lines: list[OrderLine] = Field(min_length=1)
    due: Instant
    release: Instant | None = None
    value: NonNegativeFloat = 0.0
    firm: StrictBool = True
    expedited: StrictBool = False


class Weights(Frozen):
    """Weights of the objective terms; each term is reported separately."""

    tardiness: NonNegativeFloat = 1.0
    rejection: NonNegativeFloat = 1.0
    makespan: NonNegativeFloat = 0.0
    changeover: NonNegativeFloat = 0.0
    stability: NonNegativeFloat = 1.0
    """Per hour a baseline operation's start moves, plus one hour-equivalent per machine change."""


class Policy(Frozen):
    """What matters most: customer tier weights, objective weights, and the frozen zone.

    Parameters
    ----------
    freeze_until
        Baseline operations starting before this instant keep their machine, staff
        and start; no other operation starts before it.
    """

    tier_weights: dict[Id, NonNegativeFloat] = Field(default_factory=lambda: {"standard": 1.0})
    weights: Weights = Field(default_factory=Weights)
    freeze_until: Instant | None = None

    @property
    def expedite_weight(self) -> float:
        """Weight of an expedited order: ``tier_weights.expedite``, else 10 x the highest tier."""
        if "expedite" in self.tier_weights:
            return self.tier_weights["expedite"]
        return 10.0 * max([1.0, *self.tier_weights.values()])

    def tier_weight(self, tier: str) -> float:
        """Weight of a tier; ``standard`` weighs 1 unless the policy says otherwise."""
        if tier in self.tier_weights:
            return self.tier_weights[tier]
        if tier == "standard":
            return 1.0
        raise KeyError(tier)


class BaselineAssignment(Frozen):
    """One operation of the published plan a scenario replans from (a plan's assignment)."""

    order: str
    line: Annotated[int, Field(ge=0, strict=True)]
    operation: str
    machine: str
    staff: list[str] = Field(default_factory=list)
    start: Instant
    end: Instant


class Baseline(Frozen):
    """The published plan this scenario replans from.

    Its references are not validated against the scenario: a baseline that no
    longer fits (a machine gone, an order cancelled) is reported by the engine,
    item by item, and what still fits is kept.
    """

    assignments: list[BaselineAssignment] = Field(default_factory=list)
