"""Structs of the follow-up rules: when a response opens a case, how urgent it is, and its SLA.

A rule is plain data (editable in the UI, stored as JSON, sent over the API), so
every Struct is frozen, rejects unknown fields and validates itself: a rule that
loads is a rule that can be evaluated.
"""

from __future__ import annotations

from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

Priority = Literal["low", "normal", "high", "urgent"]
# Lowest first: raising a priority moves right along this tuple.
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
ScoreKind = Literal["nps", "ces", "csat", "emotion"]
SCORE_SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "ces": (1, 7),
    "csat": (1, 5),
    "emotion": (1, 10),
}


class ScoreBand(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An answer of ``metric`` within [low, high] (inclusive) opens a case at ``priority``."""

    metric: ScoreKind
    low: int
    high: int
    priority: Priority = "normal"

    def __post_init__(self) -> None:
        lo, hi = SCORE_SCALES[self.metric]
        if not lo <= self.low <= self.high <= hi:
            raise ValueError(
                f"{self.metric}: band {self.low}–{self.high} must lie within {lo}–{hi}"
            )


# The defaults of the issue (NPS 0–6, CES 1–3, CSAT 1–2, emotion 1–3), split so the very
# worst answers are more urgent: an NPS of 0–3 is an angry customer, 4–6 a lukewarm one.
DEFAULT_BANDS: tuple[ScoreBand, ...] = (
    ScoreBand(metric="nps", low=0, high=3, priority="high"),
    ScoreBand(metric="nps", low=4, high=6, priority="normal"),
    ScoreBand(metric="ces", low=1, high=1, priority="high"),
    ScoreBand(metric="ces", low=2, high=3, priority="normal"),
    ScoreBand(metric="csat", low=1, high=1, priority="high"),
    ScoreBand(metric="csat", low=2, high=2, priority="normal"),
    ScoreBand(metric="emotion", low=1, high=1, priority="high"),
    ScoreBand(metric="emotion", low=2, high=3, priority="normal"),
)


class AttributeBoost(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A contact whose ``attribute`` equals one of ``values`` (case-insensitive) gets
    their case raised by ``levels`` priorities: ``tier = vip`` raises one level."""

    attribute: str
    values: tuple[str, ...]
    levels: int = 1

    def __post_init__(self) -> None:
        if not self.attribute.strip():
            raise ValueError("attribute: must not be empty")
        if not self.values:
            raise ValueError("values: name at least one value")
        if not 1 <= self.levels <= len(PRIORITIES) - 1:
            raise ValueError(f"levels: must be within 1–{len(PRIORITIES) - 1}")


DEFAULT_BOOSTS: tuple[AttributeBoost, ...] = (AttributeBoost(attribute="tier", values=("vip",)),)


class SlaHours(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Hours to act on a case, per priority (wall-clock or business hours, see the rule)."""

    urgent: float = 4
    high: float = 24
    normal: float = 48
    low: float = 120

    def __post_init__(self) -> None:
        for name in PRIORITIES:
            if not 0 < getattr(self, name) <= 24 * 365:
                raise ValueError(f"sla_hours.{name}: must be within (0, 8760]")

    def for_priority(self, priority: Priority) -> float:
        return float(getattr(self, priority))


class BusinessCalendar(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """When the team works: weekdays (Monday = 0), daily opening hours in local time,
    a time zone and holidays (local dates). ``closes = "24:00"`` means until midnight."""

    timezone: str = "UTC"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens: str = "09:00"
    closes: str = "17:00"
    holidays: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays: name at least one day, Monday = 0 … Sunday = 6")
        opens, closes = self.hours()
        if closes is not None and opens >= closes:
            raise ValueError("closes: must be after opens (no overnight shifts)")

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours(self) -> tuple[time, time | None]:
        """Opening and closing time; closing None means midnight at the end of the day."""
        try:
            opens = time.fromisoformat(self.opens)
            closes = None if self.closes == "24:00" else time.fromisoformat(self.closes)
        except ValueError as exc:
            raise ValueError("opens/closes: use HH:MM") from exc
        return opens, closes


class FollowupRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """When a completed response opens a case, and with what priority and SLA.

    Scoped to a survey and/or a checkpoint (None = any). ``calendar`` None counts the
    SLA in wall-clock hours; a calendar counts only its business hours.
    """

    id: str = ""
    name: str = ""
    active: bool = True
    survey_id: str | None = None
    checkpoint_id: str | None = None
    bands: tuple[ScoreBand, ...] = DEFAULT_BANDS
    keywords: tuple[str, ...] = ()
    keyword_priority: Priority = "normal"
    boosts: tuple[AttributeBoost, ...] = DEFAULT_BOOSTS
    sla_hours: SlaHours = msgspec.field(default_factory=SlaHours)
    calendar: BusinessCalendar | None = None
    recovery_survey: bool = False

    def __post_init__(self) -> None:
        if any(not k.strip() for k in self.keywords):
            raise ValueError("keywords: must not contain empty words")


# When no rule is configured at all, the defaults apply (NPS 0–6, CES 1–3,
# CSAT 1–2, emotion 1–3, VIPs raised a level); an operator who adds any rule takes over.
# Resolving a case sends the recovery re-survey ("did we fix it?") by default (issue 13).
DEFAULT_RULE = FollowupRule(
    id="default", name="Default: low scores, recovery survey on resolve", recovery_survey=True
)


class Scores(msgspec.Struct, frozen=True, kw_only=True):
    """The key scores of one response (None = not asked or skipped)."""

    nps: int | None = None
    ces: int | None = None
    csat: int | None = None
    emotion: int | None = None


class RuleDecision(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a case opens and why; ``reasons`` are shown on the case page."""

    opens: bool
    rule_id: str
    priority: Priority | None = None
    base_priority: Priority | None = None
    sla_hours: float | None = None
    reasons: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


# -- cases (stored) ------------------------------------------------------------------

CaseStatus = Literal["new", "in_progress", "waiting", "resolved", "closed"]
CASE_STATUSES: tuple[CaseStatus, ...] = ("new", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES: tuple[CaseStatus, ...] = ("new", "in_progress", "waiting")
EventKind = Literal[
    "open", "status", "note", "assign", "reopen", "recovery", "sla", "reply", "snooze"
]


class Followup(msgspec.Struct, frozen=True, kw_only=True):
    """One case: a low-scoring response with an owner (or the team queue) and a deadline."""

    id: str
    response_id: str
    contact_id: str | None = None
    survey_id: str
    checkpoint_key: str | None = None
    rule_id: str = ""
    priority: Priority
    status: CaseStatus
    assignee_id: str | None = None
    team_queue: bool = False
    reasons: list[str] = []
    due_at: str
    warn_at: str
    first_action_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    root_cause: str = ""
    outcome: str = ""
    recovery_invitation_id: str | None = None
    recovery_response_id: str | None = None
    recovered: bool | None = None
    created_at: str
    updated_at: str
    # Out of the inbox until this instant (UTC); None or a past instant: in it.
    snoozed_until: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class FollowupEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a case's timeline."""

    id: str
    followup_id: str
    at: str
    actor_id: str | None = None
    kind: EventKind
    body: str = ""
    detail: dict[str, object] = {}
