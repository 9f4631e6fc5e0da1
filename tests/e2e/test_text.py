"""Comment themes in a real browser: the demo's comments analysed with ``surveyor text
reindex``, the themes panel on a checkpoint dashboard and the Themes page, at 360 px
and 1280 px; screenshots in test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Server
from tests.e2e.conftest import sign_in as sign_in_as

DESKTOP = {"width": 1280, "height": 900}
SHOTS = ARTIFACTS  # never docs/: tests must not rewrite committed files


@pytest.fixture(scope="module")
def analysed(server: Server) -> Server:
    result = server.surveyor("demo")
    assert result.returncode == 0, result.stderr
    result = server.surveyor("text", "reindex")
    assert result.returncode == 0, result.stderr
    assert "comments analysed for the first time" in result.stdout
    server.create_user("e2e-text@example.com", "designer")
    return server


def sign_in(page: Any, server: Server) -> None:
    sign_in_as(page, server, "e2e-text@example.com")


def fits(page: Any, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, DESKTOP])
def test_themes_panel_and_dictionary_page(
    analysed: Server, browser: Any, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    sign_in(page, analysed)
    page.goto(analysed.url("/dashboard"))
    # Links load new pages: wait for what the new page shows (the click need not wait for
    # the navigation, so the load state could still be the old page's).
    page.get_by_role("link", name="Support case closed").first.click()
    panel = page.locator("#themes-panel")
    expect(panel.get_by_role("heading", name="What customers talk about")).to_be_visible()
    assert panel.locator("tbody tr").count() >= 1
    # The demo's change marker, with the top themes' shares before and after it.
    change = panel.locator(".change", has_text="Self-service returns launched")
    assert change.get_by_text("Theme shares before").is_visible()
    assert fits(page, viewport["width"])
    SHOTS.mkdir(exist_ok=True, parents=True)
    panel.screenshot(path=str(SHOTS / f"text-themes-panel-{viewport['width']}.png"))
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():  # on a phone the navigation folds behind its menu button
        menu.click()
    page.get_by_role("link", name="Themes").first.click()
    expect(page.get_by_role("heading", name="Comment themes")).to_be_visible()
    assert page.locator("input[name=name_0]").input_value()
    assert fits(page, viewport["width"])
    page.screenshot(path=str(SHOTS / f"text-themes-page-{viewport['width']}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, DESKTOP])
def test_feed_filters_by_sentiment_and_suggested_themes(
    analysed: Server, browser: Any, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    sign_in(page, analysed)
    page.goto(analysed.url("/responses?sentiment=negative"))
    page.wait_for_load_state()
    assert page.locator("select[name=sentiment]").input_value() == "negative"
    assert page.locator("select[name=theme] option").count() > 1
    assert fits(page, viewport["width"])
    page.screenshot(path=str(SHOTS / f"text-feed-filters-{viewport['width']}.png"))
    page.goto(analysed.url("/text/themes#suggested"))
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Suggested themes").is_visible()
    assert fits(page, viewport["width"])
    page.locator("#suggested").screenshot(
        path=str(SHOTS / f"text-suggested-themes-{viewport['width']}.png")
    )
    context.close()
