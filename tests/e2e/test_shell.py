"""The staff shell in a real browser: the navigation collapses behind a menu button at
360 px and is a sidebar at 1280 px, works without JavaScript, follows the dark scheme,
and the shared pages pass axe-core at both widths in both schemes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, Server, assert_accessible, sign_in

NAV = ["Dashboards", "Journey", "Surveys", "Follow-ups", "Responses", "Contacts", "Settings"]
DESKTOP = {"width": 1280, "height": 800}


def no_horizontal_scroll(page: Any, width: int = PHONE["width"]) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def luminance(page: Any, selector: str, prop: str) -> float:
    """Relative brightness 0–1 of a computed colour (rgb/rgba)."""
    value = page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
    r, g, b = (int(float(x)) for x in value[value.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.fixture(scope="module")
def admin(server: Server) -> str:
    return server.create_user("e2e-admin@example.com", "admin")


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


def test_sign_in_open_the_menu_and_sign_out_at_360px(
    server: Server, admin: str, phone: Any, artifacts: Path
) -> None:
    phone.goto(server.url("/"))
    assert phone.url.startswith(server.url("/login"))
    assert no_horizontal_scroll(phone)
    assert_accessible(phone, "login 360")
    phone.screenshot(path=str(artifacts / "e2e-login-360.png"), full_page=True)

    sign_in(phone, server, admin)
    nav = phone.get_by_role("navigation", name="Main")
    menu = phone.get_by_role("button", name="Menu")
    # Collapsed: one compact bar, the content starts right under it.
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    bar = phone.locator("#topbar").bounding_box()
    assert bar is not None and bar["height"] <= 64
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(artifacts / "e2e-signed-in-360.png"))

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    for label in NAV:
        link = nav.get_by_role("link", name=label, exact=True)
        assert link.is_visible(), label
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone.get_by_role("button", name="Sign out").is_visible()
    assert no_horizontal_scroll(phone)
    assert_accessible(phone, "menu open 360")
    phone.screenshot(path=str(artifacts / "e2e-menu-open-360.png"))
    phone.keyboard.press("Escape")
    assert not nav.is_visible() and menu.get_attribute("aria-expanded") == "false"

    menu.click()
    phone.get_by_role("button", name="Sign out").click()
    phone.wait_for_url(server.url("/login") + "*")
    # The session is gone: a staff page sends us back to the sign-in form.
    phone.goto(server.url("/dashboard"))
    assert phone.url.startswith(server.url("/login"))
    assert phone.get_by_role("button", name="Sign in").is_visible()


def test_the_navigation_is_a_sidebar_at_1280px(server: Server, admin: str, desktop: Any) -> None:
    sign_in(desktop, server, admin)
    desktop.goto(server.url("/settings"))
    assert not desktop.get_by_role("button", name="Menu").is_visible()
    nav = desktop.get_by_role("navigation", name="Main")
    boxes = [nav.get_by_role("link", name=label, exact=True).bounding_box() for label in NAV]
    assert all(box is not None and box["x"] < 260 for box in boxes)  # one column, on the left
    current = nav.locator("[aria-current=page]")
    assert current.inner_text() == "Settings"
    main = desktop.locator("main").bounding_box()
    assert main is not None and main["x"] >= 200  # the content sits beside it
    assert no_horizontal_scroll(desktop, DESKTOP["width"])


def test_without_javascript_the_links_stay_reachable_at_360px(
    server: Server, admin: str, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, server, admin)
        assert not page.get_by_role("button", name="Menu").is_visible()
        nav = page.get_by_role("navigation", name="Main")
        for label in NAV:
            assert nav.get_by_role("link", name=label, exact=True).is_visible(), label
        assert no_horizontal_scroll(page)
    finally:
        context.close()


def test_the_dark_scheme_follows_the_system_and_stays_readable(
    server: Server, admin: str, browser: Any, artifacts: Path
) -> None:
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport, color_scheme="dark")
        page = context.new_page()
        try:
            sign_in(page, server, admin)
            for path in ("/settings", "/settings/users", "/deliveries", "/responses"):
                page.goto(server.url(path))
                assert luminance(page, "html", "backgroundColor") < 0.15, path
                assert luminance(page, "main h1", "color") > 0.8, path
                assert_accessible(page, f"{path} dark {viewport['width']}")
            page.screenshot(path=str(artifacts / f"e2e-dark-{viewport['width']}.png"))
        finally:
            context.close()
    light = browser.new_context(viewport=PHONE, color_scheme="light")
    try:
        page = light.new_page()
        sign_in(page, server, admin)
        assert luminance(page, "html", "backgroundColor") > 0.9
    finally:
        light.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_shared_pages_pass_axe_core(
    server: Server, admin: str, browser: Any, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        sign_in(page, server, admin)
        for path in (
            "/settings",
            "/settings/users",
            "/settings/apikeys",
            "/settings/audit",
            "/settings/webhooks",
            "/settings/channels",
            "/settings/plugins",
            "/responses",
            "/contacts",
            "/deliveries",
            "/sources",
            "/sources/new",
            "/no-such-page",
        ):
            page.goto(server.url(path))
            assert no_horizontal_scroll(page, viewport["width"]), path
            assert_accessible(page, f"{path} {viewport['width']}")
    finally:
        context.close()
