"""One router per resource: scenarios, solves, health."""
