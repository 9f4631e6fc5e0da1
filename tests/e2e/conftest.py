"""Browser tests: Debian's chromium driven by Playwright against a real ``surveyor serve``.

Skipped when chromium is missing, except under ``CI=true`` where they are mandatory.
Screenshots go to ``test-artifacts/`` (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.serving import free_port, running_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
PASSWORD = "e2e correct horse battery"
SURVEYOR = [sys.executable, "-m", "surveyor.cli"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if IN_CI:
            pytest.fail("chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless chromium per test module.

    Playwright's sync API refuses to run inside a running event loop, so browser tests
    are plain ``def`` functions; module scope keeps its loop away from async tests.
    """
    from playwright.sync_api import expect, sync_playwright

    # Web-first assertions (``expect``) wait as long as actions do: on a busy two-core CI
    # machine a page can take more than expect's 5 s default to answer and swap.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (no cookies) sized like a small phone, 360 × 740."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session", autouse=True)
def artifacts() -> Path:
    """Where browser tests write screenshots (git-ignored; never docs/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def axe_issues(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now, each with the
    rule id, its help text and the selectors of the offending elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any, name: str = "") -> None:
    """Fail on any serious or critical axe-core issue (WCAG 2.x A/AA rules, contrast
    included, in whatever colour scheme the page is emulating). ``name`` labels the page
    in the failure message. Any browser test may call it after the page has settled."""
    issues = axe_issues(page)
    assert not issues, f"{name or page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][:3]}" for v in issues
    )


def sign_in(page: Any, server: Server, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form and wait for the page the server sends us on to.

    The form's POST is a navigation the click need not wait for, so waiting for the
    load state could return while the sign-in page is still shown, and a ``goto`` made
    before the POST is answered would cancel it and leave the browser without a session.
    """
    page.goto(server.url("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    cwd: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def create_user(self, email: str, role: str = "admin", password: str = PASSWORD) -> str:
        """A staff user made with the real command; the password goes through the environment."""
        result = subprocess.run(
            [*SURVEYOR, "users", "create", "--email", email, "--role", role],
            env={**self.env, "SURVEYOR_NEW_PASSWORD": password},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return email

    def surveyor(self, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SURVEYOR, *argv],
            env=self.env,
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            text=True,
            # A guard against a hung command, not a speed check: the first ``text reindex``
            # on a machine builds the text models' packed caches, minutes on a loaded one.
            timeout=600,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real ``surveyor serve`` (granian, as in production) on a free port and a temp SQLite DB."""
    where = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(where)),
        "SURVEYOR_DATABASE": str(where / "e2e.db"),
        "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
        "SURVEYOR_SECRET_KEY": "e" * 40,
    }
    command = [*SURVEYOR, "serve", "--port", str(port), "--no-worker"]
    with running_server(command, env, where, port, where / "serve.log") as (base_url, _):
        yield Server(base_url=base_url, env=env, cwd=where)
