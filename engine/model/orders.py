"""Customers, orders and the planning policy."""

from __future__ import annotations

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
    """

    id: Id
    customer: Id
    lines: list[OrderLine] = Field(min_length=1)
    due: Instant
    release: Instant | None = None
    value: NonNegativeFloat = 0.0
    firm: StrictBool = True


class Weights(Frozen):
    """Weights of the objective terms; each term is reported separately."""

    tardiness: NonNegativeFloat = 1.0
    rejection: NonNegativeFloat = 1.0
    makespan: NonNegativeFloat = 0.0
    changeover: NonNegativeFloat = 0.0


class Policy(Frozen):
    """What matters most: customer tier weights and objective weights."""

    tier_weights: dict[Id, NonNegativeFloat] = Field(default_factory=lambda: {"standard": 1.0})
    weights: Weights = Field(default_factory=Weights)

    def tier_weight(self, tier: str) -> float:
        """Weight of a tier; ``standard`` weighs 1 unless the policy says otherwise."""
        if tier in self.tier_weights:
            return self.tier_weights[tier]
        if tier == "standard":
            return 1.0
        raise KeyError(tier)
