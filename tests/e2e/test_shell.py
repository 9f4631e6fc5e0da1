"""The staff shell in a real browser, on a 360 px phone screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import PASSWORD, PHONE, Server

NAV = ["Surveys", "Journey", "Follow-ups", "Dashboards", "Settings"]


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_sign_in_see_the_navigation_and_sign_out_at_360px(
    server: Server, phone: Any, artifacts: Path
) -> None:
    email = server.create_user("e2e-admin@example.com", "admin")

    phone.goto(server.url("/"))
    assert phone.url.startswith(server.url("/login"))
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(artifacts / "e2e-login-360.png"), full_page=True)

    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_load_state()

    nav = phone.get_by_role("navigation", name="Main")
    assert nav.is_visible()
    for label in NAV:
        link = nav.get_by_role("link", name=label, exact=True)
        assert link.is_visible(), label
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone.get_by_role("button", name="Sign out").is_visible()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(artifacts / "e2e-signed-in-360.png"), full_page=True)

    phone.get_by_role("button", name="Sign out").click()
    phone.wait_for_url(server.url("/login") + "*")
    # The session is gone: a staff page sends us back to the sign-in form.
    phone.goto(server.url("/dashboard"))
    assert phone.url.startswith(server.url("/login"))
    assert phone.get_by_role("button", name="Sign in").is_visible()
