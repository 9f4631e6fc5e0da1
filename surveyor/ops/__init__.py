"""Operability: Prometheus metrics, readiness details, shared rate limits (issue 18)."""
