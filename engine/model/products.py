"""Products, their routings and bills of materials; raw materials and receipts."""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.model.base import Frozen, Id, Instant, Loc, NonNegativeInt, PositiveInt, located


class Operation(Frozen):
    """One step of a routing.

    An operation for quantity ``q`` on machine ``m`` lasts
    ``setup + q * machines[m]`` minutes and needs ``crew`` people holding
    ``skill`` for its whole length.
    """

    id: Id
    machines: dict[Id, NonNegativeInt] = Field(min_length=1)
    setup: NonNegativeInt = 0
    setup_family: Id | None = None
    skill: Id | None = None
    crew: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Operation:
        problems: list[tuple[Loc, str]] = []
        if self.crew is not None and self.crew > 0 and self.skill is None:
            problems.append(
                (("crew",), f"crew of {self.crew} needs a skill: name the skill the crew must hold")
            )
        if self.setup == 0:
            problems.extend(
                (
                    ("machines", machine),
                    f"operation takes no time on machine '{machine}': "
                    "give it a setup or positive minutes per unit",
                )
                for machine, rate in self.machines.items()
                if rate == 0
            )
        if problems:
            raise located(problems)
        return self

    @property
    def crew_size(self) -> int:
        """People needed: ``crew`` or its default (1 with a skill, else 0)."""
        if self.crew is not None:
            return self.crew
        return 1 if self.skill is not None else 0

    def duration(self, machine: str, quantity: int) -> int:
        """Minutes this operation takes for ``quantity`` units on ``machine``."""
        return self.setup + quantity * self.machines[machine]


class Product(Frozen):
    """A finished good: its routing and the materials one unit consumes."""

    id: Id
    routing: list[Operation] = Field(min_length=1)
    materials: dict[Id, PositiveInt] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_operations(self) -> Product:
        seen: set[str] = set()
        problems: list[tuple[Loc, str]] = []
        for k, op in enumerate(self.routing):
            if op.id in seen:
                problems.append(
                    (("routing", k, "id"), f"duplicate operation id '{op.id}' in routing")
                )
            seen.add(op.id)
        if problems:
            raise located(problems)
        return self


class Receipt(Frozen):
    """A purchase delivery, usable from ``at`` on."""

    at: Instant
    quantity: PositiveInt


class Material(Frozen):
    """A raw material: what is on hand and what arrives."""

    id: Id
    on_hand: NonNegativeInt = 0
    receipts: list[Receipt] = Field(default_factory=list)
