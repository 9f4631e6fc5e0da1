"""What a respondent page is about, and how it is rendered.

A :class:`Sheet` gathers one page's facts (the version answered, the response so far,
the contact, the locale, where the form posts) whether it came from a personal link
(``/s/``) or a public one (``/p/``); the views build it, this module renders it. The
page templates live in ``templates/respond/``; ``_survey.html`` is the part htmx swaps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response
from markupsafe import Markup

from surveyor.branding.resolve import brand_look
from surveyor.contacts.models import Contact
from surveyor.i18n import best_locale, parse_accept_language, translations
from surveyor.invitations.models import Invitation
from surveyor.paths import TEMPLATES_DIR
from surveyor.respond import flow
from surveyor.respond.models import NewResponse
from surveyor.respond.models import Response as SurveyResponse
from surveyor.services import Services, services
from surveyor.surveys import logic
from surveyor.surveys import store as surveys
from surveyor.surveys.kinds import KindRegistry, question_kinds
from surveyor.surveys.models import SurveyVersion
from surveyor.surveys.questionview import question_view
from surveyor.web.templating import PageMemo, render

# A token page must not be cached by a proxy, indexed, or leak its URL as a Referer.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
# The survey template's variables for a page without a survey (StrictUndefined).
EMPTY_SHEET: dict[str, Any] = {
    "action": "",
    "step": None,
    "questions": [],
    "errors": {},
    "preselected": False,
    "hidden_inputs": {},
    "title": "",
    "intro": "",
    "ending": "",
}


@dataclass
class Sheet:
    action: str  # where the form posts (and where a plain-form POST redirects back to)
    version: SurveyVersion
    response: SurveyResponse | None
    answers: dict[str, Any]
    new: NewResponse
    locale: str  # the survey locale chosen for this respondent
    contact: Contact | None = None
    invitation: Invitation | None = None  # personal links
    properties: dict[str, Any] = field(default_factory=dict)
    hidden_inputs: dict[str, str] = field(default_factory=dict)
    resume_key: str = ""  # public links: the raw key whose hash ``new.resume_hash`` is

    @property
    def definition(self) -> Any:
        return self.version.definition

    @property
    def complete(self) -> bool:
        return self.response is not None and self.response.status == "complete"


async def cached_version(
    svc: Services, version_id: str, source: Any = None
) -> SurveyVersion | None:
    """Published versions never change, so they are kept in memory once read."""
    cache = svc.caches.survey_versions
    found = cache.get(version_id)
    if found is None:
        found = await surveys.get_version(source or svc.db, version_id)
        if found is not None:
            if len(cache) >= 512:
                cache.clear()
            cache[version_id] = found
    return found


def choose_locale(request: Request[Any, Any, Any], version: SurveyVersion, *first: str) -> str:
    """Invitation/contact locale, then Accept-Language, then the survey's default."""
    wanted = [tag for tag in first if tag]
    wanted += parse_accept_language(request.headers.get("accept-language", ""))
    return logic.resolve_locale(version.definition, wanted)


@functools.lru_cache(maxsize=256)
def interface_locale(locale: str, default: str) -> str:
    # Babel's Locale.parse looks at the file system; the answer never changes.
    return best_locale([locale, default])


def use_locale(request: Request[Any, Any, Any], locale: str) -> str:
    """Interface strings follow the survey locale when we have a catalog for it."""
    chosen = interface_locale(locale, services(request).settings.default_locale)
    request.scope.setdefault("state", {})["locale"] = chosen  # request.state.locale, cheaper
    return chosen


def kinds_of(request: Request[Any, Any, Any]) -> KindRegistry:
    return question_kinds(services(request))


