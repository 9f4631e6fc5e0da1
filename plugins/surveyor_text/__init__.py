"""Built-in plugin: comment themes and sentiment, offline, in English and Chinese.

A plugin like any third-party one (docs/text.md): its own migrations, job kinds, routes,
templates and menu link; an in-transaction listener of ``ResponseCompleted`` that
queues the analysis; panels on the dashboards and the case page through
``extra_template_vars``. Its libraries (vaderSentiment, snownlp, jieba, langid) are
installed with Surveyor and load only in the analysis process (``process``), never in
a serving process; when one is missing it says so once at start-up, queues
nothing, and the rest of Surveyor works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from surveyor import hookimpl
from surveyor.delivery.models import JobKind
from surveyor.services import Services
from surveyor_text import analyze, api, jobs, records, views

__version__ = "1.0"
HERE = Path(__file__).resolve().parent
log = logging.getLogger("surveyor.text")
_STATE: dict[str, bool] = {}


@hookimpl
def register_migrations(register: Callable[[str, Path], None]) -> None:
    register("surveyor_text", HERE / "migrations")


@hookimpl
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    for kind in jobs.JOB_KINDS:
        register(kind)


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in (*api.ROUTES, *views.ROUTES):
        register(handler)


@hookimpl
def register_template_dirs(register: Callable[[Path], None]) -> None:
    register(HERE / "templates")


@hookimpl
def startup(services: Services) -> None:
    # What is stored is shown and filtered even while analysis is off.
    if not any(ext.name == records.NAME for ext in services.response_extensions):
        services.response_extensions.append(records.EXTENSION)
    # Erasure runs whether or not the libraries are here: analyses may exist from before.
    erased = services.tx_listeners.contact_erased
    if not any(getattr(known, "surveyor_text", False) for known in erased):
        eraser = jobs.erasure_listener()
        eraser.surveyor_text = True  # type: ignore[attr-defined]
        erased.append(eraser)
    missing = analyze.missing_libraries()
    if missing:
        if not _STATE.get("warned"):
            log.warning(
                "surveyor_text: comment analysis is off, missing libraries: %s (pip install %s)",
                ", ".join(missing),
                " ".join(missing),
            )
            _STATE["warned"] = True
        return
    found = services.tx_listeners.response_completed
    if not any(getattr(known, "surveyor_text", False) for known in found):
        listener = jobs.completion_listener(services)
        listener.surveyor_text = True  # type: ignore[attr-defined]
        found.append(listener)


@hookimpl
def menu_links(user: Any) -> list[dict[str, str]] | None:
    if user.can("designer"):
        return [{"href": "/text/themes", "label": "Themes"}]
    return None


_DASHBOARDS = frozenset({"metrics/dashboard.html", "metrics/_dashboard_body.html"})
_CASE_PAGES = frozenset(
    {
        "followups/case.html",
        "followups/_case.html",
        "metrics/response.html",
        "records/response.html",
    }
)
_PANEL_PAGES = _DASHBOARDS | _CASE_PAGES


@hookimpl
def extra_template_vars(template: str, request: Any) -> Any:
    # Synchronous for every other page (each respondent page runs this hook): only the
    # pages with a panel get the coroutine that builds it.
    if template != "records/feed.html" and template not in _PANEL_PAGES:
        return None
    return _template_vars(template, request)


async def _template_vars(template: str, request: Any) -> dict[str, Any] | None:
    if template == "records/feed.html":
        return {"feed_filters": [await views.feed_filters(request)]}
    if template in _DASHBOARDS:
        panel = await views.dashboard_panel(request)
    else:
        panel = await views.case_panel(request)
    return {"plugin_panels": [panel]} if panel is not None else None
