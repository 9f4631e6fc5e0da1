"""Where people look: the themes panel on the dashboards, the analysis on the case page
(both added through ``extra_template_vars`` as ``plugin_panels``), and the Themes page
where designers edit the dictionary, see the rules on words and start a re-index."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect
from markupsafe import Markup

from surveyor.auth.guards import current_user, staff
from surveyor.ids import utcnow
from surveyor.metrics.calendar import Calendar, marker_window
from surveyor.metrics.driver_cache import Cached
from surveyor.metrics.filters import calendar_of, read_filters
from surveyor.metrics.store import list_annotations
from surveyor.metrics.views import after_answer
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render, request_locale, template_gettext
from surveyor_text import jobs, store, suggest
from surveyor_text.analyze import Dictionary
from surveyor_text.models import DictionaryIn, ThemeIn
from surveyor_text.themes import report_as_of, share_between

DASHBOARD = re.compile(r"^/dashboard/(checkpoints|surveys)/([^/]+)$")
CASE = re.compile(r"^/followups/([^/]+)(?:/[a-z]+)?$")
RESPONSE = re.compile(r"^/responses/([^/]+)$")
MAX_ROWS = 100


def _render(request: Request[Any, Any, Any], name: str, context: dict[str, Any]) -> Markup:
    svc = services(request)
    gettext, ngettext = template_gettext(request_locale(request))
    html = svc.templates.get_template(name).render(
        {**context, "_": gettext, "gettext": gettext, "ngettext": ngettext}
    )
    return Markup(html)  # noqa: S704 - rendered by our autoescaping environment


async def feed_filters(request: Request[Any, Any, Any]) -> Markup:
    """The theme and sentiment selects of the Responses page's filters."""
    themes = await store.themes_or_default(services(request).db)
    q = request.query_params
    return _render(
        request,
        "surveyor_text/_feed_filters.html",
        {
            "themes": [t.name for t in themes],
            "labels": ("negative", "neutral", "positive"),
            "theme": q.get("theme", ""),
            "sentiment": q.get("sentiment", ""),
        },
    )


async def dashboard_panel(request: Request[Any, Any, Any]) -> Markup | None:
    match = DASHBOARD.match(request.url.path)
    if match is None:
        return None
    kind, key = match.groups()
    fixed = {"checkpoint": key} if kind == "checkpoints" else {"survey": key}
    filters, scope = read_filters(request, **fixed)
    db = services(request).db
    # Right after a write the last reports are shown "as of" their time and recomputed
    # after the answer (the dashboard runs the refreshes): no row scan in the request.
    shown: list[Cached] = []
    cached = await report_as_of(db, scope, filters.bucket, top=10)  # type: ignore[arg-type]
    shown.append(cached)
    changes = await change_shares(db, scope, cached.result, calendar_of(request), shown)
    for found in shown:
        if found.refresh is not None:
            after_answer(request, found.refresh)
    stale = [found.as_of for found in shown if found.as_of is not None]
    return _render(
        request,
        "surveyor_text/_panel.html",
        {"report": cached.result, "changes": changes, "as_of": min(stale) if stale else None},
    )


async def change_shares(
    db: Any,
    scope: Any,
    report: dict[str, Any],
    calendar: Calendar,
    shown: list[Cached],
) -> list[dict[str, Any]]:
    """For the checkpoint's three latest change markers: each top theme's share of the
    analysed comments in equal whole days (in the workspace's calendar) before and after
    the change, the same windows the dashboard's markers compare. The reports may be
    "as of" (``report_as_of``): each is added to ``shown``."""
    if not scope.checkpoint_key:
        return []
    now = utcnow()
    found = []
    names = [t["theme"] for t in report["themes"][:5]]

    async def report_of(part: Any) -> dict[str, Any]:
        cached = await report_as_of(db, part, "month", top=100)
        shown.append(cached)
        return cached.result  # type: ignore[no-any-return]

    for annotation in (await list_annotations(db, scope.checkpoint_key))[-3:][::-1]:
        window = marker_window(annotation.happened_on, now, calendar)
        if window.days == 0:
            continue
        start, change, end = window.before_start, window.change, window.after_end
        before = await report_of(scope.shifted(start, change))
        after = await report_of(scope.shifted(change, end))
        found.append(
            {
                "title": annotation.title,
                "day": annotation.happened_on,
                "themes": [
                    {
                        "theme": name,
                        "before": share_between(before, name),
                        "after": share_between(after, name),
                    }
                    for name in names
                ],
            }
        )
    return found


