"""Frozen, self-validating domain model of scenarios and plans."""

from engine.model.calendar import ALWAYS, DAYS, Calendar, Period, Window
from engine.model.orders import (
    Baseline,
    BaselineAssignment,
    Customer,
    Order,
    OrderLine,
    Policy,
    Weights,
)
from engine.model.plan import Assignment, Objective, Plan, PlanLine, PlanOrder, Status
from engine.model.products import Material, Operation, Product, Receipt
from engine.model.resources import Machine, StaffMember
from engine.model.scenario import Horizon, Scenario

__all__ = [
    "ALWAYS",
    "DAYS",
    "Assignment",
    "Baseline",
    "BaselineAssignment",
    "Calendar",
    "Customer",
    "Horizon",
    "Machine",
    "Material",
    "Objective",
    "Operation",
    "Order",
    "OrderLine",
    "Period",
    "Plan",
    "PlanLine",
    "PlanOrder",
    "Policy",
    "Product",
    "Receipt",
    "Scenario",
    "StaffMember",
    "Status",
    "Weights",
    "Window",
]
