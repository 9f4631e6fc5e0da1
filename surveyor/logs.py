"""Logging set-up: one line per event, no secrets, no personal data."""

from __future__ import annotations

import logging
import sys


class OneLine(logging.Formatter):
    """Escapes newlines so a value from a request can never start a forged log line."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        head, sep, tail = text.partition("\nTraceback")
        return head.replace("\r", "\\r").replace("\n", "\\n") + (sep + tail if sep else "")


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("surveyor")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
