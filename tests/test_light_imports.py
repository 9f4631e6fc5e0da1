"""What a server process and the ``serve`` supervisor load (issue 17: idle ≤ 100 MB).

Memory of an idle server is mostly the modules it imports. Libraries only some routes or
jobs need are imported where they are used (in the function), so a server that never
calls a webhook, sends a notification or draws a QR code does not carry them; the
``serve`` supervisor, which only forks and watches the server processes, never imports
the application at all. These tests fail when a module-level import brings one back.
Each runs in a fresh interpreter, so what other tests imported does not count.

The comment-analysis plugin (``surveyor_text``) is left out of the plugin list here: its
models move to a separate process of their own (issue 17), with their own checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Loaded on first use only: each is megabytes of code (httpx with the click/rich/pygments
# of its command line ~7 MB, apprise with its plugins ~4.5 MB, segno ~1 MB), and asyncpg
# belongs to PostgreSQL.
LAZY_IN_THE_SERVER = (
    "httpx",
    "rich",
    "pygments",
    "click",
    "apprise",
    "segno",
    "asyncpg",
    "uvicorn",
    "pydantic",  # never: Litestar's own pydantic plugin is left out (surveyor.app.LeanLitestar)
)
# The supervisor holds none of the application (it is forked from, so it stays small).
NOT_IN_THE_SUPERVISOR = (
    "surveyor.app",
    "surveyor.asgi",
    "surveyor.services",
    "litestar",
    "jinja2",
    "babel",
    "prometheus_client",
    "aiosqlite",
    "argon2",
    *LAZY_IN_THE_SERVER,
)
PLUGINS = "surveyor_email,surveyor_sms,surveyor_webhook,surveyor_mailbox"


def run_python(code: str, tmp_path: Path, timeout: float = 120) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")}
    env |= {
        "SURVEYOR_DATABASE": str(tmp_path / "light.db"),
        "SURVEYOR_PLUGINS": PLUGINS,
        "SURVEYOR_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    present = set(modules)
    return [n for n in names if n in present or any(m.startswith(n + ".") for m in present)]


def test_building_the_app_leaves_the_occasional_libraries_unloaded(tmp_path: Path) -> None:
    modules = run_python(
        "import json, sys\n"
        "from surveyor.asgi import make_app\n"
        "app = make_app()\n"
        "assert 'surveyor_email' in sys.modules and 'surveyor.respond.links' in sys.modules\n"
        "print(json.dumps(sorted(sys.modules)))\n",
        tmp_path,
    )
    assert loaded(modules, LAZY_IN_THE_SERVER) == []


def test_the_occasional_libraries_still_load_where_they_are_used(tmp_path: Path) -> None:
    modules = run_python(
        "import asyncio, json, sys\n"
        "from surveyor.respond.links import qr_svg\n"
        "from surveyor.net.guard import check_url\n"
        "from surveyor_email.smtp import parse_email_url\n"
        "assert qr_svg('https://example.com/p/x').startswith(b'<?xml')\n"
        "target = asyncio.run(check_url('http://127.0.0.1:9/x', allow_private=True))\n"
        "assert target.port == 9\n"
        "assert parse_email_url('mailto://127.0.0.1:25?from=a@example.com').port == 25\n"
        "print(json.dumps(sorted(sys.modules)))\n",
        tmp_path,
    )
    assert loaded(modules, ("segno", "httpx", "apprise")) == ["segno", "httpx", "apprise"]


@pytest.mark.slow
def test_the_serve_supervisor_never_imports_the_application(tmp_path: Path) -> None:
    """``surveyor serve`` up to the moment granian would start its server processes:
    migrating and the setup link happen in a forked child, so none of it stays here."""
    modules = run_python(
        "import json, sys\n"
        "import granian\n"
        "def record(self, *args, **kwargs):\n"
        "    print(json.dumps(sorted(sys.modules)))\n"
        "granian.Granian.serve = record\n"
        "from surveyor.cli import main\n"
        "assert main(['serve', '--port', '8931']) == 0\n",
        tmp_path,
    )
    assert "granian" in modules
    assert loaded(modules, NOT_IN_THE_SUPERVISOR) == []
    assert (tmp_path / "light.db").exists()  # the child did migrate
