"""``X-Request-ID``: one id per request, in the response, its log lines and problem documents.

An id sent by a trusted proxy (``trusted_proxies``) is kept when it is short and plain
(letters, digits, ``.``, ``_``, ``-``, ``:``; at most 128 characters); any other request
gets a fresh random id. The id lives in a context variable for the request's task, so the
log formatter can add it to every line the request logs.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets

from litestar.types import Scope

from surveyor.logs import REQUEST_ID, current_request_id

__all__ = ["REQUEST_ID", "current_request_id", "request_id_for"]

HEADER = "x-request-id"
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


# A request id must be unique, not secret: a random prefix per process and a counter
# (24 hex digits, like the random id it replaced) cost no system call per request. A
# forked server process draws its own prefix.
_prefix = secrets.token_hex(8)
_counter = itertools.count(1)


def _new_prefix() -> None:
    global _prefix, _counter
    _prefix, _counter = secrets.token_hex(8), itertools.count(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_prefix)


def new_request_id() -> str:
    return f"{_prefix}{next(_counter) & 0xFFFFFFFF:08x}"


def request_id_for(scope: Scope, trusted: frozenset[str]) -> str:
    """The id of this request: a trusted proxy's ``X-Request-ID`` when short and plain,
    else a fresh one (``surveyor.ops.http_stack`` sets it and puts it on the answer)."""
    client = scope.get("client")
    if client and client[0] in trusted:
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                if _SAFE.match(given):
                    return given
                break
    return new_request_id()
