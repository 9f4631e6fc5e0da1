"""The analysis process (issue 17): the models never load in the serving process, a
killed analysis process costs a retry and not the analysis, an idle one stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from surveyor_text import analyze, process, store

from tests.conftest import app_services, drain, in_app
from tests.text.test_plugin import respond

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("snownlp", "jieba", "langid", "vaderSentiment")

# A fresh interpreter (this test process loads the models itself in test_analyze): build
# the app as the server does, complete a response with a comment through the app's own
# listeners, run the worker until idle, then report what this process imported.
SERVER = """
import asyncio, json, sys
import msgspec
from surveyor.app import build_services, start_services
from surveyor.delivery.worker import Worker
from surveyor.plugins import gather
from surveyor.settings import load_settings
from surveyor_text import process, store
from tests.followups.helpers import answer, contact, nps_version

async def main():
    svc = build_services(msgspec.structs.replace(load_settings(), run_worker=False))
    await start_services(svc)
    await gather(svc.pm.hook.startup, services=svc)  # as the app's start-up does
    try:
        version = await nps_version(svc.db)
        response = await answer(
            svc, version, await contact(svc.db), 2, "物流太慢了，客服也不回复，非常失望。",
            on_complete=list(svc.tx_listeners.response_completed),
        )
        await Worker(svc).run_until_idle()
        found = await store.get_analysis(svc.db, response.id)
        child = process.ANALYSER.pid
        with open(f"/proc/{child}/cmdline", "rb") as handle:
            cmdline = handle.read().decode().split("\\0")
        print(json.dumps({
            "label": found.sentiment_label, "language": found.language,
            "modules": sorted({m.split(".")[0] for m in sys.modules}),
            "child_cmdline": cmdline,
        }))
    finally:
        await gather(svc.pm.hook.shutdown, services=svc)
        await svc.db.close()
        process.ANALYSER.stop()

asyncio.run(main())
"""


def test_the_serving_process_never_imports_the_text_libraries(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")}
    env["SURVEYOR_DATABASE"] = str(tmp_path / "serve.db")
    env["SURVEYOR_SECRET_KEY"] = "s" * 40
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    done = subprocess.run(
        [sys.executable, "-c", SERVER],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["language"] == "zh" and report["label"] == "negative"
    assert not set(LIBRARIES) & set(report["modules"])
    assert report["child_cmdline"][1] == str(process.CHILD)


async def test_a_killed_analysis_process_costs_a_retry_not_the_analysis(client: Any) -> None:
    svc = app_services(client)
    _, response = await respond(client, 3, "Delivery was late and nobody answered my emails.")
    # The analysis process runs (a first comment started it), then dies before the job.
    themes = analyze.default_themes()
    await in_app(client, _analyse_in_thread, ["warm up"], themes)
    killed = process.ANALYSER.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)

    await drain(client)
    job = await in_app(
        client,
        svc.db.fetch_one,
        "SELECT status, attempts, last_error FROM jobs WHERE kind = 'text.analyze'",
    )
    assert job["status"] == "queued" and job["attempts"] == 1
    assert "analysis process" in job["last_error"]
    assert await in_app(client, store.get_analysis, svc.db, response.id) is None

    async def due_now() -> None:
        await svc.db.write(
            lambda tx: tx.execute(
                "UPDATE jobs SET run_at = '2000-01-01T00:00:00Z' WHERE kind = 'text.analyze'"
            )
        )

    await in_app(client, due_now)
    await drain(client)
    found = await in_app(client, store.get_analysis, svc.db, response.id)
    assert found is not None and found.sentiment_label == "negative"
    assert "delivery" in found.themes
    assert process.ANALYSER.pid not in (None, killed)


async def _analyse_in_thread(texts: list[str], themes: list[analyze.Theme]) -> Any:
    import asyncio

    return await asyncio.to_thread(process.ANALYSER.analyze_many, texts, themes)


def test_an_idle_analysis_process_stops_and_the_next_comment_starts_another() -> None:
    analyser = process.Analyser(idle_seconds=0.01)
    themes = analyze.default_themes()
    try:
        first = analyser.analyze_many(["Great support, thank you!", "太贵了"], themes)
        assert [r.label for r in first] == ["positive", "negative"]
        assert "price" in first[1].themes
        pid = analyser.pid
        assert pid is not None
        assert analyser.stopped.wait(timeout=120)  # the idle timer fired
        assert analyser.pid is None and not Path(f"/proc/{pid}").exists()  # and reaped
        again = analyser.analyze_many(["The app crashes every day."], themes)
        assert again[0].label == "negative" and analyser.started == 2
    finally:
        analyser.stop()


def test_the_chinese_models_are_dropped_when_idle_and_come_back_the_same(
    tmp_path: Path,
) -> None:
    """``SURVEYOR_TEXT_ZH_IDLE_SECONDS=0``: every request finds the Chinese models idle."""
    child = subprocess.Popen(
        [sys.executable, str(process.CHILD)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "SURVEYOR_TEXT_ZH_IDLE_SECONDS": "0"},
    )
    assert child.stdin is not None and child.stdout is not None
    themes = [["delivery", ["deliver*"], ["物流"]]]
    zh = "物流太慢了，客服也不回复，非常失望。"
    answers = []
    for text in (zh, "The delivery was quick, thank you", zh):
        child.stdin.write(json.dumps({"themes": themes, "texts": [text]}).encode() + b"\n")
        child.stdin.flush()
        answers.append(json.loads(child.stdout.readline())["results"][0])
    child.stdin.close()
    assert child.wait(30) == 0
    child.stdout.close()
    assert answers[0] == answers[2]  # reloaded, theme words added again
    assert answers[0]["themes"] == ["delivery"] and answers[0]["label"] == "negative"


def test_dropping_forgets_the_models_and_the_words_added_to_jieba() -> None:
    from surveyor_text.engines import CHINESE, Models

    models = Models()
    models["words"].add("物流")
    models._loaded["jieba"] = object()  # as if loaded
    assert models.drop([*CHINESE, "vader"]) == ["jieba"]
    assert models["words"] == set() and "jieba" not in models.loaded()
