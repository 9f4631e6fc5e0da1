"""Which brand a page or a message shows, and the checks a brand form goes through.

* :func:`brand_look` merges a survey's override over the workspace brand over the
  defaults (a per-process cache keeps the respondent path at one dict lookup).
* :func:`check_brand_form` and :func:`check_logo` turn a posted form into a
  :class:`BrandSettings` and a :class:`Logo`, or into errors that name the field.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import msgspec

from surveyor.branding import contrast, store
from surveyor.branding.models import (
    DEFAULT_ON_PRIMARY,
    DEFAULT_PRIMARY,
    WORKSPACE,
    BrandLook,
    BrandSettings,
    Logo,
)
from surveyor.cache import MISSING, TTLCache

MAX_NAME = 80
MAX_URL = 500
MAX_FONT_STACK = 200
MAX_LOGO_BYTES = 256 * 1024
# Raster images only: an SVG can carry scripts, and email clients show these four.
LOGO_TYPES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
# A font stack goes into a CSS custom property: names, spaces, commas, quotes, hyphens.
FONT_STACK = re.compile(r"^[A-Za-z0-9 ,\-_'\"]+$")
CACHE_SECONDS = 30.0


# -- resolution ------------------------------------------------------------------------


def _cache(svc: Any) -> TTLCache:
    if svc.caches.brand is None:
        svc.caches.brand = TTLCache(CACHE_SECONDS, max_size=2048)
    return svc.caches.brand


def forget_brands(svc: Any) -> None:
    """After a change in this process; other processes see it within ``CACHE_SECONDS``."""
    _cache(svc).clear()


async def brand_rows(svc: Any, survey_id: str | None) -> tuple[BrandSettings | None, ...]:
    """The workspace row and the survey's row (None where not set), cached."""
    cache = _cache(svc)
    scopes = [WORKSPACE] + ([survey_id] if survey_id else [])
    found = {scope: cache.get(scope) for scope in scopes}
    missing = [scope for scope, value in found.items() if value is MISSING]
    if missing:
        rows = await store.get_brands(svc.db, missing)
        for scope in missing:
            found[scope] = rows.get(scope)
            cache.put(scope, found[scope])
    return tuple(found[scope] for scope in scopes)


def merge_look(
    workspace: BrandSettings | None,
    survey: BrandSettings | None = None,
    *,
    survey_name: str = "",
    logo_url: Any = None,
) -> BrandLook:
    """The survey's choices over the workspace's over the defaults (pure).

    ``survey_name`` is the survey's own ``settings.brand`` in the shown locale, which
    wins over both rows; ``logo_url(logo_id)`` turns an uploaded logo into a URL.
    """
    layers = [b for b in (survey, workspace) if b is not None]

    def first(attribute: str) -> str:
        return next((getattr(b, attribute) for b in layers if getattr(b, attribute)), "")

    logo_src = ""
    for layer in layers:
        if layer.logo_id:
            logo_src = logo_url(layer.logo_id) if logo_url else f"/brand/logo/{layer.logo_id}"
            break
        if layer.logo_url:
            logo_src = layer.logo_url
            break
    primary, on_primary, link = _colours(first("primary_color"))
    return BrandLook(
        name=survey_name or first("name"),
        logo_src=logo_src,
        primary=primary,
        on_primary=on_primary,
        link=link,
        font_stack=first("font_stack"),
    )


@functools.lru_cache(maxsize=256)
def _colours(chosen: str) -> tuple[str, str, str]:
    """The primary colour, the text on it and the link colour: pure, and asked on every
    respondent page, so remembered (the contrast sums are most of ``merge_look``)."""
    primary = contrast.normalize_hex(chosen) or DEFAULT_PRIMARY
    if contrast.primary_problem(primary):  # a refused colour, shown back in a form
        primary = DEFAULT_PRIMARY
    on_primary = contrast.text_on(primary) if primary != DEFAULT_PRIMARY else DEFAULT_ON_PRIMARY
    ratio = contrast.contrast_ratio(primary, contrast.WHITE)
    return primary, on_primary, primary if ratio >= contrast.TEXT_MIN else "#1b1f24"


