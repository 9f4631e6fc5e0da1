"""What the packed models share: where a package's files are (without importing it),
the temporary-folder name of a packed cache (keyed by its source file's size and time,
so an upgraded package builds a new one), and the bisection over sorted words kept as
one string and their offsets. Standard library only: the packing scripts import it."""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Sequence
from pathlib import Path


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(name)
    return Path(next(iter(spec.submodule_search_locations)))


def cache_path(kind: str, version: int, source: Path, *extra: str) -> Path:
    stat = source.stat()
    name = f"surveyor_text.{kind}.{version}.{stat.st_size}.{int(stat.st_mtime)}"
    return Path(tempfile.gettempdir()) / ".".join([name, *extra])


def find_sorted(blob: str, starts: Sequence[int], count: int, word: str) -> int:
    """The index of ``word`` among ``count`` sorted words packed in ``blob`` (word ``i``
    is ``blob[starts[i]:starts[i + 1]]``), or -1."""
    low, high = 0, count
    while low < high:
        mid = (low + high) // 2
        here = blob[starts[mid] : starts[mid + 1]]
        if here < word:
            low = mid + 1
        elif here > word:
            high = mid
        else:
            return mid
    return -1
