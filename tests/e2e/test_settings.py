"""Settings in a real browser: htmx row updates, the 409 answer shown in place, and an
API key whose secret is shown once and works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import PHONE, Server, assert_accessible, sign_in


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_users_page_changes_roles_in_place_and_protects_the_last_admin(
    server: Server, phone: Any, artifacts: Path
) -> None:
    admin = server.create_user("e2e-settings-admin@example.com", "admin")
    sign_in(phone, server, admin)
    phone.goto(server.url("/settings/users"))
    assert no_horizontal_scroll(phone)

    # Create a manager through the htmx form: the table updates without a page load.
    phone.evaluate("window.__marker = 'same page'")
    phone.locator("#nu-email").fill("e2e-manager@example.com")
    phone.locator("#nu-name").fill("Mia <Manager>")
    phone.locator("#nu-role").select_option("manager")
    phone.locator("#nu-password").fill("initial password 1")
    phone.get_by_role("button", name="Create user").click()
    row = phone.locator("tr", has_text="e2e-manager@example.com")
    row.wait_for()
    assert row.locator("td").first.inner_text() == "Mia <Manager>"

    # Promote the manager in place: htmx swaps that one row. The response event comes with
    # the answer's headers, before htmx has swapped its body in: wait for the new row.
    row.evaluate("tr => tr.dataset.before = 'yes'")
    row.locator("select").select_option("designer")
    with phone.expect_response(
        lambda r: r.url.endswith("/role") and r.request.method == "POST"
    ) as answer:
        row.get_by_role("button", name="Change").click()
    assert answer.value.status == 200
    phone.locator("tr:not([data-before])", has_text="e2e-manager@example.com").wait_for()
    assert row.evaluate("tr => tr.dataset.before") is None  # a new row from the server
    assert row.locator("select").input_value() == "designer"

    # Demoting the only admin is refused, and the reason appears in that row.
    mine = phone.locator("tr", has_text=admin)
    mine.locator("select").select_option("manager")
    mine.get_by_role("button", name="Change").click()
    phone.get_by_text("last enabled admin").wait_for()
    assert phone.evaluate("window.__marker") == "same page"  # all of it without a reload
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(artifacts / "e2e-settings-users-360.png"), full_page=True)


def test_api_key_is_shown_once_works_and_is_revoked_in_place(
    server: Server, phone: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    admin = server.create_user("e2e-keys-admin@example.com", "admin")
    sign_in(phone, server, admin)
    phone.goto(server.url("/settings/apikeys"))
    phone.locator("#k-name").fill("e2e integration")
    phone.get_by_label("read", exact=False).first.check()
    phone.get_by_role("button", name="Create key").click()
    secret = phone.locator("#new-secret")
    secret.wait_for()
    value = secret.input_value()
    assert value.startswith("sv_")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(artifacts / "e2e-settings-apikey-360.png"), full_page=True)

    whoami = httpx.get(server.url("/api/v1/whoami"), headers={"Authorization": f"Bearer {value}"})
    assert whoami.status_code == 200 and whoami.json()["scopes"] == ["read"]

    phone.reload()
    assert value not in phone.content()  # never shown again

    row = phone.locator("tr", has_text="e2e integration")
    # The confirmation is the page's own <dialog>: cancelling changes nothing…
    row.get_by_role("button", name="Revoke").click()
    dialog = phone.get_by_role("dialog")
    dialog.wait_for()
    assert "Programs using it stop working" in dialog.inner_text()
    assert_accessible(phone, "confirm dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert row.get_by_role("button", name="Revoke").is_visible()
    # …confirming revokes the key in place.
    row.get_by_role("button", name="Revoke").click()
    dialog.get_by_role("button", name="Revoke").click()
    row.get_by_text("revoked").wait_for()
    whoami = httpx.get(server.url("/api/v1/whoami"), headers={"Authorization": f"Bearer {value}"})
    assert whoami.status_code == 401


def test_a_webhook_is_created_with_its_secret_once_and_a_toast_confirms_a_redelivery(
    server: Server, phone: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    admin = server.create_user("e2e-webhooks-admin@example.com", "admin")
    sign_in(phone, server, admin)
    phone.goto(server.url("/settings/webhooks"))
    assert_accessible(phone, "webhooks empty 360")
    # A private address is refused in place, the field says why.
    phone.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hook")
    phone.get_by_role("button", name="Create webhook").click()
    error = phone.locator("#wh-url-error")
    error.wait_for()
    assert "SURVEYOR_ALLOW_PRIVATE_WEBHOOKS" in error.inner_text()
    assert phone.get_by_label("Endpoint URL").get_attribute("aria-invalid") == "true"
    assert_accessible(phone, "webhook form with an error")

    phone.get_by_label("Endpoint URL").fill("https://93.184.215.14/hooks/surveyor")
    phone.get_by_role("button", name="Create webhook").click()
    secret = phone.locator("#new-secret")
    secret.wait_for()
    assert secret.input_value().startswith("whsec_")
    assert no_horizontal_scroll(phone)
    assert_accessible(phone, "webhook created 360")
    phone.screenshot(path=str(artifacts / "e2e-settings-webhook-created-360.png"), full_page=True)

    phone.get_by_role("link", name="https://93.184.215.14/hooks/surveyor").click()
    # A new page: wait for it (the click need not wait for the navigation).
    expect(phone.get_by_text("Nothing delivered yet")).to_be_visible()
    phone.get_by_role("button", name="Disable").click()
    phone.get_by_role("dialog").get_by_role("button", name="Disable").click()
    phone.get_by_text("The webhook is disabled.").wait_for()
    assert not phone.get_by_role("button", name="Disable").is_visible()


def test_channels_and_plugins_pages_at_1280px_in_the_dark(
    server: Server, browser: Any, artifacts: Path
) -> None:
    admin = server.create_user("e2e-channels-admin@example.com", "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    page = context.new_page()
    try:
        sign_in(page, server, admin)
        page.goto(server.url("/settings/channels"))
        email = page.locator("#channel-email")
        assert "not configured" in email.inner_text()
        email.get_by_label("Send a test email to").fill("not an address")
        email.get_by_role("button", name="Send test").click()
        page.locator("#test-email-error").wait_for()
        # Without SURVEYOR_EMAIL_URL the test message is kept in the built-in mailbox.
        page.locator("#channel-email").get_by_label("Send a test email to").fill("ops@example.com")
        page.locator("#channel-email").get_by_role("button", name="Send test").click()
        page.locator(".toast").wait_for()
        assert "Test message queued." in page.locator("#toasts").inner_text()
        assert_accessible(page, "channels dark 1280")
        page.screenshot(path=str(artifacts / "e2e-settings-channels-1280-dark.png"), full_page=True)
        page.goto(server.url("/settings/plugins"))
        assert page.get_by_text("register_channels").first.is_visible()
        assert_accessible(page, "plugins dark 1280")
    finally:
        context.close()
