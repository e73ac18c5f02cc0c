"""Benchmark harness: scenario generator, instance importers and reports."""
