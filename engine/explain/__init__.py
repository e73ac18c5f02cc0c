"""Explanations: KPIs and infeasibility diagnosis."""
