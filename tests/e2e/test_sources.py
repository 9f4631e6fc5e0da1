"""Inbound sources in a real browser at 1280 and 360 px: create a source, see its URL and
secret once, receive a signed delivery, dry-run a sample."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import ARTIFACTS, Server, sign_in
from tests.e2e.test_settings import no_horizontal_scroll

SCREENSHOTS = ARTIFACTS  # never docs/: tests must not rewrite committed files


def test_a_source_from_creation_to_its_first_delivery(
    server: Server, browser: Any, artifacts: Path
) -> None:
    admin = server.create_user("e2e-sources@example.com", "admin")
    key = server.surveyor("apikeys", "create", "--name", "e2e", "--scope", "admin").stdout.strip()
    checkpoint = {"key": "issue_closed", "name": "Issue closed", "channels": ["email"]}
    made = httpx.post(
        server.url("/api/v1/checkpoints"),
        json=checkpoint,
        headers={"Authorization": f"Bearer {key}"},
    )
    assert made.status_code == 201, made.text

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, admin)
    page.goto(server.url("/sources/new"))
    page.get_by_label("Name").fill("GitHub issues")
    page.get_by_label("Type").select_option("github")
    page.get_by_role("button", name="Create").click()
    # The form's answer is a new page: wait for its secret (the click need not wait for
    # the navigation, so the load state could still be the form's).
    page.locator("#new-secret").wait_for()
    assert "shown only once" in page.content()
    url = page.locator("#source-url").input_value()
    secret = page.locator("#new-secret").input_value()
    page.screenshot(path=str(SCREENSHOTS / "source-created.png"), full_page=False)

    body = json.dumps(
        {
            "action": "closed",
            "issue": {"id": 11, "number": 3, "user": {"id": 5, "login": "ana"}},
            "repository": {"full_name": "acme/shop"},
        }
    ).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    answer = httpx.post(url, content=body, headers={"X-Hub-Signature-256": signature})
    assert answer.status_code == 200, answer.text

    page.goto(url.replace("/hooks/in/", "/sources/"))
    assert "shown only once" not in page.content()
    page.get_by_label("A sample payload (JSON)").fill(body.decode())
    page.get_by_role("button", name="Dry run").click()
    page.locator("#test-result code").wait_for()
    assert "Dry run: nothing was stored" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "source-page.png"), full_page=True)
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    sign_in(phone, server, admin)
    phone.goto(url.replace("/hooks/in/", "/sources/"))
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(SCREENSHOTS / "source-page-phone.png"), full_page=True)
    phone.goto(server.url("/sources"))
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(artifacts / "e2e-sources-360.png"), full_page=True)
