"""The dashboard's breakdowns: NPS by channel, the response funnel, and the latest
comments. Same rules as ``queries`` (``read_store`` runs their SQL): aggregates in the
database, counts out."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from surveyor.db import Database
from surveyor.ids import iso
from surveyor.invitations import store as invitations
from surveyor.metrics import read_store, rollups, stats
from surveyor.metrics.models import NpsResult
from surveyor.metrics.queries import Scope


async def nps_by_channel(db: Database, scope: Scope) -> dict[str, NpsResult]:
    """NPS per channel ('' is a link), channels without an NPS answer left out: from the
    hourly rollups (``rollups``), else from the rows."""
    if not rollups.applies(scope):
        return await row_nps_by_channel(db, scope)
    by_channel: dict[str, dict[int, int]] = {}
    for channel, found in (await rollups.counts_by_channel(db, scope)).items():
        counts = rollups.distribution(found, "nps")
        if counts:
            target = by_channel.setdefault(channel or "link", {})
            for score, n in counts.items():
                target[score] = target.get(score, 0) + n
    return {name: stats.nps_from_distribution(d) for name, d in sorted(by_channel.items())}


async def row_nps_by_channel(db: Database, scope: Scope) -> dict[str, NpsResult]:
    """NPS per channel from the rows (the reference)."""
    rows = await read_store.nps_counts_by_channel(db, scope)
    by_channel: dict[str, dict[int, int]] = {}
    for row in rows:
        target = by_channel.setdefault(row["channel"] or "link", {})
        target[int(row["nps"])] = target.get(int(row["nps"]), 0) + int(row["n"])
    return {name: stats.nps_from_distribution(d) for name, d in sorted(by_channel.items())}


class Funnel(msgspec.Struct, frozen=True, kw_only=True):
    """Invitations sent in the period and how far they got (the response rate)."""

    scheduled: int
    sent: int
    opened: int
    started: int
    completed: int

    def steps(self) -> list[tuple[str, int]]:
        return [
            ("scheduled", self.scheduled),
            ("sent", self.sent),
            ("opened", self.opened),
            ("started", self.started),
            ("completed", self.completed),
        ]

    @property
    def response_rate(self) -> float | None:
        return None if self.sent == 0 else 100 * self.completed / self.sent


async def funnel(db: Database, scope: Scope) -> Funnel:
    """Invitations whose send time falls in the scope, by how far they got.

    An invitation's status only moves forward (scheduled → sent → opened → answered;
    failed and expired are ends), so "sent" counts sent, opened, answered and expired
    ones; "started" and "completed" are the responses made from them. Segments do not
    apply here (the funnel is about delivery, not about who answered). Read from the
    funnel's hourly rollup (``rollups.funnel_counts``) unless rollups are off.
    """
    if rollups.ENABLED:
        counts = await rollups.funnel_counts(db, scope)
    else:
        counts = await invitations.funnel_counts(
            db,
            start=iso(scope.start),
            end=iso(scope.end),
            checkpoint_key=scope.checkpoint_key,
            survey_id=scope.survey_id,
        )
    by_status = counts.by_status
    return Funnel(
        scheduled=sum(by_status.values()),
        sent=sum(by_status.get(s, 0) for s in ("sent", "opened", "answered", "expired")),
        opened=sum(by_status.get(s, 0) for s in ("opened", "answered")),
        started=counts.started,
        completed=counts.completed,
    )


class Comment(msgspec.Struct, frozen=True, kw_only=True):
    response_id: str
    completed_at: str
    question_id: str
    text: str
    nps: int | None
    ces: int | None
    csat: int | None
    emotion: int | None
    survey_version_id: str
    followup_id: str | None = None


async def latest_comments(
    db: Database, scope: Scope, text_questions: Mapping[str, set[str]], limit: int = 8
) -> list[Comment]:
    """The newest free-text answers in the scope, with their response's scores and the
    follow-up case opened for it, if any.

    ``text_questions`` maps a survey version id to its text question ids; answers are
    JSON, so a text answer is a JSON string (it starts with a quote).
    """
    rows = await read_store.newest_text_answers(db, scope, limit * 4)
    found: list[Comment] = []
    for row in rows:
        if row["question_id"] not in text_questions.get(row["survey_version_id"], set()):
            continue
        text = msgspec.json.decode(row["value"])
        if not isinstance(text, str) or not text.strip():
            continue
        found.append(msgspec.convert({**row, "text": text}, Comment, strict=False))
        if len(found) >= limit:
            break
    return found
