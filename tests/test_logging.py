"""Logs: one line per request, no forged lines, no tokens, secrets or query strings."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from surveyor.logs import OneLine, configure_logging
from surveyor.web.accesslog import loggable_path
from tests.conftest import PASSWORD, login, make_user


@pytest.fixture
def backend() -> str:
    return "sqlite"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "surveyor.access"]


async def test_one_access_line_per_request(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    await client.get("/healthz")  # start-up noise out of the way
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="surveyor.access"):
        await client.get("/healthz")
        await client.get("/no-such-page")
        await client.post("/login", data={"email": "x"})
    lines = access_lines(caplog)
    assert len(lines) == 3, lines
    assert lines[0].startswith("GET /healthz 200 ")
    assert lines[1].startswith("GET /no-such-page 404 ")
    assert lines[2].startswith("POST /login ")
    assert lines[0].endswith("ms")


@pytest.mark.parametrize(
    "path",
    [
        "/x%0A2026-01-01 INFO surveyor.access: GET /admin 200",
        "/x%0D%0Afake line",
        "/x%0d%0aFAKE",
        "/x\u2028y",
    ],
)
async def test_newlines_in_a_path_cannot_forge_a_line(
    client: Any, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    with caplog.at_level(logging.INFO, logger="surveyor.access"):
        await client.get(path)
    (line,) = access_lines(caplog)
    assert "\n" not in line and "\r" not in line and "\u2028" not in line


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("/s/TOKENabc123secret?score=9", "TOKENabc123secret"),
        ("/s/TOKENabc123secret/next", "TOKENabc123secret"),
        ("/u/UNSUBtoken456", "UNSUBtoken456"),
        ("/setup/SETUPtoken789", "SETUPtoken789"),
        ("/healthz?api_key=QUERYsecret", "QUERYsecret"),
        ("/login?next=/s/NEXTsecret", "NEXTsecret"),
    ],
)
async def test_tokens_and_query_strings_never_reach_the_log(
    client: Any, caplog: pytest.LogCaptureFixture, url: str, secret: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="surveyor"):
        await client.get(url)
    assert access_lines(caplog), "no access line"
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert "?" not in record.getMessage() or record.name != "surveyor.access"


async def test_passwords_and_session_ids_never_reach_the_log(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = await make_user(client, "admin")
    with caplog.at_level(logging.DEBUG, logger="surveyor"):
        await login(client, user)
        await client.post(
            "/login", data={"email": user.email, "password": "wrong password!", "_csrf": "x"}
        )
    session = client.cookies.get("surveyor_session")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert PASSWORD not in text
    assert "wrong password!" not in text
    assert session and session not in text


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        (b"/plain/path", "/plain/path"),
        (b"/s/abc", "/s/\u2026"),
        (b"/a%0Ab", "/a%0Ab"),
        (b"/a\nb", "/a\\x0ab"),
        (b"/q?token=1", "/q"),
    ],
)
def test_loggable_path(raw: bytes, logged: str) -> None:
    assert loggable_path({"raw_path": raw, "path": raw.decode()}) == logged


def test_the_formatter_keeps_every_record_on_one_line() -> None:
    record = logging.LogRecord(
        "surveyor.x", logging.WARNING, __file__, 1, "user said %s", ("hi\nFAKE\rLINE",), None
    )
    text = OneLine("%(levelname)s %(message)s").format(record)
    assert text == "WARNING user said hi\\nFAKE\\rLINE"


def test_tracebacks_stay_readable_but_the_message_is_escaped() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "surveyor.x", logging.ERROR, __file__, 1, "failed on %s", ("/a\nb",), sys.exc_info()
        )
    first, *rest = OneLine("%(message)s").format(record).split("\n")
    assert first == "failed on /a\\nb"
    assert rest[0].startswith("Traceback")


def test_configure_logging_writes_one_line_records_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logger = logging.getLogger("surveyor")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        configure_logging("INFO")
        logging.getLogger("surveyor.access").info("GET %s 200", "/a\nb")
        logging.getLogger("surveyor.access").debug("hidden")
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    assert stream.getvalue().count("\n") == 1
    assert "GET /a\\nb 200" in stream.getvalue()


def test_a_message_that_mentions_traceback_is_still_escaped() -> None:
    record = logging.LogRecord(
        "surveyor.x", logging.WARNING, __file__, 1, "%s", ("a\nTraceback\nFAKE line",), None
    )
    assert OneLine("%(message)s").format(record) == "a\\nTraceback\\nFAKE line"
