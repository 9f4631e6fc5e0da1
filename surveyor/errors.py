"""Errors the command line prints as one line, raised by the modules it runs."""

from __future__ import annotations


class CommandError(Exception):
    """Bad input to a command: printed as one line, exit status 2."""
