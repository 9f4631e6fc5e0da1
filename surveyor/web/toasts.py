"""Toasts ("Saved", "Webhook disabled") after an htmx request, from Python.

An htmx answer that carries ``HX-Trigger: {"toast": {"message": …, "kind": …}}`` makes
``static/ui.js`` show a toast in the page's ``#toasts`` region; ``kind`` is ``ok``,
``info`` or ``error`` (errors stay until closed). Translate the message before passing
it. For a full page, put ``toast`` (and ``toast_kind``) in the template context instead;
in a fragment, ``{{ toast_oob(message) }}`` from ``_macros.html`` does the same out of band.
"""

from __future__ import annotations

import json
from typing import Literal

from litestar import Response

ToastKind = Literal["ok", "info", "error"]


def toast_headers(message: str, kind: ToastKind = "ok") -> dict[str, str]:
    """The ``HX-Trigger`` header that shows ``message`` as a toast.

    JSON escapes every non-ASCII character, so a Chinese message is a valid header value.
    """
    return {"HX-Trigger": json.dumps({"toast": {"message": str(message), "kind": kind}})}


def with_toast(response: Response, message: str, kind: ToastKind = "ok") -> Response:
    """Add the toast to ``response`` (merging with an ``HX-Trigger`` already set)."""
    trigger = response.headers.get("HX-Trigger")
    events: dict[str, object] = {}
    if trigger:
        try:
            found = json.loads(trigger)
            events = found if isinstance(found, dict) else {trigger: None}
        except ValueError:
            events = {name.strip(): None for name in trigger.split(",") if name.strip()}
    events["toast"] = {"message": str(message), "kind": kind}
    response.headers["HX-Trigger"] = json.dumps(events)
    return response
