"""Dates and numbers in the reader's language: the Jinja filters every page uses (issue 19).

Moments are stored as ISO 8601 text in UTC; people read them in the workspace's time zone
(``Settings.timezone``) and in their own locale's words, with Babel's CLDR data:
``2 Dec 2026, 14:05`` / ``Dec 2, 2026, 2:05 PM`` / ``2026年12月2日 14:05``. Templates never
slice ISO text for display (``tests/test_formats.py`` greps for it); machine formats (input
values, ``<time datetime>``, CSV, the API) keep ISO.

Filters, all taking the locale and the zone from the template's context:

- ``when`` – date and time (``"medium"``: date medium + time short; ``"short"``);
  ``when(zone=True)`` names the zone after it.
- ``day`` – the date alone (``"medium"``, ``"short"``, ``"long"``).
- ``ago`` – a moment relative to now ("3 hours ago", "3小时前").
- ``number`` – an integer or decimal with the locale's grouping.
- ``decimal(places, signed=false)`` – exactly ``places`` decimals (``+0.25`` when signed).
- ``say`` – a message made in Python (``"▲ +2.1 · not significant"``) translated by
  ``surveyor.i18n.say`` (catalog entry or pattern).
- ``percent(places=0)`` – a ratio (0.453) as a percentage; ``percent_of`` for a value
  already in percent (45.3).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_decimal, format_percent

from surveyor.i18n import DEFAULT_LOCALE, say

EMPTY = "—"


@functools.cache
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag or DEFAULT_LOCALE)
    except (ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


@functools.cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def to_moment(value: Any) -> datetime | date | None:
    """ISO text, a ``datetime`` or a ``date`` → an aware ``datetime`` (UTC when naive) or
    a ``date``; None for empty or unreadable values."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_when(
    value: Any, locale: str, zone: str, length: str = "medium", *, name_zone=False
) -> str:
    moment = to_moment(value)
    if moment is None:
        return EMPTY if value in (None, "") else str(value)
    where = _locale(locale)
    if not isinstance(moment, datetime):
        return format_date(moment, length, locale=where)
    local = moment.astimezone(_zone(zone))
    date_text = format_date(local, "medium" if length == "medium" else length, locale=where)
    time_text = format_time(local, "short", locale=where)
    pattern = where.datetime_formats.get(length) or where.datetime_formats["medium"]
    text = str(pattern).replace("{1}", date_text).replace("{0}", time_text)
    if name_zone:
        text += " " + (local.tzname() or zone)
    return text


def format_day(value: Any, locale: str, zone: str, length: str = "medium") -> str:
    moment = to_moment(value)
    if moment is None:
        return EMPTY if value in (None, "") else str(value)
    if isinstance(moment, datetime):
        moment = moment.astimezone(_zone(zone)).date()
    return format_date(moment, length, locale=_locale(locale))


def format_ago(value: Any, locale: str, now: datetime | None = None) -> str:
    moment = to_moment(value)
    if moment is None:
        return EMPTY if value in (None, "") else str(value)
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    delta = moment - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, locale=_locale(locale))


def format_number(value: Any, locale: str) -> str:
    if value is None or value == "":
        return EMPTY
    try:
        return format_decimal(value, locale=_locale(locale))
    except (ValueError, TypeError, ArithmeticError):
        return str(value)


def format_fixed(value: Any, locale: str, places: int = 1, *, signed: bool = False) -> str:
    """``places`` decimals exactly; ``signed`` writes ``+`` before a positive value."""
    if value is None or value == "":
        return EMPTY
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
    if signed:
        pattern = f"+{pattern};-{pattern}"
    try:
        return format_decimal(float(value), format=pattern, locale=_locale(locale))
    except (ValueError, TypeError, ArithmeticError):
        return str(value)


def format_ratio(value: Any, locale: str, places: int = 0) -> str:
    """``0.453`` → ``45%`` / ``45.3%`` (``places=1``), in the locale's way."""
    if value is None or value == "":
        return EMPTY
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "") + "%"
    try:
        return format_percent(float(value), format=pattern, locale=_locale(locale))
    except (ValueError, TypeError, ArithmeticError):
        return str(value)


def _from(context: jinja2.runtime.Context) -> tuple[str, str]:
    return context.get("locale") or DEFAULT_LOCALE, context.get("time_zone") or "UTC"


@jinja2.pass_context
def when(
    context: jinja2.runtime.Context, value: Any, length: str = "medium", zone: bool = False
) -> str:
    locale, tz = _from(context)
    return format_when(value, locale, tz, length, name_zone=zone)


@jinja2.pass_context
def day(context: jinja2.runtime.Context, value: Any, length: str = "medium") -> str:
    locale, tz = _from(context)
    return format_day(value, locale, tz, length)


@jinja2.pass_context
def ago(context: jinja2.runtime.Context, value: Any) -> str:
    return format_ago(value, _from(context)[0])


@jinja2.pass_context
def number(context: jinja2.runtime.Context, value: Any) -> str:
    return format_number(value, _from(context)[0])


@jinja2.pass_context
def decimal(
    context: jinja2.runtime.Context, value: Any, places: int = 1, signed: bool = False
) -> str:
    return format_fixed(value, _from(context)[0], places, signed=signed)


@jinja2.pass_context
def percent(context: jinja2.runtime.Context, value: Any, places: int = 0) -> str:
    return format_ratio(value, _from(context)[0], places)


@jinja2.pass_context
def percent_of(context: jinja2.runtime.Context, value: Any, places: int = 0) -> str:
    """A value already in percent (``45.3``)."""
    if value is None or value == "":
        return EMPTY
    return format_ratio(float(value) / 100, _from(context)[0], places)


@jinja2.pass_context
def say_filter(context: jinja2.runtime.Context, value: Any) -> str:
    """Text made in Python (a badge, a chart label) in the page's language: ``say()``."""
    return say(str(value), _from(context)[0]) if value else ""


FILTERS = {
    "say": say_filter,
    "when": when,
    "day": day,
    "ago": ago,
    "number": number,
    "decimal": decimal,
    "percent": percent,
    "percent_of": percent_of,
}


def install(env: jinja2.Environment) -> None:
    """Register the filters on an environment (pages, and the plugins' own)."""
    env.filters.update(FILTERS)
