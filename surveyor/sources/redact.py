"""The payload log keeps only allow-listed fields, in the payload's own shape.

A path is dotted keys with ``[n]`` for a list index: ``data.object.customer``,
``[0].objectId``. Keeping the shape means the mapping runs again on a logged payload
(a replay) as long as the allow-list holds the fields it reads.
"""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r"\[(\d{1,3})\]|([^.\[\]]+)")
MAX_DEPTH = 32


def parse_path(path: str) -> list[str | int]:
    """``"a.b[0].c"`` → ``["a", "b", 0, "c"]``; raises ValueError for a malformed path."""
    segments: list[str | int] = []
    position = 0
    while position < len(path):
        if path[position] == "." and segments:
            position += 1
        match = _SEGMENT.match(path, position)
        if match is None:
            raise ValueError(f"not a dotted path: {path!r}")
        segments.append(int(match.group(1)) if match.group(1) is not None else match.group(2))
        position = match.end()
    if not segments or len(segments) > MAX_DEPTH:
        raise ValueError(f"not a dotted path: {path!r}")
    return segments


def redact(payload: Any, allow_list: list[str]) -> Any:
    """A copy of ``payload`` with only the allow-listed paths (and their whole values)."""
    kept: Any = None
    for path in allow_list:
        try:
            segments = parse_path(path)
        except ValueError:
            continue
        value, found = payload, True
        for segment in segments:
            if (isinstance(segment, int) and isinstance(value, list) and segment < len(value)) or (
                isinstance(segment, str) and isinstance(value, dict) and segment in value
            ):
                value = value[segment]
            else:
                found = False
                break
        if found:
            kept = _place(kept, segments, value)
    return {} if kept is None else kept


def _place(into: Any, segments: list[str | int], value: Any) -> Any:
    head, rest = segments[0], segments[1:]
    if isinstance(head, int):
        target = into if isinstance(into, list) else []
        target.extend([None] * (head + 1 - len(target)))
        target[head] = _place(target[head], rest, value) if rest else value
        return target
    target = into if isinstance(into, dict) else {}
    target[head] = _place(target.get(head), rest, value) if rest else value
    return target
