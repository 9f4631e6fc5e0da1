"""The question-kind contract, proven by a plugin: a ``matrix`` kind (rows × one scale)
from ``tests/plugins/matrix`` is designed, answered without JavaScript, exported and
shown on a follow-up case page, with no core file knowing about it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.contacts import store as contacts
from surveyor.db import Tx
from surveyor.followups import store as followups
from surveyor.ids import now_iso
from surveyor.plugins import make_plugin_manager
from surveyor.respond import store as respond
from surveyor.settings import Settings
from surveyor.surveys import store as surveys
from surveyor.surveys.kinds import DEFAULT_KINDS, question_kinds
from surveyor.surveys.models import Question, SurveyDefinition
from surveyor.surveys.validation import validate_definition
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.plugins.matrix import matrix_kind

HTMX = {"HX-Request": "true"}
STEP = re.compile(r'name="step" value="([^"]*)"')

MATRIX_Q = {
    "id": "m",
    "kind": "matrix",
    "text": {"en": "Rate us"},
    "required": True,
    "config": {"rows": ["Speed", "Price"], "max": 5},
}
DEFINITION = {
    "questions": [
        {"id": "score", "kind": "nps", "text": {"en": "Recommend us?"}, "required": True},
        MATRIX_Q,
    ]
}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    pm = make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(matrix_kind,))
    async with AsyncTestClient(
        app=create_app(settings, pm=pm), base_url="http://surveyor.test"
    ) as c:
        yield c


def test_the_kind_checks_reads_and_prints_its_answers() -> None:
    question = msgspec.convert(MATRIX_Q, Question)
    kind = matrix_kind.MATRIX
    form = {"q_m.0": "4", "q_m.1": "2", "q_other": "x"}
    raw = kind.read(question, form, "q_m")
    assert raw == {"Speed": "4", "Price": "2"}
    assert kind.check(question, raw) == {"Speed": 4, "Price": 2}
    assert kind.answer_text(question, {"Speed": 4, "Price": 2}, "en") == "Speed: 4; Price: 2"
    assert kind.read(question, {}, "q_m") is None  # nothing chosen: skipped
    assert kind.editor[0].current(question, "en") == "Speed\nPrice"
    broken = msgspec.convert({**MATRIX_Q, "config": {"rows": [], "max": 20}}, Question)
    assert [path for path, _ in kind.validate(broken)] == ["config.rows", "config.max"]
    # Without the plugin the kind is unknown, and its answers still print (as JSON).
    assert "matrix" not in DEFAULT_KINDS
    assert DEFAULT_KINDS.answer_text(question, {"Speed": 4}, "en") == '{"Speed":4}'


async def test_built_in_kinds_come_through_the_hook_like_the_plugins_kind(client: Any) -> None:
    kinds = question_kinds(app_services(client))
    assert list(kinds)[: len(DEFAULT_KINDS)] == list(DEFAULT_KINDS)  # built-ins first
    assert list(kinds)[-1] == "matrix"
    definition = msgspec.convert(DEFINITION, SurveyDefinition)
    assert validate_definition(definition, kinds) == []


async def test_designed_in_the_designer(client: Any) -> None:
    headers = await api_key(client, "admin")
    created = await client.post(
        "/api/v1/surveys", json={"name": "Matrix", "definition": DEFINITION}, headers=headers
    )
    assert created.status_code == 201 and created.json()["problems"] == []
    sid = created.json()["id"]

    token = await login(client, await make_user(client, "designer"))
    csrf = {"X-CSRF-Token": token}
    page = await client.get(f"/surveys/{sid}")
    assert '<option value="matrix">Matrix (rows × scale)</option>' in page.text

    # Added from the kind picker: the editor opens with the kind's default config (stored
    # only once saved, issue 19) and shows the kind's own fields.
    before = (await client.get(f"/surveys/{sid}/export")).json()["definition"]
    added = await client.post(
        f"/surveys/{sid}/questions", data={"kind": "matrix"}, headers=csrf | HTMX
    )
    assert added.status_code == 200, added.text
    assert (await client.get(f"/surveys/{sid}/export")).json()["definition"] == before
    found = re.search(r'<li class="question-card editing" id="q-([^"]+)"', added.text)
    assert found is not None
    new = {"id": found.group(1)}
    editor = added
    assert "Rows, one per line" in editor.text and "Points on the scale" in editor.text
    assert re.search(
        r'<textarea id="f-config-rows-[^"]+" name="config.rows"[^>]*>Speed\nPrice<', editor.text
    )
    assert 'name="config.max" type="number" min="2" max="10" value="5"' in editor.text

    saved = await client.post(
        f"/surveys/{sid}/questions/{new['id']}",
        data={
            "new_kind": "matrix",
            "text": "Rate each",
            "config.rows": "Speed\n\nPrice\nSupport\n",
            "config.max": "7",
        },
        headers=csrf | HTMX,
    )
    assert saved.status_code == 200, saved.text
    exported = (await client.get(f"/surveys/{sid}/export")).json()["definition"]
    changed = exported["questions"][-1]
    assert changed["config"] == {"rows": ["Speed", "Price", "Support"], "max": 7}
    assert changed["text"] == {"en": "Rate each"}

    # The kind's own config check runs on publish, with a path people can read.
    await client.post(
        f"/surveys/{sid}/questions/{new['id']}",
        data={"text": "Rate each", "config.rows": "", "config.max": "7"},
        headers=csrf | HTMX,
    )
    refused = await client.post(f"/api/v1/surveys/{sid}/publish", headers=headers)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "$.questions[2].config.rows"


async def _invitation(client: Any) -> tuple[str, str]:
    """A published NPS + matrix survey and a personal link to it; (survey id, token)."""
    db = app_services(client).db
    definition = msgspec.convert(DEFINITION, SurveyDefinition)

    async def publish() -> Any:
        survey = await surveys.create_survey(db, name="Matrix", definition=definition)
        version, _ = await surveys.publish(db, survey.id, definition)
        return version

    version = await in_app(client, publish)

    async def unit(tx: Tx) -> str:
        who = await contacts.upsert_contact(
            tx, f"cust-{now_iso()}", email="ada@example.com", name="Ada"
        )
        return await respond.create_invitation(
            tx,
            survey_id=version.survey_id,
            survey_version_id=version.id,
            contact_id=who.id,
            channel="email",
            send_at=now_iso(),
            checkpoint_key="order_delivered",
            status="sent",
        )

    return version.survey_id, await in_app(client, db.write, unit)


async def _answer_without_javascript(client: Any, token: str) -> str:
    """Plain form posts through the respondent page; returns the completed response id."""
    page = await client.get(f"/s/{token}")
    assert STEP.search(page.text).group(1) == "score"  # type: ignore[union-attr]
    page = await client.post(
        f"/s/{token}", data={"step": "score", "q_score": "3"}, follow_redirects=True
    )
    assert STEP.search(page.text).group(1) == "m"  # type: ignore[union-attr]
    assert 'type="radio" name="q_m.0" value="1"' in page.text
    assert 'type="radio" name="q_m.1" value="5"' in page.text

    missing = await client.post(f"/s/{token}", data={"step": "m", "q_m.0": "4"})
    assert "Choose a number for “Price”." in missing.text
    assert 'name="q_m.0" value="4" aria-label="Speed: 4" checked' in missing.text  # kept
    crafted = await client.post(f"/s/{token}", data={"step": "m", "q_m.0": "4", "q_m.1": "9"})
    assert "Choose a number from 1 to 5." in crafted.text

    done = await client.post(
        f"/s/{token}", data={"step": "m", "q_m.0": "4", "q_m.1": "2"}, follow_redirects=True
    )
    assert done.status_code == 200 and STEP.search(done.text) is None
    db = app_services(client).db
    row = await in_app(
        client,
        db.fetch_one,
        "SELECT r.id, a.value FROM responses r JOIN answers a ON a.response_id = r.id"
        " WHERE r.status = 'complete' AND a.question_id = 'm'",
    )
    assert msgspec.json.decode(row["value"]) == {"Speed": 4, "Price": 2}
    return row["id"]


async def test_answered_without_javascript_exported_and_shown_on_the_case_page(
    client: Any,
) -> None:
    sid, token = await _invitation(client)
    response_id = await _answer_without_javascript(client, token)

    read = await api_key(client, "read")
    as_csv = await client.get(
        "/api/v1/responses/export", params={"survey": sid, "format": "csv"}, headers=read
    )
    rows = list(csv.reader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    column = rows[0].index("Rate us [m]")
    assert rows[1][column] == "Speed: 4; Price: 2"
    as_json = await client.get(
        "/api/v1/responses/export", params={"survey": sid, "format": "json"}, headers=read
    )
    answers = {a["question_id"]: a for a in as_json.json()[0]["answers"]}
    assert answers["m"]["value"] == {"Speed": 4, "Price": 2}
    assert answers["m"]["text"] == "Speed: 4; Price: 2"

    # A detractor's score opened a case; its page prints the matrix answer as text.
    case = await in_app(client, followups.case_for_response, app_services(client).db, response_id)
    assert case is not None
    await login(client, await make_user(client, "admin"))
    page = await client.get(f"/followups/{case.id}")
    assert page.status_code == 200, page.text
    assert re.search(r"<dt>Rate us</dt>\s*<dd>Speed: 4; Price: 2</dd>", page.text)
