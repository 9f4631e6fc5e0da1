"""``pip install .`` (not only editable) gives a working ``surveyor``: the wheel carries the
templates, migrations, static files and built-in plugins, and runs from a fresh venv."""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from surveyor.plugins import BUILTIN_PLUGINS
from tests.serving import free_port, running_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _tracked(folder: str) -> list[str]:
    """Files git knows under ``folder`` (what a clean clone builds from)."""
    out = subprocess.run(
        ["git", "ls-files", "--", folder], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line and "__pycache__" not in line]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    (found,) = out.glob("surveyor-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh virtual environment (no system site-packages) with the wheel installed."""
    where = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    # The same pip configuration as the project's own .venv (index, find-links, cache).
    subprocess.run(
        [str(where / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        timeout=900,
    )
    return where


def test_the_wheel_carries_templates_migrations_static_files_and_plugins(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = []
    for path in _tracked("templates"):
        expected.append("surveyor/_data/" + path)
    for path in _tracked("migrations"):
        expected.append("surveyor/_data/" + path)
    expected += [p for p in _tracked("surveyor") if not p.endswith(".pyc")]
    for path in _tracked("plugins"):
        expected.append(path.removeprefix("plugins/"))
    missing = sorted(name for name in expected if name not in names)
    assert not missing, f"not in the wheel: {missing[:20]}"
    assert "surveyor/static/vendor/htmx-2.0.11/LICENSE" in names
    assert "surveyor/_data/templates/base.html" in names
    assert "surveyor/_data/migrations/0001_foundation.sql" in names
    # Nothing from the test suite or the repository's tooling.
    assert not [n for n in names if n.startswith(("tests/", "bench/", ".ci/"))]


def test_the_installed_command_migrates_and_serves(venv: Path, tmp_path: Path) -> None:
    bin_dir = venv / "bin"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "SURVEYOR_DATABASE": str(tmp_path / "installed.db"),
    }

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "surveyor"), *argv],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import surveyor, surveyor.paths as p;"
            "print(surveyor.__file__); print(p.TEMPLATES_DIR); print(p.MIGRATIONS_DIR)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # The installed copy, not the source checkout.
    assert all(line.startswith(str(venv)) for line in where), where
    assert where[1].endswith("surveyor/_data/templates")

    migrated = run("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "core:0001_foundation.sql" in migrated.stdout
    assert run("migrate").stdout.strip() == "applied 0 migration(s)"

    listed = run("plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {row["name"] for row in json.loads(listed.stdout)}
    assert set(BUILTIN_PLUGINS) <= names

    has_uvicorn = subprocess.run(
        [str(bin_dir / "python"), "-c", "import uvicorn"], capture_output=True, env=env
    )
    if has_uvicorn.returncode != 0:
        refused = run("serve", "--server", "uvicorn", "--port", str(free_port()))
        assert refused.returncode != 0
        assert refused.stderr.count("\n") == 1 and "uvicorn" in refused.stderr

    port = free_port()
    command = [str(bin_dir / "surveyor"), "serve", "--port", str(port), "--no-worker"]
    with running_server(command, env, tmp_path, port, tmp_path / "serve.log") as (base, _):
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "ok", "database": "sqlite"}
        with urllib.request.urlopen(base + "/login", timeout=10) as response:
            page = response.read().decode()
        assert "<form" in page
        css = page.split('href="/static/app.css', 1)[1].split('"', 1)[0]
        with urllib.request.urlopen(f"{base}/static/app.css{css}", timeout=10) as response:
            assert response.status == 200
    assert "No administrator yet" in (tmp_path / "serve.log").read_text()


# -- A third-party plugin, end to end: examples/surveyor-chat ---------------------------

EXAMPLE = ROOT / "examples" / "surveyor-chat"


class ChatRoom:
    """A local HTTP server standing in for a chat service: keeps every JSON body posted."""

    def __init__(self) -> None:
        room = self
        self.posts: list[dict[str, object]] = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with room.lock:
                    room.posts.append({"path": self.path, **json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ChatRoom:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(
        self, predicate: Callable[[dict[str, object]], bool], what: str, timeout: float = 60
    ) -> dict[str, object]:
        """The first post that satisfies ``predicate``, polling until ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [post for post in self.posts if predicate(post)]
            if found:
                return found[0]
            time.sleep(0.05)  # polling with a deadline, not a timing assumption
        raise AssertionError(f"no {what} reached the chat room; it got {self.posts}")


@pytest.fixture(scope="module")
def chat_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A second fresh virtual environment with the surveyor wheel and the example's wheel."""
    out = tmp_path_factory.mktemp("example-dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(out),
            str(EXAMPLE),
        ],
        check=True,
        timeout=600,
    )
    (example,) = out.glob("surveyor_chat-*.whl")
    where = tmp_path_factory.mktemp("chat-venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    subprocess.run(
        [
            str(where / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            str(wheel),
            str(example),
        ],
        check=True,
        timeout=900,
    )
    return where


def test_an_installed_example_plugin_posts_invitations_and_new_cases_to_chat(
    chat_venv: Path, tmp_path: Path
) -> None:
    bin_dir = chat_venv / "bin"
    port = free_port()
    with ChatRoom() as room:
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "SURVEYOR_DATABASE": str(tmp_path / "chat.db"),
            "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
            # The plugin's own setting (register_settings): an Apprise json:// URL.
            "SURVEYOR_CHAT_URL": f"json://127.0.0.1:{room.port}/hooks/room",
        }

        def run(*argv: str) -> str:
            done = subprocess.run(
                [str(bin_dir / "surveyor"), *argv],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        # Without its required setting the plugin stops the start, with one line naming it.
        no_url = {k: v for k, v in env.items() if k != "SURVEYOR_CHAT_URL"}
        refused = subprocess.run(
            [str(bin_dir / "surveyor"), "migrate"], env=no_url, capture_output=True, text=True
        )
        assert refused.returncode != 0 and "SURVEYOR_CHAT_URL" in refused.stderr, refused.stderr

        run("migrate")
        plugins = {row["name"]: row for row in json.loads(run("plugins", "--json"))}
        assert "chat" in plugins, sorted(plugins)
        secret = run("apikeys", "create", "--name", "t", "--scope", "admin").strip()
        events_key = run("apikeys", "create", "--name", "e", "--scope", "events:write").strip()

        command = [str(bin_dir / "surveyor"), "serve", "--port", str(port)]
        with running_server(command, env, tmp_path, port, tmp_path / "serve.log") as (base, _):

            def call(method: str, path: str, body: object, key: str) -> dict[str, object]:
                request = urllib.request.Request(
                    base + path,
                    data=json.dumps(body).encode(),
                    method=method,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.loads(response.read())

            definition = {
                "default_locale": "en",
                "locales": ["en"],
                "questions": [
                    {"id": "nps", "kind": "nps", "text": {"en": "Recommend us?"}, "required": True},
                    # The plugin's question kind, published and answered like a built-in one.
                    {"id": "ok", "kind": "thumbs", "text": {"en": "Was the delivery fine?"}},
                ],
                "endings": [{"id": "thanks", "text": {"en": "Thank you!"}}],
            }
            survey = call(
                "POST", "/api/v1/surveys", {"name": "NPS", "definition": definition}, secret
            )
            call("POST", f"/api/v1/surveys/{survey['id']}/publish", {}, secret)
            checkpoint = {
                "key": "order_delivered",
                "name": "Order delivered",
                "survey_id": survey["id"],
                "channels": ["chat"],
            }
            call("POST", "/api/v1/checkpoints", checkpoint, secret)
            event = {"checkpoint": "order_delivered", "contact": {"id": "cus_1", "name": "Ana"}}
            fired = call("POST", "/api/v1/events", event, events_key)
            assert fired["decision"] == "scheduled", fired

            invited = room.wait_for(lambda p: "/s/" in str(p.get("message")), "invitation")
            assert invited["path"] == "/hooks/room"
            assert "Survey for Ana" in str(invited["message"])
            link = re.search(r"http://\S+/s/\S+", str(invited["message"])).group(0)

            # Answer as a detractor, one step at a time, like a browser without JavaScript.
            answers = {"nps": "0", "ok": "down"}
            for _ in range(5):
                with urllib.request.urlopen(link, timeout=30) as response:
                    page = response.read().decode()
                step = re.search(r'name="step" value="([^"]*)"', page)
                if step is None:
                    break
                if 'name="q_ok"' in page:  # the plugin's template, shipped in its wheel
                    assert 'id="q_ok-down"' in page and "Thumbs down" in page
                form = {"step": step.group(1)}
                form |= {f"q_{q}": answers[q] for q in step.group(1).split(",") if q in answers}
                posted = urllib.request.Request(
                    link, data=urllib.parse.urlencode(form).encode(), method="POST"
                )
                with urllib.request.urlopen(posted, timeout=30) as response:
                    assert response.status == 200
            assert "Thank you!" in page

            # The followup_opened hook ran in the worker and posted through Apprise.
            case = room.wait_for(lambda p: p.get("title") == "New case", "new-case post")
            assert "for Ana" in str(case["message"]), case
        assert "Traceback" not in (tmp_path / "serve.log").read_text()
