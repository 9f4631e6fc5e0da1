"""Screenshot every staff page with the demo data, at 1280 px and 360 px.

    .venv/bin/python docs/screenshots/take.py docs/screenshots/after

It seeds a fresh SQLite database with ``surveyor demo``, starts ``surveyor serve`` on a
free port (the worker runs too, so the delivery log has rows), signs in as an admin made
with ``surveyor users create`` and writes ``<page>-1280.png`` and ``<page>-360.png`` into
the given directory. Full pages, cut at a height that keeps the files small. Pages that
answer 404 on this version are skipped (so the same script runs before and after a
change). Needs Playwright and Debian's ``/usr/bin/chromium``, like the browser tests.
Add ``--dark`` for the dark scheme (files get a ``-dark`` suffix), ``--locale zh_Hans``
to sign in as an admin who reads Chinese, ``--jpeg 70`` for JPEG files (a third of the
size of the PNGs; used for the Chinese set in ``after/zh/``).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SURVEYOR = [sys.executable, "-m", "surveyor.cli"]
PASSWORD = "screenshots correct horse battery"
ADMIN = "shots@example.com"
WIDTHS = {1280: 800, 360: 740}
MAX_HEIGHT = {1280: 2400, 360: 3600}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first(db: Path, sql: str) -> str | None:
    with sqlite3.connect(db) as conn:
        try:
            row = conn.execute(sql).fetchone()
        except sqlite3.OperationalError:  # a table this version does not have
            return None
    return None if row is None else str(row[0])


def pages(db: Path) -> list[tuple[str, str]]:
    """(name, path) of every staff page worth looking at, with ids from the demo data."""
    survey = first(db, "SELECT id FROM surveys ORDER BY created_at LIMIT 1")
    checkpoint = first(db, "SELECT key FROM checkpoints ORDER BY position, key LIMIT 1")
    case = first(
        db,
        "SELECT f.id FROM followups f JOIN responses r ON r.id = f.response_id"
        " WHERE f.status IN ('new', 'in_progress') ORDER BY f.created_at DESC LIMIT 1",
    )
    response = first(
        db,
        "SELECT id FROM responses WHERE status = 'complete' AND contact_id IS NOT NULL"
        " ORDER BY completed_at DESC LIMIT 1",
    )
    contact = first(db, f"SELECT contact_id FROM responses WHERE id = '{response}'") or first(
        db, "SELECT id FROM contacts LIMIT 1"
    )
    job = first(db, "SELECT id FROM jobs ORDER BY created_at DESC LIMIT 1")
    source = first(db, "SELECT id FROM sources LIMIT 1")
    found = [
        ("overview", "/dashboard"),
        ("journey", "/journey"),
        ("journey-map", "/journey/map"),
        ("surveys", "/surveys"),
        ("inbox", "/followups"),
        ("followup-rules", "/followups/rules"),
        ("followup-report", "/followups/report"),
        ("records-feed", "/responses"),
        ("records-contacts", "/contacts"),
        ("sources", "/sources"),
        ("sources-new", "/sources/new"),
        ("deliveries", "/deliveries"),
        ("mailbox", "/mailbox"),
        ("text-themes", "/text/themes"),
        ("settings-profile", "/settings"),
        ("settings-users", "/settings/users"),
        ("settings-apikeys", "/settings/apikeys"),
        ("settings-audit", "/settings/audit"),
        ("settings-webhooks", "/settings/webhooks"),
        ("settings-channels", "/settings/channels"),
        ("settings-plugins", "/settings/plugins"),
    ]
    if checkpoint:
        found += [
            ("checkpoint", f"/journey/{checkpoint}"),
            ("dashboard-checkpoint", f"/dashboard/checkpoints/{checkpoint}"),
        ]
    if survey:
        found += [
            ("designer", f"/surveys/{survey}"),
            ("survey-links", f"/surveys/{survey}/links"),
            ("survey-translations", f"/surveys/{survey}/translations"),
            ("dashboard-survey", f"/dashboard/surveys/{survey}"),
        ]
    if case:
        found.append(("case", f"/followups/{case}"))
    if response:
        found.append(("records-response", f"/responses/{response}"))
    if contact:
        found.append(("records-contact", f"/contacts/{contact}"))
    if job:
        found.append(("delivery", f"/deliveries/{job}"))
    if source:
        found.append(("source", f"/sources/{source}"))
    return found


def wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"surveyor serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit("surveyor serve did not become healthy")


def run(argv: list[str], env: dict[str, str], cwd: Path, **kw: object) -> None:
    result = subprocess.run(
        [*SURVEYOR, *argv], env=env, cwd=cwd, capture_output=True, text=True, **kw
    )
    if result.returncode != 0:
        raise SystemExit(f"surveyor {' '.join(argv)}: {result.stderr.strip()}")


def shoot(out: Path, *, dark: bool, only: set[str], locale: str = "", jpeg: int = 0) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as where_name:
        where = Path(where_name)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(where)),
            "SURVEYOR_DATABASE": str(where / "shots.db"),
            "SURVEYOR_BASE_URL": base_url,
            "SURVEYOR_SECRET_KEY": "s" * 40,
        }
        run(["migrate"], env, where)
        run(["demo"], env, where, timeout=600)
        run(
            ["users", "create", "--email", ADMIN, "--role", "admin", "--name", "Sam Shots"],
            {**env, "SURVEYOR_NEW_PASSWORD": PASSWORD},
            where,
        )
        if locale:  # the profile's language, as the admin would pick it on /settings
            with sqlite3.connect(where / "shots.db") as conn:
                conn.execute("UPDATE users SET locale = ? WHERE email = ?", (locale, ADMIN))
        ext = "jpg" if jpeg else "png"
        image = {"type": "jpeg", "quality": jpeg} if jpeg else {}
        with (where / "serve.log").open("w") as log:
            server = subprocess.Popen(
                [*SURVEYOR, "serve", "--port", str(port)],
                env=env,
                cwd=where,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_healthy(base_url, server)
            listed = [(n, p) for n, p in pages(where / "shots.db") if not only or n in only]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                )
                for width, height in WIDTHS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        device_scale_factor=1,
                        color_scheme="dark" if dark else "light",
                    )
                    page = context.new_page()
                    page.goto(base_url + "/login")
                    page.fill("input[name=email]", ADMIN)
                    page.fill("input[name=password]", PASSWORD)
                    page.locator("form button[type=submit]").first.click()
                    page.wait_for_load_state()
                    suffix = f"-{width}" + ("-dark" if dark else "")
                    for name, path in listed:
                        answer = page.goto(base_url + path)
                        if answer is None or answer.status == 404:
                            print(f"skip {name}: {path} answers 404 here")
                            continue
                        page.wait_for_load_state("networkidle")
                        full = page.evaluate("document.documentElement.scrollHeight")
                        clip = {
                            "x": 0,
                            "y": 0,
                            "width": width,
                            "height": min(full, MAX_HEIGHT[width]),
                        }
                        target = out / f"{name}{suffix}.{ext}"
                        page.screenshot(path=str(target), full_page=True, clip=clip, **image)
                        print(
                            f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                        )
                    context.close()
                # The sign-in page, signed out.
                for width, height in WIDTHS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        color_scheme="dark" if dark else "light",
                    )
                    page = context.new_page()
                    page.goto(base_url + "/login")
                    suffix = f"-{width}" + ("-dark" if dark else "")
                    if not only or "login" in only:
                        page.screenshot(path=str(out / f"login{suffix}.{ext}"), **image)
                    context.close()
                browser.close()
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="directory for the PNG files")
    parser.add_argument("--dark", action="store_true", help="emulate the dark colour scheme")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--locale", default="", help="the admin's language, e.g. zh_Hans")
    parser.add_argument("--jpeg", type=int, default=0, help="JPEG files of this quality")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    shoot(args.out.resolve(), dark=args.dark, only=only, locale=args.locale, jpeg=args.jpeg)


if __name__ == "__main__":
    main()