async def render_sheet(
    request: Request[Any, Any, Any],
    sheet: Sheet,
    *,
    view: str = "",
    step: flow.Step | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    preselected: bool = False,
    embed: bool = False,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The survey page (or, for htmx, the ``#survey`` part) in its current state."""
    catalog = translations(use_locale(request, sheet.locale))
    # Answer errors come from the kinds' checks in English; shown through the catalog.
    errors = {qid: catalog.gettext(message) for qid, message in (errors or {}).items()}
    definition = sheet.definition
    values = sheet.answers if values is None else values
    # htmx asked: the page has JavaScript (the only way to send this header from a form).
    swapped = bool(getattr(request, "htmx", None))
    if not view:
        if sheet.complete:
            view = "thanks"
        else:
            current = sheet.response.current_step if sheet.response else ""
            if step is None:
                step = flow.first_step(definition, sheet.answers, current)
                if step is not None and swapped:
                    step = flow.optional_together(definition, sheet.answers, step)
            view = "step" if step is not None else "thanks"
    if step is not None:
        step = flow.counted(definition, sheet.answers, step)
    svc = services(request)
    default = definition.default_locale
    brand = await brand_look(
        svc,
        sheet.version.survey_id,
        survey_name=logic.text_for(definition.settings.brand, sheet.locale, default),
    )
    embed = embed or sheet.action.endswith("?embed=1")
    shown = [values.get(q.id) for q in step.questions] if view == "step" and step else []
    inputs = (view, step, shown, errors, preselected, embed, swapped, brand)
    memo = page_memo(svc, sheet, inputs, lambda: sheet_context(request, sheet, inputs, values))
    return await render(
        request,
        "respond/survey.html",
        # With a memo the context is built only when the page is not in it.
        None if memo is not None else sheet_context(request, sheet, inputs, values),
        fragment="respond/_survey.html",
        status_code=status_code,
        headers={**PRIVATE_HEADERS, **(headers or {})},
        memo=memo,
    )


def sheet_context(
    request: Request[Any, Any, Any],
    sheet: Sheet,
    inputs: tuple[Any, ...],
    values: dict[str, Any],
) -> dict[str, Any]:
    """The survey template's context: built from ``inputs`` (``render_sheet``) and the
    sheet alone, which is what lets ``page_memo`` key a page on them."""
    view, step, _shown, errors, preselected, embed, swapped, brand = inputs
    definition = sheet.definition
    default = definition.default_locale
    kinds = kinds_of(request)
    questions = []
    if view == "step" and step is not None:
        questions = [
            question_view(
                q,
                definition=definition,
                locale=sheet.locale,
                value=values.get(q.id),
                error=errors.get(q.id, ""),
                contact=sheet.contact,
                properties=sheet.properties,
                kinds=kinds,
                brand=brand.name,
            )
            for q in step.questions
        ]
    return {
        "view": view,
        "action": sheet.action,
        "step": step,
        "questions": questions,
        "errors": errors,
        "preselected": preselected,
        "embed": embed,
        "hidden_inputs": sheet.hidden_inputs,
        "title": logic.recall(
            logic.text_for(definition.title, sheet.locale, default),
            contact=sheet.contact,
            brand=brand.name,
        ),
        "intro": logic.recall(
            logic.text_for(definition.intro, sheet.locale, default),
            contact=sheet.contact,
            properties=sheet.properties,
            brand=brand.name,
        )
        if step is not None and step.position == 1 and not sheet.answers
        else "",
        "ending": flow.ending_text(
            definition,
            sheet.answers,
            locale=sheet.locale,
            contact=sheet.contact,
            properties=sheet.properties,
            brand=brand.name,
        )
        if view in ("thanks", "already")
        else "",
        "swapped": swapped,
        "brand": brand,
    }


def page_memo(
    svc: Services, sheet: Sheet, inputs: tuple[Any, ...], fill: Callable[[], dict[str, Any]]
) -> PageMemo | None:
    """Reuse of the sheet's rendered page (``surveyor.web.templating.PageMemo``): the same
    inputs render the same HTML for every customer but the form's action, which holds
    their link. The key is what ``sheet_context`` builds the page from: the published
    version (its texts never change), the locale, ``inputs`` (view, step, answers shown,
    errors, brand…), whether the intro shows, the ending chosen, and, only when the survey's texts recall them, the contact and the link's properties. None
    when the respondent templates are not the built-in ones (an override may read more
    than its context) or reload in debug mode."""
    if not builtin_respond_templates(svc):
        return None
    view, step = inputs[0], inputs[1]
    definition = sheet.definition
    parts = (
        sheet.version.id,
        sheet.locale,
        view,
        None if step is None else (step.ids, step.position, step.total, step.minimum),
        *inputs[2:],
        sheet.hidden_inputs,
        step is not None and step.position == 1 and not sheet.answers,  # the intro
        _ending(definition, sheet.answers) if view in ("thanks", "already") else None,
        (sheet.contact, sheet.properties) if recalls_people(definition) else None,
    )
    try:
        key = msgspec.json.encode(parts, enc_hook=_markup_text)
    except (TypeError, msgspec.EncodeError):  # a plugin kind's answer msgspec cannot encode
        return None
    if len(key) > MEMO_KEY_BYTES:  # long answers shown again: rare, and would fill memory
        return None
    pages = svc.caches.respond.setdefault(PAGES, {})
    return PageMemo(cache=pages, key=key, late={"action": sheet.action}, size=MEMO_PAGES, fill=fill)


def _ending(definition: Any, answers: dict[str, Any]) -> int:
    """Which ending the thank-you shows (its place; -1: the default), as ``flow.ending_text``
    chooses it: remembered per survey version by what it depends on (the answers the
    conditions of the questions and of the endings look at)."""
    memo = logic.definition_memo(definition, "ending")
    looked_at = memo.get("")
    if looked_at is None:
        looked_at = memo[""] = sorted(
            {r.question for e in definition.endings if e.condition for r in e.condition.rules}
        )
    seen = logic.condition_inputs(definition, answers)
    try:
        key = (seen or b"") + msgspec.json.encode(
            {q: answers[q] for q in looked_at if q in answers}
        )
    except (TypeError, msgspec.EncodeError):
        seen = None
    found = memo.get(key) if seen is not None else None
    if found is None:
        chosen = logic.choose_ending(definition, answers)
        found = next((i for i, e in enumerate(definition.endings) if e is chosen), -1)
        if seen is not None:
            memo[key] = found
    return found


def recalls_people(definition: Any) -> bool:
    """Whether any text of ``definition`` recalls a contact's field or a link's property
    (``{contact.name}``, ``{properties.order}``): then its pages differ per customer."""
    memo = logic.definition_memo(definition, "recalls-people")
    found = memo.get(True)
    if found is None:
        found = memo[True] = any(
            match.group(1)
            for _path, text, _required in logic.text_fields(definition)
            for value in text.values()
            for match in logic.PLACEHOLDER.finditer(value)
        )
    return found


def _markup_text(value: Any) -> str:
    # Texts are Markup (already escaped); anything else unknown cannot be told apart.
    if isinstance(value, Markup):
        return str(value)
    raise TypeError(f"cannot key a page on {type(value).__name__}")


# The memo stays small: at most MEMO_PAGES pages (~6-10 KB each) with keys of at most
# MEMO_KEY_BYTES, a few MB per process however the pages' inputs vary.
MEMO_PAGES = 256
MEMO_KEY_BYTES = 4096
PAGES = "pages"  # in ``svc.caches.respond``: rendered sheets by their inputs
BUILTIN = "builtin-templates"  # in ``svc.caches.respond``: whether none is overridden


def builtin_respond_templates(svc: Services) -> bool:
    """Whether every respondent template in use is the built-in one, unchanged while the
    process runs: a page rendered from them depends on its context alone."""
    found = svc.caches.respond.get(BUILTIN)
    if found is None:
        env = svc.templates
        names = [
            p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.glob("respond/*.html")
        ]
        found = not env.auto_reload and all(
            Path(env.get_template(name).filename or "").parent == TEMPLATES_DIR / "respond"
            for name in names
        )
        svc.caches.respond[BUILTIN] = found
    return found


async def render_notice(
    request: Request[Any, Any, Any],
    view: str,
    *,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """A page without a survey: ``unavailable`` (unknown or expired link) or ``limited``."""
    request.state.locale = best_locale(
        parse_accept_language(request.headers.get("accept-language", ""))
        or [services(request).settings.default_locale]
    )
    context = {
        **EMPTY_SHEET,
        "view": view,
        "swapped": bool(getattr(request, "htmx", None)),
        "brand": await brand_look(services(request)),
    }
    return await render(
        request,
        "respond/survey.html",
        context,
        fragment="respond/_survey.html",
        status_code=status_code,
        headers={**PRIVATE_HEADERS, **(headers or {})},
    )
