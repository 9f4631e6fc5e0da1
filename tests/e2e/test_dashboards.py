"""Dashboards in a real browser with the demo data: the journey map and one checkpoint's
dashboard, on a 360 px phone and a desktop screen; screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, Server
from tests.e2e.conftest import sign_in as sign_in_as
from tests.e2e.test_respond import axe_violations

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def demo(server: Server) -> Server:
    result = server.surveyor("demo")
    assert result.returncode == 0, result.stderr
    assert "Demo metrics" in result.stdout
    server.create_user("e2e-dash@example.com", "manager")
    return server


def sign_in(page: Any, server: Server) -> None:
    sign_in_as(page, server, "e2e-dash@example.com")


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
    # On a phone the curve keeps readable text and scrolls sideways inside its frame.
    frame = phone.locator("#emotion-curve .chart-frame")
    box = frame.bounding_box()
    assert box is not None and 250 <= box["width"] <= PHONE["width"]
    curve = phone.locator("#emotion-curve svg")
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
    from playwright.sync_api import expect

    phone.get_by_role("link", name="Support case closed").first.click()
    # The link loads a new page: wait for it (the click need not wait for the navigation).
    expect(phone.get_by_role("heading", name="Support case closed")).to_be_visible()
    # A year, so the marker 120 days ago is on the trend; htmx swaps the body only. The
    # charts and the change list are there before the swap too, so wait for the new URL:
    # htmx pushes it in the same task as it swaps the answer in.
    phone.locator("select[name=days]").select_option("365")
    phone.wait_for_url("**days=365**")
    assert phone.locator("#changes h3", has_text="Self-service returns launched").is_visible()
    assert phone.locator("#dash-body svg").count() >= 4
    for frame in phone.locator("#dash-body .chart-frame").all():
        box = frame.bounding_box()
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


@pytest.mark.parametrize("width", [360, 1280])
def test_statistics_parts_of_a_dashboard_fit_and_are_labelled(
    demo: Server, browser: Any, width: int, artifacts: Path
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
    page.screenshot(path=str(artifacts / f"stats-dashboard-{width}.png"), full_page=True)
    page.locator("#drivers").screenshot(path=str(artifacts / f"stats-drivers-{width}.png"))
    page.goto(demo.url("/dashboard?days=365"))
    assert page.locator("#fdr-note").is_visible()
    assert fits(page, width)
    page.screenshot(path=str(artifacts / f"stats-overview-{width}.png"), full_page=True)
    context.close()


# Text of every chart inside its SVG, every card's children inside the card (charts and
# tables scroll inside their own frames), and what sticks out, for the failure message.
LAYOUT = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart-svg')) {
    const r = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBoundingClientRect();
      if (b.left < r.left - 1 || b.right > r.right + 1 || b.top < r.top - 1 || b.bottom > r.bottom + 1)
        out.push('text outside its chart: ' + t.textContent.slice(0, 40));
    }
  }
  for (const card of document.querySelectorAll('main .card')) {
    const r = card.getBoundingClientRect();
    for (const c of card.querySelectorAll('*')) {
      if (c.closest('.chart-frame') || c.closest('.table-wrap')) continue;
      const b = c.getBoundingClientRect();
      if (b.width && (b.right > r.right + 1 || b.left < r.left - 1))
        out.push('outside its card: ' + c.tagName + '.' + c.className + ' ' + (c.textContent || '').slice(0, 30));
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 360])
def test_journey_map_and_dashboard_charts_fit_show_markers_and_pass_axe(
    demo: Server, browser: Any, width: int, artifacts: Path
) -> None:
    """Issue 19: full labels, change markers with their before/after delta on the curve
    and the trend, cards without overflow, a text alternative and a data table for every
    chart, and no serious or critical axe-core violation, at 1280 and 360 px."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, demo)

    page.goto(demo.url("/journey/map?days=365"))
    assert page.evaluate(LAYOUT) == []
    assert fits(page, width)
    curve = page.locator("#emotion-curve svg")
    labels = curve.locator("text.label").all_text_contents()
    for name in ("Signed up", "Onboarding done", "Support case closed", "Renewal"):
        assert name in " ".join(labels)  # every checkpoint's full name, never cut
    markers = curve.locator("g.marker")
    assert markers.count() == 2
    texts = " ".join(markers.all_text_contents())
    assert "Self-service returns launched" in texts and "New parcel carrier" in texts
    for marker in markers.all():
        delta = marker.get_attribute("data-delta") or ""
        assert delta.startswith("feeling ") and delta in marker.text_content()
    assert curve.get_attribute("role") == "img"
    assert "Mean feeling" in (curve.locator("desc").text_content() or "")
    page.locator("#emotion-curve summary").click()
    assert page.locator("#emotion-curve details table tbody tr").count() == 6
    assert page.locator("li.stop .marker-delta").count() == 2  # and on their cards
    page.screenshot(path=str(artifacts / f"journey-map-{width}.png"), full_page=True)
    page.locator("#emotion-curve").screenshot(path=str(artifacts / f"journey-curve-{width}.png"))
    assert axe_violations(page) == []

    page.goto(demo.url("/dashboard/checkpoints/support_case_closed?days=365"))
    assert page.evaluate(LAYOUT) == []
    assert fits(page, width)
    trend = page.locator("#trend svg")
    marker = trend.locator("g.marker-accelerator")
    assert marker.count() == 1
    delta = marker.get_attribute("data-delta") or ""
    assert delta.startswith("NPS +") and delta in marker.text_content()
    assert page.locator("#trend .marker-list").get_by_text(delta).count() >= 1
    for figure in page.locator("#dash-body figure").all():  # every chart: words and numbers
        assert figure.locator("svg[role=img] desc").text_content()
        assert figure.locator("figcaption .chart-summary").text_content()
        assert figure.locator("details table").count() == 1
    page.screenshot(path=str(artifacts / f"dashboard-{width}.png"), full_page=True)
    page.locator("#trend").screenshot(path=str(artifacts / f"dashboard-trend-{width}.png"))
    assert axe_violations(page) == []

    page.goto(demo.url("/dashboard?days=365"))
    assert fits(page, width)
    page.screenshot(path=str(artifacts / f"dashboard-overview-{width}.png"), full_page=True)
    assert axe_violations(page) == []
    context.close()
