"""Metrics: the key scores with their n and 95 % intervals, trends and comparisons.

``stats`` (the scores) and ``compare`` (period-against-period tests) are pure: they
take counts and sums that the SQL layer aggregated in the database. The formulas
are written down in docs/metrics.md.
"""
