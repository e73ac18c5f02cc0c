"""orderplan's engine: domain model, CP-SAT model building, solving, checking, explaining."""
