"""One log line per request: method, path, status, duration.

The path is taken percent-encoded (``raw_path``), so a ``%0A`` in a URL cannot forge a
log line; query strings are never logged, and the secret part of token paths
(``/s/<token>``, ``/u/<token>``, ``/setup/<token>``) is masked. The line is written by
``surveyor.ops.http_stack``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar.types import Scope

log = logging.getLogger("surveyor.access")
_TOKEN_PATH = re.compile(r"^/(s|u|setup)/[^/]+")


def loggable_path(scope: Scope | dict[str, Any]) -> str:
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "backslashreplace")
    text = raw.decode("ascii", "backslashreplace") if isinstance(raw, bytes) else str(raw)
    text = text.split("?", 1)[0]
    text = "".join(ch if 32 < ord(ch) < 127 else f"\\x{ord(ch):02x}" for ch in text)
    return _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/…", text)[:300]
