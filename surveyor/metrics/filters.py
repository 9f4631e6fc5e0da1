"""Query parameters of the metrics API, the export and the dashboards → a :class:`Scope`.

One parser for all three, so ``from``, ``to``, ``segment`` and ``bucket`` mean the same
everywhere and a bad value is always a 400 naming the field.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request

from surveyor.ids import utcnow
from surveyor.metrics import present
from surveyor.metrics.calendar import UTC_CALENDAR, Bucket, Calendar
from surveyor.metrics.queries import Scope
from surveyor.services import services
from surveyor.web.errors import invalid

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
SEGMENT = re.compile(r"^([A-Za-z0-9_]{1,64}):(.{1,200})$")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ID_LIKE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PERIODS = (30, 90, 180, 365)  # the dashboards' period buttons, in days


def calendar_of(request: Request[Any, Any, Any]) -> Calendar:
    """The workspace's calendar (time zone, week start) from the settings."""
    settings = services(request).settings
    return Calendar(zone=settings.timezone, week_start=settings.week_start)


def parse_moment(
    field: str, text: str, *, end: bool = False, calendar: Calendar = UTC_CALENDAR
) -> datetime:
    """``2026-03-01`` (a whole day in the workspace's zone: ``to`` includes it) or a full
    ISO-8601 timestamp."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return calendar.midnight(day + timedelta(days=1) if end else day)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, "expected a date (YYYY-MM-DD) or an ISO-8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_scope(
    *,
    survey: str | None = None,
    checkpoint: str | None = None,
    start: str | None = None,
    end: str | None = None,
    segment: str | None = None,
    now: datetime | None = None,
    default_days: int | None = DEFAULT_DAYS,
    max_days: int | None = MAX_DAYS,
    calendar: Calendar = UTC_CALENDAR,
) -> Scope:
    """``default_days=None``: without ``from``, everything since the beginning (exports).
    Dates are whole days in ``calendar``'s zone."""
    until = parse_moment("to", end, end=True, calendar=calendar) if end else (now or utcnow())
    if start:
        since = parse_moment("from", start, calendar=calendar)
    elif default_days is None:
        since = EPOCH
    else:
        since = until - timedelta(days=default_days)
    if since >= until:
        raise invalid("from", "must be before 'to'")
    if max_days is not None and until - since > timedelta(days=max_days):
        raise invalid("from", f"the period may span at most {max_days} days")
    if survey is not None and survey != "" and not ID_LIKE.match(survey):
        raise invalid("survey", "not a survey id")
    if checkpoint is not None and checkpoint != "" and not ID_LIKE.match(checkpoint):
        raise invalid("checkpoint", "not a checkpoint key")
    pair: tuple[str, str] | None = None
    if segment:
        match = SEGMENT.match(segment)
        if match is None:
            raise invalid("segment", "expected attribute:value, e.g. tier:gold")
        pair = (match.group(1), match.group(2))
    return Scope(
        start=since,
        end=until,
        survey_id=survey or None,
        checkpoint_key=checkpoint or None,
        segment=pair,
    )


def parse_bucket(value: str | None) -> Bucket | None:
    if value is None or value == "":
        return None
    if value not in ("week", "month"):
        raise invalid("bucket", "expected 'week' or 'month'")
    return value  # type: ignore[return-value]


COMPARE_SEGMENT = re.compile(r"^segment:([A-Za-z0-9_]{1,64})=(.{1,200})$")


def parse_compare(
    value: str | None, scope: Scope, calendar: Calendar = UTC_CALENDAR
) -> Scope | None:
    """``compare=previous_period | <from>/<to> | segment:<attr>=<value>`` → the other group.

    ``previous_period`` is the period of the same length just before; ``<from>/<to>`` is
    any other period (dates are whole days in the workspace zone, ``to`` included);
    ``segment:<attr>=<value>`` is the same period and filters for contacts with that
    attribute (it replaces the scope's own segment).
    """
    if value is None or value == "":
        return None
    text = value.strip()
    if len(text) > 300:
        raise invalid("compare", "too long")
    if text == "previous_period":
        return scope.previous()
    match = COMPARE_SEGMENT.match(text)
    if match is not None:
        return msgspec.structs.replace(scope, segment=(match.group(1), match.group(2)))
    if text.startswith("segment:"):
        raise invalid("compare", "expected segment:<attribute>=<value>, e.g. segment:tier=gold")
    parts = text.split("/")
    if len(parts) != 2 or not all(parts):
        raise invalid(
            "compare", "expected previous_period, <from>/<to> or segment:<attribute>=<value>"
        )
    since = parse_moment("compare", parts[0], calendar=calendar)
    until = parse_moment("compare", parts[1], end=True, calendar=calendar)
    if since >= until:
        raise invalid("compare", "the period's start must be before its end")
    if until - since > timedelta(days=MAX_DAYS):
        raise invalid("compare", f"the period may span at most {MAX_DAYS} days")
    return scope.shifted(since, until)


def compare_echo(other: Scope, kind: str) -> dict[str, Any]:
    return {"kind": kind, **scope_echo(other)}


def scope_echo(scope: Scope) -> dict[str, Any]:
    """The filters as applied (defaults filled in), for the API answer."""
    return {
        "from": scope.start.isoformat().replace("+00:00", "Z"),
        "to": scope.end.isoformat().replace("+00:00", "Z"),
        "survey": scope.survey_id,
        "checkpoint": scope.checkpoint_key,
        "segment": None if scope.segment is None else ":".join(scope.segment),
    }


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    days: int
    start: str
    end: str
    segment_key: str
    segment_value: str
    metric: str
    bucket: str

    def query(self, **changes: Any) -> str:
        values = {**msgspec.structs.asdict(self), **changes}
        pairs = [
            ("days", values["days"]),
            ("from", values["start"]),
            ("to", values["end"]),
            ("segment_key", values["segment_key"]),
            ("segment_value", values["segment_value"]),
            ("metric", values["metric"]),
            ("bucket", values["bucket"]),
        ]
        return urlencode([(k, v) for k, v in pairs if v not in ("", None)])


def read_filters(request: Request[Any, Any, Any], **fixed: str | None) -> tuple[Filters, Scope]:
    """The dashboards' query string (``days`` or ``from``/``to``, a segment, ``metric``,
    ``bucket``; ``fixed`` pins a survey or checkpoint) → what the form shows and the scope."""
    q = request.query_params
    try:
        days = int(q.get("days") or 90)
    except ValueError:
        raise invalid("days", "expected a number of days") from None
    if not 1 <= days <= 730:
        raise invalid("days", "expected 1 to 730 days")
    key, value = (q.get("segment_key") or "").strip(), (q.get("segment_value") or "").strip()
    scope = parse_scope(
        start=q.get("from") or None,
        end=q.get("to") or None,
        segment=f"{key}:{value}" if key and value else None,
        default_days=days,
        calendar=calendar_of(request),
        **fixed,
    )
    metric = q.get("metric") or "nps"
    if metric not in present.HEADLINE:
        raise invalid("metric", "expected nps, ces, csat or emotion")
    span = (scope.end - scope.start).days
    bucket = parse_bucket(q.get("bucket")) or ("week" if span <= 190 else "month")
    filters = Filters(
        days=days,
        start=q.get("from") or "",
        end=q.get("to") or "",
        segment_key=key,
        segment_value=value,
        metric=metric,
        bucket=bucket,
    )
    return filters, scope
