"""The product's own interface strings: gettext catalogs kept as ``.po`` files.

Catalogs live in ``surveyor/locale/<locale>/LC_MESSAGES/messages.po`` and are compiled
in memory with Babel the first time a locale is used, so no binary ``.mo`` file is
committed or can drift from its source. Templates call ``_("…")``.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "en"


@functools.cache
def available_locales() -> tuple[str, ...]:
    found = {DEFAULT_LOCALE}
    if LOCALE_DIR.is_dir():
        found.update(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    return tuple(sorted(found))


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def normalize_locale(tag: str) -> str | None:
    """``zh-CN``, ``zh_Hans``, ``ZH-cn`` → ``zh_Hans_CN``-style Babel identifier, or None."""
    tag = tag.strip().replace("-", "_")
    if not tag or len(tag) > 35:
        return None
    try:
        return str(Locale.parse(tag))
    except (ValueError, UnknownLocaleError):
        return None


def best_locale(candidates: list[str], supported: tuple[str, ...] | None = None) -> str:
    """The first candidate we have a catalog for, matching on language when needed."""
    supported = supported or available_locales()
    for candidate in candidates:
        normal = normalize_locale(candidate)
        if not normal:
            continue
        if normal in supported:
            return normal
        language = normal.split("_", 1)[0]
        for option in supported:
            if option.split("_", 1)[0] == language:
                return option
    return DEFAULT_LOCALE


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]
