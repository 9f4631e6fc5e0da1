"""Dashboards in a real browser with the demo data: the journey map and one checkpoint's
dashboard, on a 360 px phone and a desktop screen; screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, PASSWORD, PHONE, Server

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def demo(server: Server) -> Server:
    result = server.surveyor("demo")
    assert result.returncode == 0, result.stderr
    assert "Demo metrics" in result.stdout
    server.create_user("e2e-dash@example.com", "manager")
    return server


def sign_in(page: Any, server: Server) -> None:
    page.goto(server.url("/login"))
    page.get_by_label("Email").fill("e2e-dash@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def fits(page: Any, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_journey_map_with_demo_data_at_360px_and_desktop(
    demo: Server, phone: Any, browser: Any, artifacts: Path
) -> None:
    sign_in(phone, demo)
    phone.goto(demo.url("/journey/map"))
    assert phone.get_by_role("heading", name="Journey map").is_visible()
    stops = phone.locator("li.stop")
    assert stops.count() == 6
    assert stops.first.get_by_text("Signed up").is_visible()
    curve = phone.locator("#emotion-curve svg")
    box = curve.bounding_box()
    assert box is not None and 250 <= box["width"] <= PHONE["width"]
    assert fits(phone, PHONE["width"])
    phone.screenshot(path=str(artifacts / "e2e-journey-map-360.png"), full_page=True)
    curve.screenshot(path=str(artifacts / "e2e-journey-curve-360.png"))

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, demo)
    page.goto(demo.url("/journey/map"))
    page.screenshot(path=str(artifacts / "e2e-journey-map-desktop.png"), full_page=True)
    context.close()


def test_checkpoint_dashboard_with_a_change_marker(
    demo: Server, phone: Any, browser: Any, artifacts: Path
) -> None:
    sign_in(phone, demo)
    phone.goto(demo.url("/dashboard"))
    phone.get_by_role("link", name="Support case closed").first.click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="Support case closed").is_visible()
    # A year, so the marker 120 days ago is on the trend; htmx swaps the body only.
    phone.locator("select[name=days]").select_option("365")
    phone.wait_for_function("document.querySelector('#dash-body svg') !== null")
    phone.wait_for_url("**days=365**")
    assert phone.locator("#changes h3", has_text="Self-service returns launched").is_visible()
    assert phone.locator("#dash-body svg").count() >= 4
    for svg in phone.locator("#dash-body svg").all():
        box = svg.bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
    assert fits(phone, PHONE["width"])
    phone.screenshot(path=str(artifacts / "e2e-dashboard-checkpoint-360.png"), full_page=True)
    phone.locator("#dash-body section.chart").first.screenshot(
        path=str(artifacts / "e2e-dashboard-trend-360.png")
    )

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, demo)
    page.goto(demo.url("/dashboard/checkpoints/support_case_closed?days=365"))
    assert page.get_by_text("vs previous period").first.is_visible()
    page.locator("#dash-body section.chart").first.screenshot(
        path=str(artifacts / "e2e-dashboard-trend-desktop.png")
    )
    page.screenshot(path=str(artifacts / "e2e-dashboard-checkpoint-desktop.png"), full_page=True)
    page.goto(demo.url("/dashboard"))
    page.screenshot(path=str(artifacts / "e2e-dashboard-overview-desktop.png"), full_page=True)
    context.close()


SCREENSHOTS = ARTIFACTS  # never docs/: tests must not rewrite committed files


@pytest.mark.parametrize("width", [360, 1280])
def test_statistics_parts_of_a_dashboard_fit_and_are_labelled(
    demo: Server, browser: Any, width: int
) -> None:
    """Issue 16: NEV beside the emotion mean, the FDR note, key drivers and the trend's
    minimum-n marks, at a phone's and a desktop's width."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, demo)
    page.goto(demo.url("/dashboard/checkpoints/support_case_closed?days=365"))
    assert page.locator("#fdr-note").is_visible()
    assert page.get_by_text("Benjamini").first.is_visible()
    assert page.get_by_text("trinomial difference test").first.is_visible()
    assert page.locator("#drivers h2").is_visible()
    assert fits(page, width)
    SCREENSHOTS.mkdir(exist_ok=True, parents=True)
    page.screenshot(path=str(SCREENSHOTS / f"stats-dashboard-{width}.png"), full_page=True)
    page.locator("#drivers").screenshot(path=str(SCREENSHOTS / f"stats-drivers-{width}.png"))
    page.goto(demo.url("/dashboard?days=365"))
    assert page.locator("#fdr-note").is_visible()
    assert fits(page, width)
    page.screenshot(path=str(SCREENSHOTS / f"stats-overview-{width}.png"), full_page=True)
    context.close()
