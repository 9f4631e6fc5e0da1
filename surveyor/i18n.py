"""The product's own interface strings: gettext catalogs kept as ``.po`` files.

Catalogs live in ``surveyor/locale/<locale>/LC_MESSAGES/messages.po`` and are compiled
in memory with Babel the first time a locale is used, so no binary ``.mo`` file is
committed or can drift from its source. Templates call ``_("…")``.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from pathlib import Path

from babel import Locale, UnknownLocaleError

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
    # Here, not at the top: Babel's catalog reader and writer (~1.5 MB) are needed only
    # when the first non-English page is served.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

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


# The sentences with values inside that domain errors, problem details and presenters'
# badges are made of ({0}, {1}… stand for the values). ``tests/test_i18n_complete.py``
# finds every error raised with an f-string and fails when its pattern is missing here or
# has no zh_Hans entry.
DOMAIN_PATTERNS: tuple[str, ...] = (
    # problems that keep a survey from being published (surveyor/surveys/validation.py)
    "{0} is not in locales",
    "{0} does not apply to a {1} question",
    "missing text in {0}",
    "duplicate question id {0}",
    "duplicate option id {0}",
    "duplicate ending id {0}",
    "refers to {0}, which is not asked before this point",
    "unknown question {0}",
    "{0} is not a number",
    "{0} is not one of the options of {1}",
    "a {0} question has no options",
    # dashboard figures and badges (surveyor/metrics/present.py), shown with ``| say``
    "{0} · significant",
    "{0} · not significant",
    "{0} · not significant after FDR control",
    "{0} % easy (5–7)",
    "Choose a number from {0} to {1}.",
    "Keep your answer under {0} characters.",
    "No checkpoint {0}.",
    "a checkpoint {0} exists already",
    "a link {0} exists already",
    "a theme name of 1 to {0} characters",
    "a {0} case cannot be snoozed",
    "a {0} case cannot move to {1}",
    "at most {0} cases at once",
    "at most {0} characters",
    "at most {0} characters once filled in",
    "at most {0} days ahead",
    "at most {0} saved filters",
    "failed ({0})",
    "gave {0}, not a string{1}",
    "gave {0}, not an object",
    "larger than {0} bytes",
    "line {0}: {1}",
    "nested deeper than {0} levels",
    "no checkpoint {0}",
    "no contact {0}",
    "no delivery {0}",
    "no ending {0}",
    "no follow-up {0}",
    "no link {0}",
    "no question {0}",
    "no response {0}",
    "no saved filter {0}",
    "no survey {0}",
    "not JSON ({0})",
    "not a JSON path: {0}",
    "not a valid JMESPath expression ({0})",
    "one of open, {0}",
    "one of {0}",
    "only dead deliveries can be retried; this one is {0}",
    "paste the signing secret that {0} shows for the webhook",
    "pick one of: {0}",
    "rule {0}: unknown comparison {1}",
    "survey {0} has no version {1}",
    "the case is {0}, not resolved or closed",
    "the filter {0} is not available",
    "the inbox has no filter {0}",
    "the period may span at most {0} days",
    "this API key lacks the {0} scope",
    "unknown channel {0}; known: {1}",
    "unknown placeholder {{ {0} }}",
    "unknown question kind {0}",
    "unknown template (choose {0})",
    "unknown template; choose {0}",
    "{0} is not a known locale",
    "{0} is not an IANA time zone",
    "{0} problem(s) prevent publishing",
    "{0}: not a translatable string",
    "{0}: not one of the survey's locales",
    "{0}: the default locale cannot be removed",
)


# Messages made in Python with values inside: the English pattern ({0}, {1}… mark the
# values) is the message id, so the catalog translates the words and keeps the values.
# ``tests/test_i18n_complete.py`` fails on a domain error whose sentence is neither a
# catalog entry nor one of these patterns.
PATTERNS: tuple[str, ...] = (
    "choose at least {0}.",
    "choose at most {0}.",
    "use at least {0} characters.",
    "use at most {0} characters.",
    "enter {0} or more.",
    "enter {0} or less.",
    "{0} is not one of the choices.",
    "This form has no field `{0}`; reload the page and try again.",
    "Too many failed attempts. Wait {0} seconds and try again.",
    "longer than {0} characters",
    *DOMAIN_PATTERNS,
)
_SLOT = re.compile(r"\\\{(\d)\\\}")


@functools.cache
def _pattern_regexes() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile("^" + _SLOT.sub(r"(?P<v\1>.+?)", re.escape(p)) + "$"), p) for p in PATTERNS
    )


def say(text: str, locale: str) -> str:
    """A message made in Python (an error, a notice), in the reader's language.

    ``field: sentence`` keeps the field's name (it is what the form calls it) and
    translates the sentence; a sentence with a value inside is found by its pattern
    (``PATTERNS``). A message the catalog does not know stays as it was."""
    if not text or locale == DEFAULT_LOCALE:
        return text
    catalog = translations(locale)
    found = catalog.gettext(text)
    if found != text:
        return found
    for regex, pattern in _pattern_regexes():
        match = regex.match(text)
        if match:
            translated = catalog.gettext(pattern)
            if translated != pattern:
                for name, value in match.groupdict().items():
                    translated = translated.replace("{" + name[1:] + "}", value)
                return translated
    field, sep, sentence = text.partition(": ")
    if sep and re.fullmatch(r"[A-Za-z_][\w.\[\]-]{0,80}", field):
        return f"{field}: {say(sentence, locale)}"
    return text
