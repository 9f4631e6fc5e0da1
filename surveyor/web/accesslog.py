"""One log line per request: method, path, status, duration.

The path is taken percent-encoded (``raw_path``), so a ``%0A`` in a URL cannot forge a
log line; query strings are never logged, and the secret part of token paths
(``/s/<token>``, ``/u/<token>``, ``/setup/<token>``) is masked.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("surveyor.access")
_TOKEN_PATH = re.compile(r"^/(s|u|setup)/[^/]+")


def loggable_path(scope: Scope | dict[str, Any]) -> str:
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "backslashreplace")
    text = raw.decode("ascii", "backslashreplace") if isinstance(raw, bytes) else str(raw)
    text = text.split("?", 1)[0]
    text = "".join(ch if 32 < ord(ch) < 127 else f"\\x{ord(ch):02x}" for ch in text)
    return _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/…", text)[:300]


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            # Checked first: the masked path is built character by character, for a line
            # that a server run with SURVEYOR_LOG_LEVEL=WARNING never writes.
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %d %.1fms",
                    scope.get("method", "-"),
                    loggable_path(scope),
                    status,
                    (time.perf_counter() - started) * 1000,
                )

    return middleware
