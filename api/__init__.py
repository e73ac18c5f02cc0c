"""orderplan's HTTP service (FastAPI app, persistence, workers)."""
