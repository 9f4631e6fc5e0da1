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
from tests.e2e.conftest import SURVEYOR, Server
from tests.e2e.conftest import sign_in as sign_in_as
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
            "SURVEYOR_REPLY_TO": "care@e2e.example",
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
    # With JavaScript the optional questions after the score share one page.
    page.get_by_text("Which of these mattered most?").wait_for()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    customer.close()

    staff = browser.new_context()
    page = staff.new_page()
    sign_in_as(page, server, MANAGER)
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

    page.get_by_text("Change status or close").click()  # the close form is folded away
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


# -- the workbench (issue 19) -----------------------------------------------------------


def seed_case(server: Server, external_id: str, manager: str, score: int, comment: str) -> str:
    """A customer of ``manager`` answered ``score`` with ``comment``: returns the case id."""

    async def make() -> str:
        from surveyor.contacts import store as contacts
        from surveyor.followups import store as cases
        from tests.followups.helpers import answer, nps_version

        svc = build_services(load_settings(environ=server.env))
        await start_services(svc)
        try:
            version = await nps_version(svc.db)
            who = await svc.db.write(
                lambda tx: contacts.upsert_contact(
                    tx,
                    external_id,
                    email=f"{external_id}@example.com",
                    name=external_id.title(),
                    attributes={"account_manager": manager, "company": "Acme Ltd"},
                )
            )
            response = await answer(svc, version, who, score, comment)
            case = await cases.case_for_response(svc.db, response.id)
            assert case is not None
            return case.id
        finally:
            await svc.db.close()

    return in_thread(make())


def sign_in(browser: Any, server: Server, email: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    sign_in_as(page, server, email)
    return context, page


def axe_serious(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    from tests.e2e.test_respond import axe_violations

    return axe_violations(page)


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def test_a_reply_reaches_the_customer_and_the_timeline_says_sent(
    loop_server: tuple[Server, Any], browser: Any, artifacts: Any
) -> None:
    server, sink = loop_server
    manager = "rita@e2e.example"
    server.create_user(manager, role="manager")
    case_id = seed_case(server, "yuki", manager, 1, "The courier left the parcel in the rain.")

    context, page = sign_in(browser, server, manager, {"width": 1280, "height": 900})
    page.goto(server.url("/followups/templates"))
    page.get_by_label("Name").fill("Apology")
    page.get_by_label("Subject").fill("About your {{ survey }} answer, {{ contact.first_name }}")
    page.get_by_label("Message").fill(
        "Hello {{ contact.name }},\n\nyou gave us {{ score }}. We are sorry.\n\n{{ agent.name }}"
    )
    page.get_by_role("button", name="Save template").click()
    page.get_by_role("link", name="Apology").wait_for()

    page.goto(server.url(f"/followups/{case_id}"))
    page.get_by_text("The courier left the parcel in the rain.").wait_for()
    page.get_by_label("Start from a template").select_option(label="Apology")
    page.get_by_role("button", name="Use").click()
    subject = page.get_by_label("Subject")
    page.wait_for_function("document.getElementById('reply-subject').value !== ''")
    assert subject.input_value() == "About your NPS answer, Yuki"
    body = page.get_by_label("Message")
    assert "you gave us 1. We are sorry." in body.input_value()
    body.fill(body.input_value() + "\nA new parcel is on its way.")
    page.get_by_role("button", name="Send reply").click()
    status = page.locator(".timeline .event-reply .reply-status")
    status.wait_for()
    # The timeline polls while the reply is on its way; the worker's delivery turns it "sent".
    page.locator('.timeline .event-reply .reply-status[data-state="sent"]').wait_for(timeout=30_000)
    assert status.inner_text().strip() == "sent"
    page.screenshot(path=str(artifacts / "case-page-1280.png"), full_page=True)
    no_sideways_scroll(page)
    assert axe_serious(page) == []

    mail = wait_for_mail(sink, "yuki@example.com")
    from email import message_from_bytes, policy

    message = message_from_bytes(mail.content, policy=policy.default)
    assert message["Subject"] == "About your NPS answer, Yuki"
    assert message["Reply-To"] == "care@e2e.example"
    assert "surveys@e2e.example" in message["From"]
    text = message.get_body(("plain",)).get_content()
    assert "A new parcel is on its way." in text and "Hello Yuki," in text

    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1)
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(server.url(f"/followups/{case_id}"))
    small.get_by_role("heading", name=re.compile("Yuki")).wait_for()
    no_sideways_scroll(small)
    small.screenshot(path=str(artifacts / "case-page-360.png"), full_page=True)
    assert axe_serious(small) == []
    small.goto(server.url("/followups?scope=all&status="))
    no_sideways_scroll(small)
    assert axe_serious(small) == []
    small.screenshot(path=str(artifacts / "inbox-360.png"), full_page=True)
    phone.close()
    context.close()


def test_the_keyboard_closes_a_case(
    loop_server: tuple[Server, Any], browser: Any, artifacts: Any
) -> None:
    server, _ = loop_server
    manager = "kai@e2e.example"
    server.create_user(manager, role="manager")
    case_id = seed_case(server, "omar", manager, 3, "Support never called back.")
    seed_case(server, "lena", manager, 5, "Slow delivery.")

    context, page = sign_in(browser, server, manager, {"width": 1280, "height": 900})
    page.goto(server.url("/followups?scope=mine"))
    page.get_by_text("Support never called back.").wait_for()
    # The nav counts this manager's open cases.
    assert page.locator(".mainnav .nav-count").first.inner_text().strip().endswith("2")
    page.screenshot(path=str(artifacts / "inbox-1280.png"), full_page=True)
    assert axe_serious(page) == []

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    help_dialog.wait_for()
    assert help_dialog.get_by_text("next / previous case").is_visible()
    page.keyboard.press("Escape")
    # While the dialog is open the keys below would go to it.
    help_dialog.wait_for(state="hidden")

    rows = page.locator("[data-case-row]")
    ids = [rows.nth(i).get_attribute("data-case-id") for i in range(rows.count())]
    page.keyboard.press("j")
    for _ in range(ids.index(case_id)):
        page.keyboard.press("j")
    assert page.locator("[data-case-row].is-current").get_attribute("data-case-id") == case_id
    page.keyboard.press("x")
    assert page.locator("[data-selected-count]").inner_text() == "1"
    page.keyboard.press("x")
    page.keyboard.press("e")
    page.wait_for_url(re.compile(rf".*/followups/{case_id}#close$"))
    status = page.get_by_label("Change status")
    status.wait_for()
    assert page.evaluate("document.activeElement.id") == "status"
    assert status.input_value() == "resolved"
    page.keyboard.press("Tab")
    page.keyboard.type("support")  # the root cause select picks "support experience"
    page.keyboard.press("Tab")
    page.keyboard.type("Called Omar and apologised.")
    page.keyboard.press("Enter")
    page.locator(".case-badges").get_by_text("Resolved", exact=True).wait_for()
    assert page.get_by_text("support experience").first.is_visible()
    context.close()
