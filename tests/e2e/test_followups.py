"""The closed loop in a real browser against a real ``surveyor serve`` with its worker:
a customer answers NPS 2, their account manager signs in, opens the case, adds a note,
resolves it with a root cause, and the recovery survey arrives at a local SMTP server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from surveyor.app import build_services, start_services
from surveyor.checkpoints.models import CheckpointIn
from surveyor.checkpoints.store import create_checkpoint
from surveyor.followups import rules_store
from surveyor.followups.models import FollowupRule
from surveyor.settings import load_settings
from tests.delivery.servers import smtp_server
from tests.e2e.conftest import PASSWORD, SURVEYOR, Server
from tests.respond.helpers import invite, published
from tests.serving import free_port, running_server

MANAGER = "mia@e2e.example"


@pytest.fixture(scope="module")
def loop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    """``surveyor serve`` WITH its delivery worker, sending email to an aiosmtpd sink."""
    with smtp_server() as (sink, smtp_port):
        where = tmp_path_factory.mktemp("e2e-loop")
        port = free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(where)),
            "SURVEYOR_DATABASE": str(where / "loop.db"),
            "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
            "SURVEYOR_SECRET_KEY": "l" * 40,
            "SURVEYOR_EMAIL_URL": f"mailto://127.0.0.1:{smtp_port}?from=surveys@e2e.example&mode=insecure",
            "SURVEYOR_WORKER_POLL_SECONDS": "0.2",
        }
        command = [*SURVEYOR, "serve", "--port", str(port)]
        with running_server(command, env, where, port, where / "serve.log") as (base_url, _):
            yield Server(base_url=base_url, env=env, cwd=where), sink


def in_thread(coro: Any) -> Any:
    # Playwright's sync API keeps an event loop running in this thread: use another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def prepare(server: Server) -> str:
    """A published NPS survey on checkpoint ``order_delivered``, a rule that sends the
    recovery survey, and a personal link for a customer whose account manager is Mia."""

    async def make() -> str:
        svc = build_services(load_settings(environ=server.env))
        await start_services(svc)
        try:
            version = await published(svc.db)
            await create_checkpoint(
                svc.db,
                CheckpointIn(
                    key="order_delivered",
                    name="Order delivered",
                    survey_id=version.survey_id,
                    channels=["email"],
                ),
            )
            rule = FollowupRule(name="Detractors", recovery_survey=True)
            await svc.db.write(lambda tx: rules_store.save_rule(tx, rule))
            token, contact_id = await invite(svc.db, version, external_id="zoe", name="Zoe")
            await svc.db.write(
                lambda tx: tx.execute(
                    "UPDATE contacts SET attributes = ? WHERE id = ?",
                    (json.dumps({"account_manager": MANAGER, "tier": "gold"}), contact_id),
                )
            )
            return token
        finally:
            await svc.db.close()

    return server.url("/s/" + in_thread(make()))


def wait_for_mail(sink: Any, recipient: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for envelope in list(sink.messages):
            if recipient in envelope.rcpt_tos:
                return envelope
        time.sleep(0.1)  # polling for the worker's delivery, not timing
    raise AssertionError(f"no email to {recipient} within {timeout} s")


def test_a_manager_closes_the_loop_and_the_customer_gets_the_recovery_survey(
    loop_server: tuple[Server, Any], browser: Any
) -> None:
    server, sink = loop_server
    server.create_user(MANAGER, role="manager")
    link = prepare(server)

    customer = browser.new_context()
    page = customer.new_page()
    page.goto(link)
    page.get_by_role("group").get_by_text("2", exact=True).click()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("What could we do better?").fill("Parcel arrived <b>broken</b>")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Which of these mattered most?").wait_for()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    customer.close()

    staff = browser.new_context()
    page = staff.new_page()
    page.goto(server.url("/login"))
    page.get_by_label("Email").fill(MANAGER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(server.url("/followups"))
    page.get_by_role("link", name="Zoe").click()
    page.get_by_role("heading", name=re.compile("Zoe")).wait_for()
    assert page.get_by_text("Parcel arrived <b>broken</b>").is_visible()  # text, not markup

    # Keyboard only: type the note, Tab to its button, Enter.
    page.get_by_label("Add a note").focus()
    page.keyboard.type("Called Zoe, sending a replacement.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Add note"
    page.keyboard.press("Enter")
    page.locator(".timeline").get_by_text("Called Zoe, sending a replacement.").wait_for()

    page.get_by_label("Change status").select_option("resolved")
    page.get_by_label("Root cause (to resolve or close)").select_option("delivery or logistics")
    page.get_by_label("Outcome (to resolve or close)").fill("replacement shipped")
    page.get_by_role("button", name="Save status").click()
    page.get_by_text("recovery survey sent by email").wait_for()
    assert page.get_by_text("Resolved", exact=True).first.is_visible()
    staff.close()

    mail = wait_for_mail(sink, "zoe@example.com")
    body = mail.content.decode("utf-8", "replace")
    assert "/s/" in body
