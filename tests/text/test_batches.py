"""Comments of ``text.analyze`` jobs that run together go to the analysis process in one
request (issue 17), and the dictionary goes to it once: one bad comment still fails only
its own job, a new dictionary or a new analysis process gets the themes again, and the
analysis is written in the unit that marks its job done."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from surveyor_text import analyze, process, store

from tests.conftest import app_services, drain, in_app
from tests.text.test_plugin import respond

COMMENTS = {
    "The delivery was late again and nobody called.": "negative",
    "Great support, thank you!": "positive",
    "Lovely staff, quick delivery.": "positive",
    "The app crashes every day.": "negative",
}


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every request sent to the analysis process, as its list of comments."""
    sent: list[list[str]] = []
    real = process.ANALYSER.analyze_many

    def counted(texts: Any, themes: Any) -> Any:
        sent.append(list(texts))
        if any("POISON" in text for text in texts):
            raise process.AnalysisFailed("ValueError: cannot read this one")
        return real(texts, themes)

    monkeypatch.setattr(process.ANALYSER, "analyze_many", counted)
    return sent


async def test_jobs_running_together_send_their_comments_in_one_request(
    client: Any, requests: list[list[str]]
) -> None:
    svc = app_services(client)
    responses = {}
    for comment in COMMENTS:
        _, responses[comment] = await respond(client, 5, comment)
    await drain(client)
    assert len(requests) == 1 and sorted(requests[0]) == sorted(COMMENTS)
    for comment, label in COMMENTS.items():
        found = await in_app(client, store.get_analysis, svc.db, responses[comment].id)
        assert found is not None and found.sentiment_label == label, comment


async def test_a_comment_the_analysis_cannot_read_fails_only_its_own_job(
    client: Any, requests: list[list[str]]
) -> None:
    svc = app_services(client)
    _, good = await respond(client, 9, "Great support, thank you!")
    _, bad = await respond(client, 3, "POISON comment")
    _, other = await respond(client, 2, "The app crashes every day.")
    await drain(client)
    assert len(requests[0]) == 3 and [len(r) for r in requests[1:]] == [1, 1, 1]  # then alone
    assert (await in_app(client, store.get_analysis, svc.db, good.id)).sentiment_label == (
        "positive"
    )
    assert (await in_app(client, store.get_analysis, svc.db, other.id)).sentiment_label == (
        "negative"
    )
    assert await in_app(client, store.get_analysis, svc.db, bad.id) is None
    jobs = await in_app(
        client,
        svc.db.fetch_all,
        "SELECT subject_id, status, attempts, last_error FROM jobs WHERE kind = 'text.analyze'",
    )
    failed = [j for j in jobs if j["status"] != "done"]
    assert [j["subject_id"] for j in failed] == [bad.id]
    assert failed[0]["status"] == "queued" and "cannot read this one" in failed[0]["last_error"]
    assert len(jobs) == 3


def test_the_dictionary_is_sent_again_when_it_changes_or_the_process_is_new() -> None:
    analyser = process.Analyser()
    themes = analyze.default_themes()
    parking = [*themes, analyze.Theme(name="parking", en=("parking",))]
    text = ["There is never any parking near the store."]
    try:
        assert "parking" not in analyser.analyze_many(text, themes)[0].themes
        assert "parking" in analyser.analyze_many(text, parking)[0].themes
        assert "parking" in analyser.analyze_many(text, parking)[0].themes  # remembered
        assert "parking" not in analyser.analyze_many(text, themes)[0].themes
        analyser.stop()  # a new process must be given the dictionary it has not seen
        assert "parking" in analyser.analyze_many(text, parking)[0].themes
        assert analyser.started == 2
    finally:
        analyser.stop()


def test_the_analysis_process_remembers_the_dictionary_and_refuses_to_guess_one() -> None:
    child = subprocess.Popen(
        [sys.executable, str(process.CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    themes = [["delivery", ["deliver*"], []]]
    answers = []
    for request in (
        {"texts": ["Quick delivery"]},  # no dictionary yet: an error, never an empty one
        {"themes": themes, "texts": ["Quick delivery"]},
        {"texts": ["Slow delivery"]},
    ):
        child.stdin.write(json.dumps(request).encode() + b"\n")
        child.stdin.flush()
        answers.append(json.loads(child.stdout.readline()))
    child.stdin.close()
    assert child.wait(30) == 0
    child.stdout.close()
    assert "no dictionary" in answers[0]["error"]
    assert [a["results"][0]["themes"] for a in answers[1:]] == [["delivery"], ["delivery"]]


async def test_the_analysis_commits_with_its_job_done_or_not_at_all(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The analysis is written in the unit that marks its job done: if that unit fails,
    neither is stored, and the job runs again once its lease runs out."""
    svc = app_services(client)
    _, response = await respond(client, 3, "The delivery was late again and nobody called.")
    real = store.save_analysis
    calls: list[str] = []

    async def failing_once(tx: Any, response_id: str, *args: Any) -> Any:
        calls.append(response_id)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return await real(tx, response_id, *args)

    monkeypatch.setattr(store, "save_analysis", failing_once)
    await drain(client)
    job = await in_app(
        client, svc.db.fetch_one, "SELECT status FROM jobs WHERE kind = 'text.analyze'"
    )
    assert job["status"] == "running"  # nothing recorded: its lease will run out
    assert await in_app(client, store.get_analysis, svc.db, response.id) is None

    async def lease_over() -> None:
        await svc.db.write(
            lambda tx: tx.execute(
                "UPDATE jobs SET lease_until = '2000-01-01T00:00:00Z', run_at ="
                " '2000-01-01T00:00:00Z' WHERE kind = 'text.analyze'"
            )
        )

    await in_app(client, lease_over)
    await drain(client)  # puts the job back (due now), then runs it again
    job = await in_app(
        client, svc.db.fetch_one, "SELECT status FROM jobs WHERE kind = 'text.analyze'"
    )
    found = await in_app(client, store.get_analysis, svc.db, response.id)
    assert job["status"] == "done" and found is not None and found.sentiment_label == "negative"
    assert calls == [response.id, response.id]


def test_batches_start_afresh_when_the_app_runs_on_a_new_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An app stopped and started again in one process: the old loop's unfinished batch
    must not keep the new loop's comments waiting."""
    from surveyor_text import jobs

    batches = jobs.Batches()
    result = analyze.Result(language="en", score=0.5, label="positive", themes=(), key_phrases=())
    blocked = True
    out: list[asyncio.Event] = []

    async def read_batch(self: Any, svc: Any, texts: list[str]) -> list[Any]:
        if blocked:
            out[0].set()
            await asyncio.Event().wait()  # the old loop stops while this is out
        return [jobs.Reading(result, 1, []) for _ in texts]

    monkeypatch.setattr(jobs.Batches, "_read_batch", read_batch)
    old = asyncio.new_event_loop()
    try:
        out.append(asyncio.Event())
        pending = old.create_task(batches.read(None, "first"))  # type: ignore[arg-type]
        old.run_until_complete(out[0].wait())  # the batch is out; then the loop stops
        assert not pending.done()
        blocked = False

        async def again() -> Any:
            return await asyncio.wait_for(batches.read(None, "second"), 10)  # type: ignore[arg-type]

        assert asyncio.run(again()).result is result
    finally:
        pending.cancel()
        old.run_until_complete(asyncio.sleep(0))
        old.close()
