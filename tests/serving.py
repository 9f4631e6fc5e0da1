"""Run a real ``surveyor serve`` process for tests that need one (packaging, browser)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base_url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Poll /healthz until it answers 200; fail early if the server process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base_url}/healthz did not answer within {timeout} s")
        time.sleep(0.1)  # readiness polling, not timing: the loop ends on the first 200


def stop(process: subprocess.Popen[str]) -> None:
    """Ask the server to stop like an operator would (SIGINT), then make sure it is gone."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # Our own child started in its own session: end its group (granian workers too).
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextlib.contextmanager
def running_server(
    command: Sequence[str], env: dict[str, str], cwd: Path, port: int, log: Path
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``command`` must make the server listen on ``port``; yields (base URL, process).

    The server's output goes to ``log`` (a pipe nobody reads could fill up and stall it);
    a server that fails to start raises with that log.
    """
    with log.open("w") as out:
        process = subprocess.Popen(
            list(command),
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_healthy(base_url, process)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{exc}\n{log.read_text()}") from None
            yield base_url, process
        finally:
            stop(process)
