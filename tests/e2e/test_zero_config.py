"""The zero-configuration loop in a real browser against ``surveyor serve`` with its
worker and NO email settings: a test event lands in the built-in mailbox, the customer
follows its link on a 360 px phone and answers 2, a case opens (the default rule),
resolving it sends the recovery survey (on by default) to the mailbox, the customer
answers 9, and the case says "won back". Plus: an embedded share link tells its host
page when it is finished (postMessage)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from surveyor.app import build_services, start_services
from surveyor.checkpoints.models import CheckpointIn
from surveyor.checkpoints.store import create_checkpoint
from surveyor.respond.links import embed_html
from surveyor.respond.links_store import create_public_link
from surveyor.settings import load_settings
from tests.e2e.conftest import ARTIFACTS, PHONE, SURVEYOR, Server, sign_in
from tests.e2e.test_followups import in_thread
from tests.respond.helpers import nps_definition, published
from tests.serving import free_port, running_server

ADMIN = "ada@e2e.example"
SHOTS = ARTIFACTS  # never docs/: tests must not rewrite committed files


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``surveyor serve`` with its worker and no email or SMS settings at all."""
    where = tmp_path_factory.mktemp("e2e-zero")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(where)),
        "SURVEYOR_DATABASE": str(where / "zero.db"),
        "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
        "SURVEYOR_SECRET_KEY": "z" * 40,
        "SURVEYOR_WORKER_POLL_SECONDS": "0.2",
    }
    command = [*SURVEYOR, "serve", "--port", str(port)]
    with running_server(command, env, where, port, where / "serve.log") as (base_url, _):
        server = Server(base_url=base_url, env=env, cwd=where)
        prepare(server)
        yield server


def one_question() -> Any:
    data = msgspec.to_builtins(nps_definition())
    data["questions"] = data["questions"][:1]
    data["endings"] = []
    return msgspec.convert(data, type(nps_definition()))


def prepare(server: Server) -> str:
    """A one-question NPS survey on checkpoint ``order_delivered`` and a share link."""

    async def make() -> str:
        svc = build_services(load_settings(environ=server.env))
        await start_services(svc)
        try:
            version = await published(svc.db, one_question())
            await create_checkpoint(
                svc.db,
                CheckpointIn(
                    key="order_delivered",
                    name="Order delivered",
                    survey_id=version.survey_id,
                    channels=["email"],
                ),
            )
            await create_public_link(svc.db, version.survey_id, slug="embedme")
            return version.survey_id
        finally:
            await svc.db.close()

    return in_thread(make())


def newest_link(page: Any, server: Server, count: int, timeout: float = 30) -> str:
    """Wait until the mailbox holds ``count`` messages; the newest one's survey link."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(server.url("/mailbox"))
        items = page.locator("#mailbox-messages > li")
        if items.count() >= count:
            return items.first.get_by_role("link", name="Open the link").get_attribute("href")
        time.sleep(0.2)  # polling for the worker's delivery, not timing
    raise AssertionError(f"the mailbox did not get {count} messages within {timeout} s")


def test_the_whole_loop_works_with_zero_configuration(bare_server: Server, browser: Any) -> None:
    server = bare_server
    server.create_user(ADMIN, role="admin")
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, server, ADMIN)
    page.goto(server.url("/journey/order_delivered"))
    # The banner says where messages go.
    page.get_by_text("go to the built-in mailbox").first.wait_for()
    page.get_by_role("button", name="Send a test event to me").click()
    page.get_by_text(f"A real event was fired for {ADMIN}").wait_for()
    page.screenshot(path=str(SHOTS / "checkpoint-snippets-1280.png"), full_page=True)

    link = newest_link(page, server, 1)
    page.screenshot(path=str(SHOTS / "mailbox-1280.png"), full_page=True)
    customer = browser.new_context(viewport=PHONE)
    phone = customer.new_page()
    # The score tapped in the email: the page saves it by itself (a POST after it loads).
    phone.goto(link + "?score=2")
    phone.get_by_role("heading", name="Thank you!").wait_for()

    page.goto(server.url("/followups"))
    page.locator("a[href^='/followups/']").filter(
        has_text=re.compile("staff-test|Ada|ada")
    ).first.click()
    page.locator("#close-box summary").click()  # the status form is folded on the case page
    page.get_by_label("Change status").select_option("resolved")
    page.get_by_label("Root cause (to resolve or close)").select_option(index=1)
    page.get_by_label("Outcome (to resolve or close)").fill("called back")
    page.get_by_role("button", name="Save status").click()
    page.locator(".recovery-state").wait_for()
    case_url = page.url

    link = newest_link(page, server, 2)
    assert "/s/" in link
    phone.goto(link)
    phone.get_by_text("Yes", exact=True).click()
    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("group").get_by_text("9", exact=True).click()
    phone.get_by_role("button", name="Send").click()
    phone.get_by_role("heading", name="Thank you!").wait_for()
    phone.screenshot(path=str(SHOTS / "respond-thanks-360.png"))
    customer.close()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.goto(case_url)
        state = page.locator(".recovery-state")
        if state.get_attribute("data-state") == "answered":
            break
        time.sleep(0.2)  # polling for the completion's outbox job, not timing
    assert "answered with 9" in page.locator(".recovery-state").inner_text()
    assert "customer won back" in page.locator(".recovery-state").inner_text()
    page.screenshot(path=str(SHOTS / "case-won-back-1280.png"), full_page=True)
    page.goto(server.url("/surveys"))
    page.locator("a[href^='/surveys/']").filter(has_text="Test NPS").first.click()
    # Read the survey's address once the browser is there (the click need not wait).
    page.wait_for_url("**/surveys/*")
    page.goto(page.url.split("#")[0].rstrip("/") + "/links")
    page.get_by_role("heading", name="Share links").wait_for()
    page.screenshot(path=str(SHOTS / "share-links-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / "share-links-360.png"), full_page=True)
    page.goto(server.url("/mailbox"))
    page.screenshot(path=str(SHOTS / "mailbox-360.png"), full_page=True)
    # Nothing sticks out of a phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    staff.close()


def test_an_embedded_link_tells_its_host_page_when_it_is_finished(
    bare_server: Server, browser: Any, tmp_path: Path
) -> None:
    server = bare_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    # The host: a page of ours emptied and given the link's embed snippet (chromium
    # refuses a loopback frame inside about:blank, private network access).
    page.goto(server.url("/login"))
    page.set_content(
        "<!doctype html><body><script>window.got = [];"
        "addEventListener('message', e => window.got.push(e.data));</script>"
        + embed_html(server.url("/p/embedme")).replace("<iframe ", '<iframe id="f" ', 1)
    )
    frame = page.frame_locator("#f")
    frame.get_by_role("group").get_by_text("7", exact=True).click()
    frame.get_by_role("button", name="Send").click()
    frame.get_by_role("heading", name="Thank you!").wait_for()
    page.wait_for_function("window.got.length > 0")
    got = page.evaluate("window.got")
    assert got == [{"type": "surveyor:response-completed", "slug": "embedme"}]
    page.screenshot(path=str(SHOTS / "embed-360.png"))
    context.close()
