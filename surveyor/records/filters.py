"""The response feed's filters: one Struct, parsed from query strings the same way for the
API, the feed page and its fragments, and turned into SQL by ``store.response_where``.

To add a filter: add a field here, parse it in :func:`parse_filter`, and add its clause in
``store.response_where``. Everything else (pagination, the page's form, saved filters)
follows. A plugin adds filters without editing this file through
``services.response_extensions`` (``surveyor.services.ResponseExtension``): its parameters
are parsed by its ``condition`` and kept in ``extra``/``extra_params``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec

from surveyor.metrics.calendar import UTC_CALENDAR, Calendar
from surveyor.web.errors import invalid

ID_LIKE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
SEGMENT = re.compile(r"^([A-Za-z0-9_]{1,64}):(.{1,200})$")
MAX_QUERY = 500
# Score bands, inclusive ranges on each key score's scale (the same cut-offs as the
# dashboards: NPS 9–10 promoters, CES 5–7 easy, CSAT 4–5 satisfied, emotion 8–10 positive).
BANDS: dict[str, dict[str, tuple[int, int]]] = {
    "nps": {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)},
    "ces": {"easy": (5, 7), "neutral": (4, 4), "difficult": (1, 3)},
    "csat": {"satisfied": (4, 5), "neutral": (3, 3), "unsatisfied": (1, 2)},
    "emotion": {"positive": (8, 10), "neutral": (4, 7), "negative": (1, 3)},
}
STATUSES = ("complete", "partial")


class ResponseFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What the feed shows. Empty strings and ``None`` mean "any"."""

    survey: str = ""
    checkpoint: str = ""
    date_from: str = ""  # ISO timestamps, compared with started_at
    date_to: str = ""
    nps: str = ""
    ces: str = ""
    csat: str = ""
    emotion: str = ""
    segment: tuple[str, str] | None = None
    has_comment: bool | None = None
    q: str = ""
    status: str = ""
    channel: str = ""
    locale: str = ""
    contact_id: str = ""
    # Plugins' filters (surveyor.services.ResponseExtension): their query parameters as
    # given, and the SQL selecting the response ids they keep.
    extra_params: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def query_string(self) -> str:
        """The filter as the feed's query string (for links and saved filters)."""
        return urlencode(
            {k: v for k, v in query_pairs(self).items() if v not in ("", None)}, doseq=False
        )


# Query-string name → ResponseFilter field, for the simple text ones.
TEXT_PARAMS = ("survey", "checkpoint", "channel", "locale", "contact_id")


def query_pairs(f: ResponseFilter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "survey": f.survey,
        "checkpoint": f.checkpoint,
        "from": f.date_from,
        "to": f.date_to,
        "nps": f.nps,
        "ces": f.ces,
        "csat": f.csat,
        "emotion": f.emotion,
        "segment": ":".join(f.segment) if f.segment else "",
        "has_comment": "" if f.has_comment is None else ("true" if f.has_comment else "false"),
        "q": f.q,
        "status": f.status,
        "channel": f.channel,
        "locale": f.locale,
        "contact_id": f.contact_id,
    }
    out.update(f.extra_params)
    return out


PARAMS = tuple(query_pairs(ResponseFilter()).keys())


STAMP = "%Y-%m-%dT%H:%M:%S.%f"


