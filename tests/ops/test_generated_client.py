"""A Python client generated from the served ``/schema`` (openapi-python-client) works
against a live server: its models parse every answer it gets."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.serving import free_port, running_server

pytestmark = pytest.mark.slow
SURVEYOR = str(Path(sys.executable).with_name("surveyor"))
GENERATOR = shutil.which("openapi-python-client") or str(
    Path(sys.executable).with_name("openapi-python-client")
)


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [SURVEYOR, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not Path(GENERATOR).exists(), reason="openapi-python-client not installed")
def test_a_generated_client_fires_an_event_reads_metrics_and_updates_a_followup(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": str(tmp_path / "client.db"),
        "SURVEYOR_SECRET_KEY": "k" * 40,
        "SURVEYOR_BASE_URL": "http://127.0.0.1",
    }
    run(env, "migrate")
    run(env, "demo")
    secret = run(env, "apikeys", "create", "--name", "gen", "--scope", "admin").split()[-1]
    port = free_port()
    command = [SURVEYOR, "serve", "--port", str(port), "--no-worker"]
    with running_server(command, env, tmp_path, port, tmp_path / "serve.log") as (base, _):
        schema = httpx.get(f"{base}/schema/openapi.json", timeout=30).json()
        (tmp_path / "openapi.json").write_text(json.dumps(schema))
        generated = subprocess.run(
            [
                GENERATOR,
                "generate",
                "--path",
                str(tmp_path / "openapi.json"),
                "--meta",
                "none",
                "--output-path",
                str(tmp_path / "surveyor_client"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert generated.returncode == 0, generated.stdout + generated.stderr
        # Every model was generated: a warning about a schema it had to drop fails here.
        assert "Unable to process schema" not in generated.stdout, generated.stdout
        assert "Cannot parse response" not in generated.stdout, generated.stdout
        sys.path.insert(0, str(tmp_path))
        try:
            use_client(base, secret)
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.startswith("surveyor_client")]:
                del sys.modules[name]


def use_client(base: str, secret: str) -> None:
    client_mod = importlib.import_module("surveyor_client")
    models = importlib.import_module("surveyor_client.models")
    post_event = importlib.import_module("surveyor_client.api.events.api_v1_events_post_event")
    metrics = importlib.import_module("surveyor_client.api.metrics.api_v1_metrics_metrics_api")
    followups = importlib.import_module(
        "surveyor_client.api.followups.api_v1_followups_list_followups"
    )
    update = importlib.import_module(
        "surveyor_client.api.followups.api_v1_followups_case_id_update_followup"
    )
    surveys = importlib.import_module("surveyor_client.api.surveys.api_v1_surveys_list_surveys")
    with client_mod.AuthenticatedClient(base_url=base, token=secret) as client:
        exercise(client, models, post_event, metrics, followups, update, surveys)


def exercise(client, models, post_event, metrics, followups, update, surveys) -> None:
    fired = post_event.sync(
        client=client,
        body=models.EventIn(
            checkpoint="order_delivered",
            contact=models.ContactIn(id="gen-1", email="gen@example.com"),
            idempotency_key="gen-1",
        ),
    )
    assert isinstance(fired, models.CheckpointEventOut), fired
    assert fired.decision in ("scheduled", "suppressed")

    read = metrics.sync_detailed(client=client)
    assert read.status_code == 200 and read.parsed is not None

    listed = followups.sync(client=client, limit=5)
    assert isinstance(listed, models.FollowupList) and listed.items, listed
    case = listed.items[0]
    changed = update.sync(
        case_id=case.id, client=client, body=models.FollowupPatch(note="called the customer")
    )
    assert isinstance(changed, models.FollowupDetail), changed

    # A bad body comes back as a parsed problem document naming the field.
    problem = update.sync(
        case_id=case.id, client=client, body=models.FollowupPatch(status="no-such-status")
    )
    assert isinstance(problem, models.Problem), problem
    assert problem.status in (400, 422)

    # Paging: GET /api/v1/responses is not on this branch, so surveys are paged.
    seen, cursor = [], None
    while True:
        page = surveys.sync(client=client, limit=1, **({"cursor": cursor} if cursor else {}))
        assert isinstance(page, models.SurveyPage), page
        seen.extend(item.id for item in page.items)
        cursor = page.next_cursor
        if not cursor or isinstance(cursor, type(models.SurveyPage)):
            break
        if len(seen) > 50:
            break
    assert len(seen) == len(set(seen)) >= 2
