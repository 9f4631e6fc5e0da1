"""The customer's path inside one process, for profiles (issue 17): no network, no load
generator, so a profile shows the server's own work and call counts are exact.

It seeds a fresh SQLite database with ``bench/seed.py flow``, builds the app the way a
server process does (``surveyor.asgi.make_app``, its worker included), and completes
``--count`` NPS surveys through the ASGI app exactly as ``bench/flow.lua`` does (the GET,
then each step's htmx POST built from the form in the previous answer), 16 at a time.
It prints the process's CPU ms per completed survey (its own driving included, ~0.5 ms)
and, with ``--profile FILE``, writes a cProfile of the measured part (read it with
``python -m pstats FILE``). Figures from one run on a shared machine are rough; compare
two commits in the same session, or read the call counts.

    .venv/bin/python bench/flow_profile.py [--count 300] [--profile flow.prof]
        [--env SURVEYOR_PLUGINS=surveyor_email,surveyor_sms,surveyor_webhook,surveyor_mailbox]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORM = re.compile(r'<form[^>]*hx-post="([^"]*)"(.*?)</form>', re.S)
INPUT = re.compile(r"<input[^>]*>")
TEXTAREA = re.compile(r'<textarea[^>]*name="([^"]*)"')
HX = [
    (b"content-type", b"application/x-www-form-urlencoded"),
    (b"hx-request", b"true"),
    (b"hx-target", b"survey"),
]


def attribute(tag: str, name: str) -> str | None:
    found = re.search(r"\s" + name + r'="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def next_post(body: str) -> tuple[str, bytes] | None:
    """The POST a customer sends after reading ``body``, as ``bench/flow.lua`` builds it."""
    form = FORM.search(body)
    if form is None:
        return None
    fields: list[tuple[str, str]] = []
    groups: dict[str, list[str]] = {}
    for tag in INPUT.findall(form.group(2)):
        kind, name = attribute(tag, "type") or "text", attribute(tag, "name")
        if name and kind == "hidden":
            fields.append((name, attribute(tag, "value") or ""))
        elif name and kind in ("radio", "checkbox"):
            groups.setdefault(name, []).append(attribute(tag, "value") or "on")
    fields += [(name, "Quick delivery") for name in TEXTAREA.findall(form.group(2))]
    fields += [(name, random.choice(values)) for name, values in groups.items()]
    return html.unescape(form.group(1)), urllib.parse.urlencode(fields).encode()


async def call(app: Any, method: str, path: str, body: bytes = b"", headers: Any = ()) -> Any:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    out: dict[str, Any] = {"status": 0, "body": []}

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no more body: wait like a quiet client
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"].append(message.get("body", b""))

    await app(scope, receive, send)
    return out["status"], b"".join(out["body"]).decode()


async def complete(app: Any, token: str) -> int:
    """One customer, from the link to the thank-you; the number of POSTs it took."""
    status, body = await call(app, "GET", f"/s/{token}")
    assert status == 200, (status, body[:300])
    posts = 0
    while (post := next_post(body)) is not None:
        status, body = await call(app, "POST", post[0], post[1], HX)
        assert status == 200, (status, body[:300])
        posts += 1
    return posts


async def measure(tokens: list[str], count: int, profile: str | None) -> None:
    from surveyor.asgi import make_app

    app = make_app()
    for hook in app.on_startup:
        await hook()
    random.seed(1)
    try:
        for token in tokens[:50]:  # warm-up: caches, the first completion's imports
            await complete(app, token)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        gate = asyncio.Semaphore(16)

        async def one(token: str) -> int:
            async with gate:
                return await complete(app, token)

        cpu, wall = time.process_time(), time.perf_counter()
        posts = await asyncio.gather(*(one(t) for t in tokens[50 : 50 + count]))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        print(
            f"{count} completed surveys, {sum(posts) / count:.2f} POSTs each:"
            f" {1000 * cpu / count:.2f} CPU ms each (this process, driver included),"
            f" {1000 * wall / count:.2f} ms wall each"
        )
    finally:
        for hook in app.on_shutdown:
            await hook()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--profile", help="write a cProfile of the measured part here")
    parser.add_argument("--env", action="append", default=[], metavar="SURVEYOR_X=VALUE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SURVEYOR_DATABASE": str(Path(tmp) / "flow.db"),
            "SURVEYOR_SECRET_KEY": "b" * 40,
            "SURVEYOR_LOG_LEVEL": "WARNING",
            **dict(item.split("=", 1) for item in args.env),
        }
        tokens = Path(tmp) / "tokens.txt"
        seed = [sys.executable, str(ROOT / "bench" / "seed.py"), "flow", "--out", str(tokens)]
        subprocess.run([*seed, "--count", str(args.count + 50)], env=env, check=True, cwd=ROOT)
        os.environ.update(env)
        asyncio.run(measure(tokens.read_text().split(), args.count, args.profile))


if __name__ == "__main__":
    main()