def _moment(field: str, text: str, *, end: bool, calendar: Calendar = UTC_CALENDAR) -> str:
    """A date is a whole day in the workspace's time zone (``to`` includes it), as on the
    dashboards and in exports; a timestamp must be UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            if end:
                return (
                    calendar.midnight(day + timedelta(days=1)) - timedelta(microseconds=1)
                ).strftime(STAMP)
            return calendar.midnight(day).strftime(STAMP)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, "expected a date (YYYY-MM-DD) or an ISO-8601 timestamp") from None
    if moment.utcoffset():
        raise invalid(field, "give the time in UTC (ending in Z)")
    return moment.strftime(STAMP)


def clean_search(text: str) -> str:
    """The search text as typed, checked: no control characters, at most 500 characters."""
    if len(text) > MAX_QUERY:
        raise invalid("q", f"at most {MAX_QUERY} characters")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise invalid("q", "must not contain control characters")
    return " ".join(text.split())


def parse_filter(
    params: Mapping[str, Any],
    *,
    strict: bool = True,
    calendar: Calendar = UTC_CALENDAR,
    extensions: Sequence[Any] = (),
) -> ResponseFilter:
    """Query parameters → a ResponseFilter; a bad value is a 400 naming its parameter.

    ``strict`` refuses parameters the feed does not know (the API does; the page ignores
    its own extra parameters such as ``page``). ``calendar``: the workspace's time zone,
    in which ``from``/``to`` dates are whole days. ``extensions``: the plugins'
    ``ResponseExtension`` list (``services.response_extensions``).
    """
    own = [name for ext in extensions for name in ext.params]
    if strict:
        unknown = sorted(set(params) - set(PARAMS) - set(own) - {"cursor", "limit"})
        if unknown:
            raise invalid(unknown[0], "unknown parameter")
    values: dict[str, Any] = {}
    for name in PARAMS:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str):
            raise invalid(name, "expected text")
        if len(raw) > 1000 and name != "q":
            raise invalid(name, "too long")
        values[name] = raw
    out: dict[str, Any] = {}
    for name in TEXT_PARAMS:
        if name in values:
            if not ID_LIKE.match(values[name]):
                raise invalid(name, "expected an id (letters, digits, _ . : -)")
            out[name] = values[name]
    if "from" in values:
        out["date_from"] = _moment("from", values["from"], end=False, calendar=calendar)
    if "to" in values:
        out["date_to"] = _moment("to", values["to"], end=True, calendar=calendar)
    if out.get("date_from") and out.get("date_to") and out["date_from"] > out["date_to"]:
        raise invalid("from", "must be before 'to'")
    for metric, bands in BANDS.items():
        if metric in values:
            if values[metric] not in bands:
                raise invalid(metric, f"one of {', '.join(bands)}")
            out[metric] = values[metric]
    if "segment" in values:
        match = SEGMENT.match(values["segment"])
        if match is None:
            raise invalid("segment", "expected attribute:value, e.g. tier:gold")
        out["segment"] = (match.group(1), match.group(2))
    if "has_comment" in values:
        flag = values["has_comment"].lower()
        if flag not in ("true", "false", "1", "0"):
            raise invalid("has_comment", "expected true or false")
        out["has_comment"] = flag in ("true", "1")
    if "status" in values:
        if values["status"] not in STATUSES:
            raise invalid("status", "one of complete, partial")
        out["status"] = values["status"]
    if "q" in values:
        out["q"] = clean_search(values["q"])
    pairs: list[tuple[str, str]] = []
    extra: list[tuple[str, tuple[Any, ...]]] = []
    for ext in extensions:
        given: dict[str, str] = {}
        for name in ext.params:
            raw = params.get(name)
            if raw is None or raw == "":
                continue
            if not isinstance(raw, str):
                raise invalid(name, "expected text")
            if len(raw) > 1000:
                raise invalid(name, "too long")
            given[name] = raw
        if given and ext.condition is not None:
            extra.append(ext.condition(given))
            pairs.extend(given.items())
    return ResponseFilter(**out, extra_params=tuple(pairs), extra=tuple(extra))


# -- search terms ------------------------------------------------------------------------

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def is_cjk(word: str) -> bool:
    """Scripts written without spaces: a word tokenizer sees a whole sentence as one
    token, so these are matched as substrings instead."""
    return any(
        "\u3040" <= ch <= "\u30ff"  # kana
        or "\u3400" <= ch <= "\u9fff"  # CJK ideographs
        or "\uac00" <= ch <= "\ud7af"  # hangul
        or "\uf900" <= ch <= "\ufaff"
        for ch in word
    )


def search_terms(q: str) -> tuple[list[str], list[str]]:
    """``(words, substrings)``: words for the full-text index (letters and digits only,
    so no operator or quote of either engine survives), CJK runs for substring search."""
    words: list[str] = []
    subs: list[str] = []
    for token in WORD.findall(q.lower()):
        (subs if is_cjk(token) else words).append(token[:100])
    return words[:20], subs[:20]
