"""When comments are read: the listener that queues the job, the job, and the re-index.

The listener runs inside the unit that completes a response (an in-transaction listener
of ``ResponseCompleted``) and queues one ``text.analyze`` job there, so a committed
response with a comment always has its analysis coming, and the request never waits for
the models. The job has the comment analysed in the analysis process (``process``: the models are
CPU-bound and large, and never load in a serving process; the comments of jobs running
together go in one request, ``Batches``), then writes in ONE unit — the one that marks
the job done (``save_read``, the kind's ``done_in_tx``) — the analysis and its themes,
any case a text rule opens, and the ``response.analyzed`` webhook.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from surveyor import DeliveryError
from surveyor.db import Tx
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.delivery.worker import wake_worker
from surveyor.events import ContactErased, ResponseCompleted
from surveyor.followups.opening import comment_in
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.store import get_version
from surveyor.webhooks.events import enqueue_event, response_data
from surveyor.webhooks.store import active_for_event
from surveyor_text import analyze, process, store
from surveyor_text.models import TextRule
from surveyor_text.rules import apply_rules

if TYPE_CHECKING:
    from surveyor.services import Services

log = logging.getLogger("surveyor.text")
ANALYZE = "text.analyze"
REINDEX = "text.reindex"
EVENT = "response.analyzed"
BATCH = 50
MAX_COMMENT = 20_000


def completion_listener(svc: Services) -> Any:
    """The in-transaction listener of ``ResponseCompleted``: queue the analysis."""
    kinds = question_kinds(svc)

    async def queue_analysis(tx: Tx, event: ResponseCompleted) -> None:
        comment = comment_in(event, kinds)
        if not comment:
            return
        await enqueue_job(
            tx,
            ANALYZE,
            {"response_id": event.response.id, "comment": comment[:MAX_COMMENT]},
            dedupe_key=f"text:{event.response.id}",
            subject_type="response",
            subject_id=event.response.id,
        )

    return queue_analysis


def erasure_listener() -> Any:
    """The in-transaction listener of ``ContactErased``: the analyses' copies of the
    contact's comments go in the erasure's own unit."""

    async def erase_comments(tx: Tx, event: ContactErased) -> None:
        await store.erase_comments(tx, event.response_ids)

    return erase_comments


# The last dictionary read, per database: (version, themes). A saved dictionary always
# bumps the version (``store.save_themes``), so one cheap read of the version tells
# whether the themes must be read again.
_THEMES: weakref.WeakKeyDictionary[Any, tuple[int, tuple[analyze.Theme, ...]]] = (
    weakref.WeakKeyDictionary()
)


async def dictionary(svc: Services) -> tuple[tuple[analyze.Theme, ...], int]:
    """The themes to read comments with, and their dictionary version. The server never
    compiles them (the analysis process does, once per dictionary)."""
    version = await store.dictionary_version(svc.db)
    cached = _THEMES.get(svc.db)
    if cached is not None and cached[0] == version:
        return cached[1], version
    version, themes = await store.versioned_themes(svc.db)  # one statement: consistent
    _THEMES[svc.db] = (version, themes)
    return themes, version


async def read_many(texts: list[str], themes: Sequence[analyze.Theme]) -> list[analyze.Result]:
    """Analyse in the analysis process (``process``), one round trip for the batch; the
    thread only waits on its pipe. Missing libraries are a permanent failure, a dead
    analysis process a retryable one."""
    try:
        return await asyncio.to_thread(process.ANALYSER.analyze_many, texts, themes)
    except analyze.MissingLibraries as exc:
        raise DeliveryError(f"text analysis unavailable: {exc}", permanent=True) from None
    except (process.AnalysisDied, process.AnalysisFailed) as exc:
        raise DeliveryError(f"text analysis failed, will retry: {exc}") from None


class Reading(NamedTuple):
    """What one ``text.analyze`` job gets back from its batch."""

    result: analyze.Result
    version: int  # the dictionary version it was read with
    rules: list[TextRule]


class Batches:
    """The comments of ``text.analyze`` jobs that run at the same time, read together.

    The worker runs up to 16 jobs at once; each used to read the dictionary and the rules
    and make its own round trip to the analysis process. Here the first job's comment
    goes at once, and the comments of the jobs that come while that request is out go
    together in the next one (at most ``BATCH``): one dictionary and rules read and one
    round trip per batch. Each job still writes its own unit. If the analysis process
    fails a batch of several, each comment is tried alone, so one bad comment fails only
    its own job.
    """

    def __init__(self) -> None:
        self._waiting: list[tuple[str, asyncio.Future[Reading]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def read(self, svc: Services, text: str) -> Reading:
        loop = asyncio.get_running_loop()
        if self._drain is not None and self._drain.get_loop() is not loop:
            # The app stopped and started again on a new loop: what the old one left
            # waiting belongs to jobs that are gone.
            self._waiting = [(t, f) for t, f in self._waiting if f.get_loop() is loop]
            self._drain = None
        future: asyncio.Future[Reading] = loop.create_future()
        self._waiting.append((text, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._read_all(svc), name="text analysis batches")
        return await future

    async def _read_all(self, svc: Services) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                readings = await self._read_batch(svc, [text for text, _ in batch])
            except Exception as exc:  # each job fails (and retries) with it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), reading in zip(batch, readings, strict=True):
                if future.done():  # a job cancelled meanwhile (shutdown, timeout)
                    continue
                if isinstance(reading, Exception):
                    future.set_exception(reading)
                else:
                    future.set_result(reading)

    async def _read_batch(self, svc: Services, texts: list[str]) -> list[Reading | Exception]:
        themes, version = await dictionary(svc)
        rules = await store.list_rules(svc.db)
        try:
            results: list[analyze.Result | Exception] = list(await read_many(texts, themes))
        except DeliveryError as exc:
            if exc.permanent or len(texts) == 1:
                raise
            results = []
            for text in texts:
                try:
                    results.extend(await read_many([text], themes))
                except DeliveryError as alone:
                    results.append(alone)
        return [r if isinstance(r, Exception) else Reading(r, version, rules) for r in results]


# One per database (a process serves one; tests build many).
_BATCHES: weakref.WeakKeyDictionary[Any, Batches] = weakref.WeakKeyDictionary()


def batches(svc: Services) -> Batches:
    found = _BATCHES.get(svc.db)
    if found is None:
        found = _BATCHES[svc.db] = Batches()
    return found


# What a job's run read, until the unit that marks the job done writes it (``save_read``):
# keyed by job id. An entry stays only if that unit never runs (a lost lease): bounded.
_READ: dict[str, tuple[Services, str, str, Reading]] = {}
_OPENED: set[str] = set()  # jobs whose analysis opened a case: wake the worker after
MAX_HELD = 10_000


async def run_analyze(job: Job, svc: Services) -> None:
    try:
        response_id = str(job.payload["response_id"])
        comment = str(job.payload["comment"])
    except (KeyError, TypeError) as exc:
        raise DeliveryError(f"malformed text job: {exc}", permanent=True) from None
    reading = await batches(svc).read(svc, comment)
    while len(_READ) >= MAX_HELD:
        _READ.pop(next(iter(_READ)))
    _READ[job.id] = (svc, response_id, comment, reading)


async def save_read(tx: Tx, job: Job) -> None:
    """``done_in_tx``: the analysis, its case and webhook are written in the unit that marks
    the job done — one unit per comment, not two; a job whose lease was lost writes
    nothing (its new owner reads the comment again)."""
    held = _READ.pop(job.id, None)
    if held is None:  # the unit fails: the job runs again once its lease expires
        raise RuntimeError(f"text job {job.id}: nothing read to save")
    svc, response_id, comment, (result, version, rules) = held
    if await store.response_facts(tx, response_id) is None:
        return  # the response was deleted meanwhile
    analysis = await store.save_analysis(tx, response_id, comment, result, version)
    case_id = await apply_rules(tx, svc, analysis, rules)
    if case_id:
        _OPENED.add(job.id)
    if not await active_for_event(tx, EVENT):
        return  # nobody listens: the webhook's body is not built
    block = await response_data(tx, response_id, question_kinds(svc))
    data: dict[str, Any] = {
        "response_id": response_id,
        "analysis": analysis.public(),
        "followup_id": case_id,
    }
    if block is not None:
        data["response"] = block
    await enqueue_event(tx, EVENT, data, event_key=response_id)


async def analysed(job: Job, svc: Services) -> None:
    """``on_done``: a case the analysis opened may have queued notices: run them soon."""
    if job.id in _OPENED:
        _OPENED.discard(job.id)
        wake_worker(svc)


async def start_reindex(svc: Services, *, queue: bool = True) -> int:
    """Queue the re-index of every analysis made with an older dictionary; returns how
    many comments it will read again."""
    version = await store.dictionary_version(svc.db)
    total = await store.count_stale(svc.db, version)

    async def unit(tx: Tx) -> None:
        await store.set_reindex(tx, total)
        if total and queue:
            await enqueue_job(
                tx,
                REINDEX,
                {"version": version, "after": ""},
                dedupe_key=f"text-reindex:{version}:",
            )

    await svc.db.write(unit)
    wake_worker(svc)
    return total


async def reindex_batch(
    svc: Services, after: str = "", *, queue: bool = True
) -> tuple[int, str | None]:
    """Read one batch of stale comments again; returns (done, next cursor or None)."""
    themes, version = await dictionary(svc)
    ids = await store.stale_analyses(svc.db, version, after, BATCH)
    found = [(i, a.comment) for i in ids if (a := await store.get_analysis(svc.db, i))]
    read_back = await read_many([comment for _, comment in found], themes)
    results = [(i, c, r) for (i, c), r in zip(found, read_back, strict=True)]

    async def unit(tx: Tx) -> None:
        for response_id, comment, result in results:
            await store.save_analysis(tx, response_id, comment, result, version)
        await store.add_reindexed(tx, len(results))
        if len(ids) == BATCH and queue:
            await enqueue_job(
                tx,
                REINDEX,
                {"version": version, "after": ids[-1]},
                dedupe_key=f"text-reindex:{version}:{ids[-1]}",
            )

    await svc.db.write(unit)
    return len(results), (ids[-1] if len(ids) == BATCH else None)


async def analyse_missing(svc: Services, after: str = "") -> tuple[int, str | None]:
    """Analyse one batch of completed responses whose comments were never analysed (no
    rules, no webhook: they are history); returns (analysed, next cursor or None)."""
    rows = await store.unanalysed_text_answers(svc.db, after, BATCH)
    if not rows:
        return 0, None
    kinds = question_kinds(svc)
    versions: dict[str, Any] = {}
    texts: dict[str, list[str]] = {}
    for row in rows:
        version_id = row["survey_version_id"]
        if version_id not in versions:
            versions[version_id] = await get_version(svc.db, version_id)
        version = versions[version_id]
        question = next(
            (
                q
                for q in (version.definition.questions if version else [])
                if q.id == row["question_id"]
            ),
            None,
        )
        if question is None or not getattr(kinds.get(question.kind), "comment", False):
            continue
        value = msgspec.json.decode(row["value"])
        if isinstance(value, str) and value.strip():
            texts.setdefault(row["response_id"], []).append(value.strip())
    themes, dictionary_version = await dictionary(svc)
    comments = {i: "\n\n".join(parts)[:MAX_COMMENT] for i, parts in texts.items()}
    read_back = await read_many(list(comments.values()), themes)
    results = [(i, c, r) for (i, c), r in zip(comments.items(), read_back, strict=True)]

    async def unit(tx: Tx) -> None:
        for response_id, comment, result in results:
            await store.save_analysis(tx, response_id, comment, result, dictionary_version)

    await svc.db.write(unit)
    return len(results), rows[-1]["response_id"]


async def run_reindex(job: Job, svc: Services) -> None:
    await reindex_batch(svc, str(job.payload.get("after", "")))


async def reindex_progress(db: Any) -> dict[str, int]:
    row = await store.reindex_state(db)
    version = int(row["dictionary_version"]) if row else 0
    return {
        "dictionary_version": version,
        "total": int(row["reindex_total"]) if row else 0,
        "done": int(row["reindex_done"]) if row else 0,
        "stale": await store.count_stale(db, version),
        "analysed": await store.count_analyses(db),
    }


JOB_KINDS = (
    JobKind(name=ANALYZE, run=run_analyze, done_in_tx=save_read, on_done=analysed),
    JobKind(name=REINDEX, run=run_reindex),
)
