"""The response feed and a contact's page in a real browser with the demo data, on a
360 px phone and a 1280 px screen; screenshots in test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, PHONE, Server
from tests.e2e.conftest import sign_in as sign_in_as

DESKTOP = {"width": 1280, "height": 900}
SHOTS = ARTIFACTS  # never docs/: tests must not rewrite committed files


@pytest.fixture(scope="module")
def demo(server: Server) -> Server:
    result = server.surveyor("demo")
    assert result.returncode == 0, result.stderr
    server.create_user("e2e-records@example.com", "admin")
    return server


def sign_in(page: Any, server: Server) -> None:
    sign_in_as(page, server, "e2e-records@example.com")


def fits(page: Any, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_response_feed_and_a_contact_page_at_360px_and_desktop(
    demo: Server, phone: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True, parents=True)
    sign_in(phone, demo)
    phone.goto(demo.url("/responses"))
    assert phone.get_by_role("heading", name="Responses").is_visible()
    rows = phone.locator("li.feed-row")
    assert rows.count() == 25
    assert fits(phone, PHONE["width"])
    phone.screenshot(path=str(SHOTS / "records-feed-360.png"), full_page=False)
    # Filter by detractors through htmx: the rows change, the page stays.
    phone.locator("select[name=nps]").select_option("detractor")
    phone.wait_for_url("**nps=detractor**")
    # Wait for the swap itself: "networkidle" may come before htmx's request starts.
    expect(phone.locator("li.feed-row .badge.nps-promoter")).to_have_count(0)
    badges = phone.locator("li.feed-row .badge.nps-detractor")
    badges.first.wait_for()
    # Load the next page in place: a row after the first page's last one appears.
    before = rows.count()
    phone.get_by_role("link", name="More →").click()
    rows.nth(before).wait_for()
    assert phone.locator("li.feed-row").count() > before
    assert fits(phone, PHONE["width"])

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, demo)
    page.goto(demo.url("/responses?has_comment=true"))
    page.screenshot(path=str(SHOTS / "records-feed-1280.png"), full_page=False)
    # Links load new pages: wait for what the new page shows (the click need not wait for
    # the navigation, so the load state could still be the old page's).
    page.locator("li.feed-row a").first.click()
    expect(page.get_by_role("heading", name="Answers")).to_be_visible()
    page.screenshot(path=str(SHOTS / "records-response-1280.png"), full_page=True)
    contact_link = page.locator("dd a[href^='/contacts/']").first
    contact_link.click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    assert page.get_by_role("button", name="Erase personal data").is_visible()
    page.screenshot(path=str(SHOTS / "records-contact-1280.png"), full_page=True)
    phone.goto(page.url)
    assert fits(phone, PHONE["width"])
    phone.screenshot(path=str(SHOTS / "records-contact-360.png"), full_page=True)
    context.close()
