"""Response exports (CSV or JSON), streamed so a million rows fit in bounded memory.

One query (responses ⟕ contacts ⟕ answers, ordered by completion then id,
``read_store.export_rows``) is read in batches through ``db.stream``; rows of one
response are adjacent, so each is folded into one output row as soon as the next
response starts. Memory holds one batch and one pending response, whatever the size
of the export.

CSV cells are neutralised against spreadsheet formula injection: a cell beginning
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
(OWASP's advice), so Excel or LibreOffice show it as text instead of running it.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import msgspec
from litestar import Request, get
from litestar.response import Stream

from surveyor.auth.guards import staff
from surveyor.db import Database
from surveyor.metrics.filters import invalid, read_filters
from surveyor.metrics.labels import VersionLabels, answer_text, nps_class, version_labels
from surveyor.metrics.queries import Scope
from surveyor.metrics.read_store import export_rows
from surveyor.services import services
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry, question_kinds

BATCH = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
FIXED_COLUMNS = (
    "response_id",
    "survey_id",
    "survey_version",
    "checkpoint",
    "channel",
    "locale",
    "contact",
    "status",
    "started_at",
    "completed_at",
    "nps",
    "nps_class",
    "ces",
    "csat",
    "emotion",
)
Format = Literal["csv", "json"]
RowSource = Callable[[], AsyncIterator[list[dict[str, Any]]]]
# Plugins' additions per response (surveyor.records): the CSV columns as (name, key), and
# ``async (response ids) -> {id: {name: {key: value}}}``.
ExtraSource = tuple[
    list[tuple[str, str]], Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]
]


def _extra_cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made inert with a leading quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def question_columns(labels: dict[str, VersionLabels]) -> list[tuple[str, str]]:
    """``(question id, header)`` for every question of the versions, latest label winning."""
    headers: dict[str, str] = {}
    for version in sorted(labels.values(), key=lambda v: (v.survey_id, v.number)):
        for q in version.questions:
            headers[q.id] = f"{q.label} [{q.id}]"
    return list(headers.items())


async def _responses(
    db: Database, scope: Scope, rows: RowSource | None = None
) -> AsyncIterator[list[tuple[dict, dict]]]:
    """Batches of ``(response row, {question id: answer})``, one response at a time."""
    pending: tuple[dict[str, Any], dict[str, Any]] | None = None
    batches = aiter(rows() if rows is not None else export_rows(db, scope, BATCH))
    # Fetch the next batch while this one is written out: the database reads in its
    # own thread (SQLite) or connection (PostgreSQL) while Python formats rows.
    upcoming = asyncio.ensure_future(anext(batches, None))
    try:
        while (batch := await upcoming) is not None:
            upcoming = asyncio.ensure_future(anext(batches, None))
            done: list[tuple[dict, dict]] = []
            for row in batch:
                if pending is None or pending[0]["id"] != row["id"]:
                    if pending is not None:
                        done.append(pending)
                    pending = (row, {})
                if row["question_id"] is not None:
                    pending[1][row["question_id"]] = msgspec.json.decode(row["value"])
            if done:
                yield done
    finally:
        # A client that disconnects mid-export must not leave a fetch running.
        if not upcoming.done():
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await upcoming
        await batches.aclose()  # type: ignore[attr-defined]
    if pending is not None:
        yield [pending]


def _fixed(row: dict[str, Any], labels: dict[str, VersionLabels]) -> list[Any]:
    version = labels.get(row["survey_version_id"])
    return [
        row["id"],
        row["survey_id"],
        version.number if version else row["survey_version_id"],
        row["checkpoint_key"] or "",
        row["channel"],
        row["locale"],
        row["contact"] or "",
        row["status"],
        row["started_at"],
        row["completed_at"] or "",
        row["nps"],
        nps_class(row["nps"]) or "",
        row["ces"],
        row["csat"],
        row["emotion"],
    ]


async def export_csv(
    db: Database,
    scope: Scope,
    kinds: KindRegistry = DEFAULT_KINDS,
    rows: RowSource | None = None,
    extras: ExtraSource | None = None,
) -> AsyncIterator[bytes]:
    labels = await version_labels(db, survey_id=scope.survey_id, kinds=kinds)
    columns = question_columns(labels)
    extra_columns = extras[0] if extras else []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            *FIXED_COLUMNS,
            *(f"{name}_{key}" for name, key in extra_columns),
            *(neutralise(h) for _, h in columns),
        ]
    )
    # A BOM so Excel opens UTF-8 (accents, CJK) correctly; other readers skip it.
    yield "\ufeff".encode() + out.getvalue().encode()
    async for batch in _responses(db, scope, rows):
        out.seek(0)
        out.truncate()
        more = await extras[1]([row["id"] for row, _ in batch]) if extras else {}
        for row, answers in batch:
            version = labels.get(row["survey_version_id"])
            questions = version.by_id() if version else {}
            added = more.get(row["id"], {})
            plugin_cells = [
                _extra_cell(added.get(name, {}).get(key)) for name, key in extra_columns
            ]
            cells = [
                answer_text(questions.get(qid), answers.get(qid), kinds) if qid in answers else ""
                for qid, _ in columns
            ]
            # neutralise() inlined: a function call per cell costs a third of the export.
            writer.writerow(
                [
                    "'" + c if c.__class__ is str and c[:1] in _FORMULA_FIRST else c
                    for c in (*_fixed(row, labels), *plugin_cells, *cells)
                ]
            )
        yield out.getvalue().encode()


async def export_json(
    db: Database,
    scope: Scope,
    kinds: KindRegistry = DEFAULT_KINDS,
    rows: RowSource | None = None,
    extras: ExtraSource | None = None,
) -> AsyncIterator[bytes]:
    """A JSON array of responses, each with its labelled answers (no neutralising: JSON
    is data, not a spreadsheet)."""
    labels = await version_labels(db, survey_id=scope.survey_id, kinds=kinds)
    encoder = msgspec.json.Encoder()
    first = True
    yield b"["
    async for batch in _responses(db, scope, rows):
        parts = []
        more = await extras[1]([row["id"] for row, _ in batch]) if extras else {}
        for row, answers in batch:
            version = labels.get(row["survey_version_id"])
            questions = version.by_id() if version else {}
            item = dict(zip(FIXED_COLUMNS, _fixed(row, labels), strict=True))
            item["nps_class"] = item["nps_class"] or None
            item["answers"] = [
                {
                    "question_id": qid,
                    "label": questions[qid].label if qid in questions else qid,
                    "value": value,
                    "text": answer_text(questions.get(qid), value, kinds),
                }
                for qid, value in answers.items()
            ]
            if extras:
                item["extras"] = more.get(row["id"], {})
            parts.append(encoder.encode(item))
        chunk = b",\n".join(parts)
        yield chunk if first else b",\n" + chunk
        first = False
    yield b"]\n"


def export_stream(
    db: Database,
    scope: Scope,
    fmt: Format,
    kinds: KindRegistry = DEFAULT_KINDS,
    rows: RowSource | None = None,
    extras: ExtraSource | None = None,
) -> Stream:
    """``rows``: another source of the export's row batches (same columns and order as
    ``read_store.export_rows``), e.g. the response feed's filters (``surveyor.records``);
    ``extras``: plugins' data per response (CSV columns, JSON ``extras``)."""
    body = (
        export_csv(db, scope, kinds, rows, extras)
        if fmt == "csv"
        else export_json(db, scope, kinds, rows, extras)
    )
    # Litestar adds "; charset=utf-8" to text/* types itself: naming it here doubled it.
    media = "text/csv" if fmt == "csv" else "application/json"
    return Stream(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="responses.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


# Exports are for admins and designers (docs/permissions.md): a manager sees only the
# responses of their own accounts, never a download of everyone's.
@get("/dashboard/export", guards=[staff("designer")], include_in_schema=False, cache=False)
async def export_download(request: Request[Any, Any, Any]) -> Stream:
    """The dashboards' download button: the responses of the dashboard as it is filtered
    (period, segment, checkpoint or survey), for admins and designers."""
    q = request.query_params
    fmt = q.get("format")
    if fmt not in (None, "", "csv", "json"):
        raise invalid("format", "expected 'csv' or 'json'")
    _, scope = read_filters(request, survey=q.get("survey"), checkpoint=q.get("checkpoint"))
    svc = services(request)
    return export_stream(svc.db, scope, fmt or "csv", question_kinds(svc))  # type: ignore[arg-type]


# ``GET /api/v1/responses/export`` (the same file through the API, with the response
# feed's filters) lives in ``surveyor.records.api``.
ROUTES = (export_download,)