async def brand_look(
    svc: Any, survey_id: str | None = None, *, survey_name: str = "", absolute: bool = False
) -> BrandLook:
    """The brand of a survey (or of the workspace). ``absolute`` gives logo URLs built
    from ``SURVEYOR_BASE_URL``, for emails."""
    workspace, *rest = await brand_rows(svc, survey_id)
    survey = rest[0] if rest else None

    def logo_url(logo_id: str) -> str:
        path = f"/brand/logo/{logo_id}"
        return svc.settings.url(path) if absolute else path

    return merge_look(workspace, survey, survey_name=survey_name, logo_url=logo_url)


def look_context(look: BrandLook) -> dict[str, Any]:
    """A message's brand variables: ``brand`` (the name, maybe empty) and ``brand_look``."""
    return {"brand": look.name, "brand_look": msgspec.to_builtins(look)}


async def with_brand(svc: Any, message: Any) -> Any:
    """``message`` with the workspace brand in its context, unless it carries one: every
    email and SMS is branded, whoever composed it (invitations, case replies, notices)."""
    if "brand_look" in message.context:
        return message
    look = await brand_look(svc, absolute=True)
    context = {**look_context(look), **message.context}
    return msgspec.structs.replace(message, context=context)


# -- checking a form -------------------------------------------------------------------


Problem = tuple[str, dict[str, Any]]  # an English msgid and its %-variables


def check_brand_form(
    raw: dict[str, Any], scope: str, *, with_name: bool = True
) -> tuple[BrandSettings, dict[str, Problem]]:
    """The brand a form asks for, and its problems by field (msgids for the catalog).

    Values are echoed back trimmed even when wrong, so the form shows what was typed.
    """
    errors: dict[str, Problem] = {}

    def text(name: str, limit: int) -> str:
        value = raw.get(name, "")
        value = value if isinstance(value, str) else ""
        value = " ".join(value.split())
        if len(value) > limit:
            errors[name] = ("use at most %(limit)s characters.", {"limit": limit})
        return value[:limit]

    name = text("name", MAX_NAME) if with_name else ""
    logo_url = text("logo_url", MAX_URL)
    if logo_url:
        parts = urlsplit(logo_url)
        if parts.scheme != "https" or not parts.hostname or re.search(r"[\s\"'<>\\]", logo_url):
            errors["logo_url"] = ("give an https:// address of an image, or upload one.", {})
    color = text("primary_color", 20)
    if color:
        problem = contrast.primary_problem(color)
        normal = contrast.normalize_hex(color)
        if problem:
            ratio = contrast.rounded_ratio(normal) if normal else ""
            errors["primary_color"] = (problem, {"ratio": ratio})
        elif normal:
            color = normal
    font_stack = text("font_stack", MAX_FONT_STACK)
    if font_stack and not FONT_STACK.match(font_stack):
        errors["font_stack"] = (
            "use font names separated by commas (letters, digits, spaces, quotes, hyphens).",
            {},
        )
    return (
        BrandSettings(
            scope=scope,
            name=name,
            logo_url=logo_url,
            primary_color=color,
            font_stack=font_stack,
        ),
        errors,
    )


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes really are (never what the browser claimed)."""
    for content_type, magics in LOGO_TYPES.items():
        if any(data.startswith(m) for m in magics):
            if content_type == "image/webp" and data[8:12] != b"WEBP":
                continue
            return content_type
    return None


def check_logo(data: bytes) -> tuple[Logo | None, Problem | None]:
    """An uploaded logo, or why not (a msgid naming the limit)."""
    if len(data) > MAX_LOGO_BYTES:
        return None, (
            "the image is larger than %(limit)s KiB; make it smaller.",
            {"limit": MAX_LOGO_BYTES // 1024},
        )
    content_type = sniff_image(data)
    if content_type is None:
        return None, ("upload a PNG, JPEG, GIF or WebP image (SVG is not accepted).", {})
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Logo(id=digest, content_type=content_type, data=data, size=len(data)), None


def contrast_note(color: str) -> dict[str, str]:
    """What the form shows beside a saved colour: its ratio and the computed text colour."""
    color = color or DEFAULT_PRIMARY
    return {
        "ratio": contrast.rounded_ratio(color),
        "text_color": contrast.text_on(color),
        "text_ratio": contrast.rounded_ratio(color, contrast.text_on(color)),
    }
