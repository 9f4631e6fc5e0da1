"""Logging set-up: one line per event, no secrets, no personal data."""

from __future__ import annotations

import logging
import sys


class OneLine(logging.Formatter):
    """Escapes newlines so a value from a request can never start a forged log line."""

    def format(self, record: logging.LogRecord) -> str:
        # Escape the message alone, then add the traceback: looking for "\nTraceback" in the
        # text instead would let a value containing that word end the escaping early.
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        line = line.replace("\r", "\\r").replace("\n", "\\n")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("surveyor")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
