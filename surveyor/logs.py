"""Logging set-up: one line per event, no secrets, no personal data."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

# The request being served by this task (set by ``surveyor.web.requestid``).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "surveyor_request_id", default=None
)


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class OneLine(logging.Formatter):
    """Escapes newlines so a value from a request can never start a forged log line."""

    def format(self, record: logging.LogRecord) -> str:
        # Escape the message alone, then add the traceback: looking for "\nTraceback" in the
        # text instead would let a value containing that word end the escaping early.
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = super().format(record)
            rid = current_request_id()
            if rid:
                line += f" request_id={rid}"
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        line = line.replace("\r", "\\r").replace("\n", "\\n")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, exception.

    The messages are the same as the text format's, which never carry personal data
    (addresses, names, answers, tokens): only ids, counts, statuses and paths.
    """

    def format(self, record: logging.LogRecord) -> str:
        item: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = current_request_id()
        if rid:
            item["request_id"] = rid
        if record.exc_info:
            item["exception"] = self.formatException(record.exc_info)
        return json.dumps(item, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("surveyor")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