async def case_panel(request: Request[Any, Any, Any]) -> Markup | None:
    """The analysis of a case's response (case page) or of a response (response page)."""
    db = services(request).db
    if match := RESPONSE.match(request.url.path):
        response_id: str | None = match.group(1)
    elif match := CASE.match(request.url.path):
        response_id = await store.case_response_id(db, match.group(1))
    else:
        return None
    if response_id is None:
        return None
    analysis = await store.get_analysis(db, response_id)
    return _render(request, "surveyor_text/_case.html", {"analysis": analysis})


def _keywords(text: str) -> list[str]:
    return [word.strip() for word in re.split(r"[,，、\n]", text) if word.strip()]


def dictionary_from_form(form: dict[str, Any]) -> DictionaryIn:
    """Rows ``name_i``, ``en_i``, ``zh_i``: a blank name drops the row; two rows with one
    name are merged (their keywords joined)."""
    merged: dict[str, dict[str, list[str]]] = {}
    for index in range(MAX_ROWS):
        name = str(form.get(f"name_{index}", "")).strip()
        if not name:
            continue
        entry = merged.setdefault(name, {"en": [], "zh": []})
        for lang in ("en", "zh"):
            for word in _keywords(str(form.get(f"{lang}_{index}", ""))):
                if word not in entry[lang]:
                    entry[lang].append(word)
    return msgspec.convert(
        {"themes": [{"name": n, **words} for n, words in merged.items()]}, DictionaryIn
    )


class ThemesPage(Controller):
    path = "/text"
    guards = [staff("designer")]
    include_in_schema = False

    @get("/themes", cache=False)
    async def page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._page(request)

    async def _page(
        self, request: Request[Any, Any, Any], error: str = "", status_code: int = 200
    ) -> Response[str]:
        db = services(request).db
        themes = await store.themes_or_default(db)
        counts = suggest.unmatched(await store.recent_key_phrases(db), Dictionary(themes))
        return await render(
            request,
            "surveyor_text/themes.html",
            {
                "themes": themes,
                "suggestions": suggest.suggest(counts),
                "rules": await store.list_rules(db),
                "progress": await jobs.reindex_progress(db),
                "error": error,
            },
            status_code=status_code,
        )

    @post("/themes", status_code=303)
    async def save(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await read_form(request)
        try:
            data = dictionary_from_form(form)
        except msgspec.ValidationError as exc:
            return await self._page(request, error=form_errors(exc), status_code=422)
        themes: list[ThemeIn] = list(data.themes)
        await services(request).db.write(lambda tx: store.save_themes(tx, themes))
        return Redirect("/text/themes", status_code=303)

    @post("/themes/accept", status_code=303)
    async def accept(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Add a suggested theme (name, English and Chinese keywords) to the dictionary;
        a theme of the same name gets the keywords added."""
        form = await read_form(request)
        name = str(form.get("name", "")).strip()
        db = services(request).db
        current = [
            {"name": t.name, "en": list(t.en), "zh": list(t.zh)}
            for t in await store.themes_or_default(db)
        ]
        entry = next((t for t in current if t["name"] == name), None)
        if entry is None:
            entry = {"name": name, "en": [], "zh": []}
            current.append(entry)
        for lang in ("en", "zh"):
            for word in _keywords(str(form.get(lang, ""))):
                if word not in entry[lang]:
                    entry[lang].append(word)
        try:
            data = msgspec.convert({"themes": current}, DictionaryIn)
        except msgspec.ValidationError as exc:
            return await self._page(request, error=form_errors(exc), status_code=422)
        themes: list[ThemeIn] = list(data.themes)
        await db.write(lambda tx: store.save_themes(tx, themes))
        return Redirect("/text/themes#suggested", status_code=303)

    @post("/reindex", status_code=303)
    async def reindex(self, request: Request[Any, Any, Any]) -> Redirect:
        current_user(request)
        await jobs.start_reindex(services(request))
        return Redirect("/text/themes#reindex", status_code=303)


ROUTES = (ThemesPage,)
