"""Jinja environment and the one render helper every page goes through.

Loader order: the operator's ``SURVEYOR_TEMPLATES_DIR`` → plugin folders → built-in
templates. The built-in version of any template stays reachable as
``default:<name>``, so an override can ``{% extends "default:base.html" %}``.
Litestar renders synchronously, so ``render`` awaits every hook first, then renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import msgspec
from litestar import Request, Response
from litestar.enums import MediaType
from markupsafe import Markup, escape

from surveyor.i18n import say, translations
from surveyor.paths import TEMPLATES_DIR
from surveyor.plugins import gather
from surveyor.services import services
from surveyor.web import formats


def make_environment(
    user_dir: str, plugin_dirs: list[Path], *, auto_reload: bool = False
) -> jinja2.Environment:
    search: list[jinja2.BaseLoader] = []
    if user_dir:
        search.append(jinja2.FileSystemLoader(user_dir))
    search.extend(jinja2.FileSystemLoader(str(d)) for d in plugin_dirs)
    search.append(jinja2.FileSystemLoader(str(TEMPLATES_DIR)))
    search.append(
        jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(TEMPLATES_DIR))}, delimiter=":")
    )
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(search),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Checking every template file's mtime on each render cost ~3 % of an answer
        # POST; templates change with deployments, so only debug mode watches them.
        auto_reload=auto_reload,
    )
    env.install_null_translations(newstyle=True)  # per-request catalogs come in the context
    formats.install(env)  # when, day, number, percent… read locale and time_zone from the context
    return env


def template_gettext(locale: str) -> tuple[Any, Any]:
    """``_("Hello %(name)s", name=x)``: catalog text is trusted, the variables are escaped."""
    catalog = translations(locale)

    def gettext(message: str, **variables: Any) -> Markup:
        text = Markup(catalog.gettext(message))  # noqa: S704 - our own catalog
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
        text = Markup(catalog.ngettext(singular, plural, n))  # noqa: S704 - our own catalog
        return text % {"num": n, **variables}

    return gettext, ngettext


def signed_in_user(request: Any) -> Any:
    """``request.state.user`` (None when nobody is signed in), read from the dict behind it:
    ``request.state`` builds a new ``State`` on every access, and a missing ``user`` then
    costs two exceptions. For the ``extra_template_vars`` hooks, run on every page."""
    state = request.scope.get("state")
    return state.get("user") if state else None


def request_locale(request: Request[Any, Any, Any]) -> str:
    return getattr(request.state, "locale", None) or services(request).settings.default_locale


def request_gettext(request: Request[Any, Any, Any]) -> Any:
    """``_ = request_gettext(request)``: messages in the signed-in person's language, for
    text made in Python (form errors, toasts)."""
    return translations(request_locale(request)).gettext


@dataclass(frozen=True)
class PageMemo:
    """Lets ``render`` reuse a page it rendered before from the same inputs.

    ``key`` encodes the caller's whole context but the ``late`` values; ``render`` adds
    what it puts in itself (the template chosen, the locale, the plugins' variables). A
    ``late`` value (e.g. the form's action, which holds a customer's link) is rendered as
    a marker and put in, escaped as Jinja would, after the page comes from ``cache``. Only
    for templates that read nothing but their context (not ``request``, ``current_path``
    or a signed-in ``user``): the caller decides (``surveyor.respond.pages``).
    """

    cache: dict[bytes, str]
    key: bytes
    late: dict[str, str]
    size: int = 512
    # Builds the context when the page is not in ``cache`` (``render``'s ``context`` is
    # then None): a page found costs none of its context's work.
    fill: Callable[[], dict[str, Any]] | None = None


def _late_marker(name: str) -> str:
    return f"\x00late:{name}\x00"


async def render(
    request: Request[Any, Any, Any],
    template: str | list[str],
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    memo: PageMemo | None = None,
) -> Response[str]:
    """Render a page, or only ``fragment`` when htmx asks for part of a page.

    ``template`` may be a list of candidate names, most specific first. With ``memo`` a
    page rendered before from the same inputs is reused (``PageMemo``).
    """
    svc = services(request)
    names = [template] if isinstance(template, str) else list(template)
    htmx = getattr(request, "htmx", None)
    if fragment and htmx and not htmx.boosted:
        names = [fragment]
    chosen = svc.templates.select_template(names)
    # The dict behind ``request.state``, which builds a new State object on every access
    # and raises twice for a missing ``user`` (issue 17: every respondent page).
    state = request.scope.get("state") or {}
    user = state.get("user")
    session = state.get("session")
    page: dict[str, Any] = {}
    extras = await gather(svc.pm.hook.extra_template_vars, template=chosen.name, request=request)
    for extra in extras:
        if isinstance(extra, dict):
            page.update(extra)
    locale = state.get("locale") or svc.settings.default_locale
    full_key = _memo_key(memo, chosen.name, locale, extras) if user is None else None
    if memo is not None and full_key is not None:
        found = memo.cache.get(full_key)
        if found is not None:  # rendered before from the same inputs: nothing else to build
            return _memo_response(found, memo, status_code, headers)
    menu: list[dict[str, str]] = []
    if user is not None:
        for links in await gather(svc.pm.hook.menu_links, user=user):
            menu.extend(link for link in links if isinstance(link, dict))
    gettext, ngettext = template_gettext(locale)
    page.update(
        request=request,
        user=user,
        csrf_token=session.csrf_token if session is not None else "",
        static=svc.static.url,
        base_url=svc.settings.base_url,
        plugin_menu=menu,
        locale=locale,
        time_zone=svc.settings.timezone,
        lang=locale.replace("_", "-"),
        gettext=gettext,
        ngettext=ngettext,
        _=gettext,
        current_path=request.url.path,
    )
    if context is None and memo is not None and memo.fill is not None:
        context = memo.fill()
    page.update(context or {})
    for key, value in page.items():
        # Error messages made in Python reach the reader in their language (issue 19).
        if (key == "error" or key.endswith("_error")) and type(value) is str:
            page[key] = say(value, locale)
    if memo is None or full_key is None:
        html = chosen.render(page)
        return Response(html, media_type=MediaType.HTML, status_code=status_code, headers=headers)
    found = chosen.render({**page, **{k: _late_marker(k) for k in memo.late}})
    if len(memo.cache) >= memo.size:
        memo.cache.clear()
    memo.cache[full_key] = found
    return _memo_response(found, memo, status_code, headers)


def _memo_response(
    found: str, memo: PageMemo, status_code: int, headers: dict[str, str] | None
) -> Response[str]:
    html = found
    for name, value in memo.late.items():
        html = html.replace(_late_marker(name), str(escape(value)))
    return Response(html, media_type=MediaType.HTML, status_code=status_code, headers=headers)


def _memo_key(memo: PageMemo | None, template: str, locale: str, extras: list[Any]) -> bytes | None:
    """The caller's key with what ``render`` adds; None when a plugin's variables cannot be
    told apart (not encodable): then the page is rendered afresh."""
    if memo is None:
        return None
    try:
        return memo.key + msgspec.json.encode([template, locale, extras])
    except (TypeError, msgspec.EncodeError):
        return None
