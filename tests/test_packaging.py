"""``pip install .`` (not only editable) gives a working ``surveyor``: the wheel carries the
templates, migrations, static files and built-in plugins, and runs from a fresh venv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import zipfile
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
