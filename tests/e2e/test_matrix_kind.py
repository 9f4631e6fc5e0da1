"""A plugin's question kind in a real browser: the ``matrix`` test plugin
(``tests/plugins/matrix``, loaded as a single-file plugin) is designed in the designer
and answered with JavaScript on a phone, with no core file knowing about it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import pytest

from surveyor.app import build_services, start_services
from surveyor.settings import load_settings
from surveyor.surveys.models import SurveyDefinition
from tests.e2e.conftest import PHONE, SURVEYOR, Server, sign_in
from tests.e2e.test_respond import axe_violations, choose
from tests.respond.helpers import invite, published
from tests.serving import free_port, running_server

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugins" / "matrix"
DEFINITION = {
    "questions": [
        {"id": "score", "kind": "nps", "text": {"en": "Recommend us?"}, "required": True},
        {
            "id": "m",
            "kind": "matrix",
            "text": {"en": "Rate each of these"},
            "required": True,
            "config": {"rows": ["Speed", "Price"], "max": 5},
        },
    ]
}


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``surveyor serve`` with the matrix plugin in its plugins folder."""
    where = tmp_path_factory.mktemp("e2e-matrix")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(where)),
        "SURVEYOR_DATABASE": str(where / "e2e.db"),
        "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
        "SURVEYOR_SECRET_KEY": "e" * 40,
        "SURVEYOR_PLUGINS_DIR": str(PLUGIN_DIR),
    }
    command = [*SURVEYOR, "serve", "--port", str(port), "--no-worker"]
    with running_server(command, env, where, port, where / "serve.log") as (base_url, _):
        yield Server(base_url=base_url, env=env, cwd=where)


def on_server_db(server: Server, work: Any) -> Any:
    """Run ``await work(db)`` against the running server's database, from another thread
    (Playwright's sync API keeps an event loop running in this one)."""
    settings = load_settings(environ=server.env)

    async def run() -> Any:
        svc = build_services(settings)
        await start_services(svc)
        try:
            return await work(svc.db)
        finally:
            await svc.db.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_a_designer_adds_and_edits_a_matrix_question(
    matrix_server: Server, browser: Any, artifacts: Path
) -> None:
    designer = matrix_server.create_user("e2e-matrix-designer@example.com", "designer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, matrix_server, designer)
        page.goto(matrix_server.url("/surveys"))
        page.get_by_label("Name", exact=True).fill("E2E matrix")
        page.get_by_label("Start from").select_option("nps")
        page.get_by_role("button", name="Create").click()
        page.wait_for_url("**/surveys/*")
        survey_id = page.url.rsplit("/", 1)[1].split("?")[0]

        page.get_by_label("Add a question").select_option("matrix")
        page.get_by_role("button", name="Add", exact=True).click()
        editor = page.locator("form.question-editor")
        editor.wait_for()
        # The kind's own editor fields, rendered from its declarative list.
        assert editor.get_by_label("Rows, one per line").input_value() == "Speed\nPrice"
        editor.get_by_label("Question text (en)").fill("Rate each of these")
        editor.get_by_label("Rows, one per line").fill("Speed\nPrice\nSupport")
        editor.get_by_label("Points on the scale").fill("4")
        editor.get_by_role("button", name="Save question").click()
        page.locator(".question-card", has_text="Rate each of these").wait_for()
        page.screenshot(path=str(artifacts / "designer-matrix.png"), full_page=True)

        exported = page.request.get(matrix_server.url(f"/surveys/{survey_id}/export")).json()
        question = exported["definition"]["questions"][-1]
        assert question["kind"] == "matrix"
        assert question["config"] == {"rows": ["Speed", "Price", "Support"], "max": 4}

        # The kind's own config check passes on publish.
        page.get_by_role("button", name="Publish", exact=True).click()
        page.get_by_text("Published as version 1.").wait_for()
    finally:
        context.close()


def test_a_customer_answers_a_matrix_with_javascript(
    matrix_server: Server, phone: Any, artifacts: Path
) -> None:
    definition = msgspec.convert(DEFINITION, SurveyDefinition)

    async def make(db: Any) -> str:
        version = await published(db, definition)
        token, _ = await invite(db, version, external_id="e2e-matrix")
        return token

    token = on_server_db(matrix_server, make)
    link = matrix_server.url("/s/" + token)
    phone.goto(link)
    choose(phone, 3)
    phone.get_by_role("button", name="Next").click()
    phone.get_by_text("Rate each of these").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(phone) == []
    phone.screenshot(path=str(artifacts / "respond-matrix.png"), full_page=True)

    phone.get_by_label("Speed: 4").check()
    phone.get_by_role("button", name="Send").click()
    phone.get_by_text("Choose a number for “Price”.").wait_for()  # checked by the kind
    assert phone.get_by_label("Speed: 4").is_checked()  # what was chosen stays chosen
    phone.get_by_label("Price: 2").check()
    phone.get_by_role("button", name="Send").click()
    phone.get_by_role("heading", name="Thank you!").wait_for()
    assert phone.url == link  # htmx swapped the steps in place

    async def stored(db: Any) -> Any:
        return await db.fetch_val(
            "SELECT a.value FROM answers a JOIN responses r ON r.id = a.response_id"
            " WHERE r.status = 'complete' AND a.question_id = 'm'"
        )

    assert msgspec.json.decode(on_server_db(matrix_server, stored)) == {"Speed": 4, "Price": 2}
