"""deploy/: the image's and the units' entry commands run here, outside a container."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.serving import free_port, running_server

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
BIN = str(Path(sys.executable).parent)


def dockerfile_cmd() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    [cmd] = re.findall(r"^CMD (\[.*\])$", text, re.MULTILINE)
    return json.loads(cmd)


def test_the_image_is_multi_stage_non_root_and_installs_the_wheel() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM ", text, re.MULTILINE)
    assert len(stages) >= 2
    final = text.rsplit("\nFROM ", 1)[1]
    assert "USER surveyor" in final
    assert "python -m build" not in final and "apt-get" not in final and "pip install" not in final
    assert "pip install --no-cache-dir /dist/*.whl" in text


def test_compose_has_app_worker_and_postgresql_with_health_checks() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "worker", "db"} <= services.keys()
    assert "healthcheck" in services["app"] and "healthcheck" in services["db"]
    assert services["worker"]["command"] == ["surveyor", "worker"]
    assert "pgdata" in compose["volumes"]
    env = services["app"]["environment"]
    assert env["SURVEYOR_SECRET_KEY"].startswith("${")  # from the environment, never inline


@pytest.mark.slow
def test_the_image_command_migrates_and_serves(tmp_path: Path) -> None:
    port = free_port()
    anywhere = "0.0.0.0"  # noqa: S104 - replaced, the test binds to loopback
    command = [
        part.replace(anywhere, "127.0.0.1").replace("8000", str(port)) for part in dockerfile_cmd()
    ]
    env = {
        **os.environ,
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "SURVEYOR_DATABASE": str(tmp_path / "image.db"),
        "SURVEYOR_SECRET_KEY": "k" * 40,
    }
    with running_server(command, env, tmp_path, port, tmp_path / "image.log") as (base, _):
        import httpx

        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200


@pytest.mark.parametrize("unit", ["surveyor.service", "surveyor-worker.service"])
def test_the_systemd_units_run_the_installed_commands(unit: str) -> None:
    text = (DEPLOY / "systemd" / unit).read_text()
    starts = re.findall(r"^ExecStart=(\S+) (.*)$", text, re.MULTILINE)
    assert starts and all(cmd == "/opt/surveyor/bin/surveyor" for cmd, _ in starts)
    assert "User=surveyor" in text and "EnvironmentFile=" in text
