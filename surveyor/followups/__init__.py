"""Follow-ups: every low score becomes a case that is owned, timed, acted on and verified.

``rules`` (does a response open a case, at what priority), ``sla`` (when it is due,
in wall-clock or business hours) and ``assign`` (who owns it) are pure; the store,
views and API wire them to the database and the web.
"""
