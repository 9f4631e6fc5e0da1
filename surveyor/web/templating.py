"""Jinja environment and the one render helper every page goes through.

Loader order: the operator's ``SURVEYOR_TEMPLATES_DIR`` → plugin folders → built-in
templates. The built-in version of any template stays reachable as
``default:<name>``, so an override can ``{% extends "default:base.html" %}``.
Litestar renders synchronously, so ``render`` awaits every hook first, then renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from litestar import Request, Response
from litestar.enums import MediaType
from markupsafe import Markup

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


def request_locale(request: Request[Any, Any, Any]) -> str:
    return getattr(request.state, "locale", None) or services(request).settings.default_locale


def request_gettext(request: Request[Any, Any, Any]) -> Any:
    """``_ = request_gettext(request)``: messages in the signed-in person's language, for
    text made in Python (form errors, toasts)."""
    return translations(request_locale(request)).gettext


async def render(
    request: Request[Any, Any, Any],
    template: str | list[str],
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render a page, or only ``fragment`` when htmx asks for part of a page.

    ``template`` may be a list of candidate names, most specific first.
    """
    svc = services(request)
    names = [template] if isinstance(template, str) else list(template)
    htmx = getattr(request, "htmx", None)
    if fragment and htmx and not htmx.boosted:
        names = [fragment]
    chosen = svc.templates.select_template(names)
    state = request.state  # Litestar builds a new State object on every access
    user = getattr(state, "user", None)
    session = getattr(state, "session", None)
    page: dict[str, Any] = {}
    for extra in await gather(
        svc.pm.hook.extra_template_vars, template=chosen.name, request=request
    ):
        if isinstance(extra, dict):
            page.update(extra)
    menu: list[dict[str, str]] = []
    if user is not None:
        for links in await gather(svc.pm.hook.menu_links, user=user):
            menu.extend(link for link in links if isinstance(link, dict))
    locale = getattr(state, "locale", None) or svc.settings.default_locale
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
    page.update(context or {})
    for key, value in page.items():
        # Error messages made in Python reach the reader in their language (issue 19).
        if (key == "error" or key.endswith("_error")) and type(value) is str:
            page[key] = say(value, locale)
    html = chosen.render(page)
    return Response(html, media_type=MediaType.HTML, status_code=status_code, headers=headers)
