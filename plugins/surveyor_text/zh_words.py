"""jieba's tokenizer over its prefix dictionary packed into one string and two arrays,
for ``engines``.

``jieba.initialize()`` holds the dictionary as a dict of ~500,000 words and prefixes
(~65 MB in the analysis process); the tokenizer only asks it ``word in FREQ``,
``FREQ[word]``, ``FREQ.get(word)`` and, for the theme words added, ``FREQ[word] = n``.
:class:`PackedFreq` answers the same from the sorted words kept as one string (~3 MB),
their offsets and their counts (~4 MB), by bisection, with the added words in a small
dict beside them. jieba's own ``Tokenizer`` runs unchanged over it, so the words, the
HMM for unknown ones and the key phrases are jieba's, exactly (``tests/text``).

The packing runs once per installation in a short-lived child (this file run as a
script: ``python zh_words.py jieba-cache TARGET``), like SnowNLP's segmenter
(``segmenter``), so no long-lived process ever holds the big dict. ``import jieba``
also imports ``pkg_resources`` (~11 MB) only to find its own files; it is kept out here
and jieba falls back to opening them by path.
"""

from __future__ import annotations

import array
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from surveyor_text.packing import cache_path, find_sorted, package_dir

CACHE_VERSION = 1
SEEN_MAX = 50_000


def _jieba_dict() -> Path:
    return package_dir("jieba") / "dict.txt"


def _cache_path(source: Path) -> Path:
    return cache_path("jieba-freq", CACHE_VERSION, source)


def import_jieba() -> Any:
    """``import jieba`` without its ``pkg_resources`` (unless something else loaded it)."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
    else:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # ImportError
        try:
            import jieba
        finally:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr
    return jieba


def build_cache(target: Path) -> None:
    """Pack jieba's prefix dictionary (its ``gen_pfdict``, exactly) into arrays."""
    jieba = import_jieba()
    tokenizer = jieba.Tokenizer()
    freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    words = sorted(freq)
    starts = array.array("I", [0])
    for word in words:
        starts.append(starts[-1] + len(word))
    data = {
        "blob": "".join(words),
        "starts": starts.tobytes(),
        "counts": array.array("I", (freq[w] for w in words)).tobytes(),
        "total": total,
    }
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(marshal.dumps(data))
    partial.replace(target)


class PackedFreq:
    """The part of a dict jieba's ``Tokenizer.FREQ`` is used as, over the packed words."""

    def __init__(self, blob: str, starts: array.array[int], counts: array.array[int]) -> None:
        self.blob, self.starts, self.counts = blob, starts, counts
        self.added: dict[str, int] = {}  # add_word: the theme words and their prefixes
        self._seen: dict[str, int | None] = {}  # recent look-ups: bisection is slow

    def _packed(self, word: str) -> int | None:
        found = self._seen.get(word, -1)
        if found != -1:
            return found
        index = find_sorted(self.blob, self.starts, len(self.counts), word)
        found = None if index < 0 else self.counts[index]
        if len(self._seen) >= SEEN_MAX:
            self._seen.clear()  # a bound, not an LRU: common words come back at once
        self._seen[word] = found
        return found

    def get(self, word: str, default: Any = None) -> Any:
        found = self.added.get(word)
        if found is None:
            found = self._packed(word)
        return default if found is None else found

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self.get(word)
        if found is None:
            raise KeyError(word)
        return int(found)

    def __setitem__(self, word: str, count: int) -> None:
        self.added[word] = count


def load_tokenizer() -> Any:
    """A ``jieba.Tokenizer`` over :class:`PackedFreq` (its packed dictionary cached in the
    temporary folder, built by a short-lived child the first time)."""
    jieba = import_jieba()
    cache = _cache_path(_jieba_dict())
    if not cache.exists():
        subprocess.run(  # noqa: S603 (this very file)
            [sys.executable, str(Path(__file__).resolve()), "jieba-cache", str(cache)],
            check=True,
        )
    data = marshal.loads(cache.read_bytes())  # noqa: S302 (our own cache)
    starts, counts = array.array("I"), array.array("I")
    starts.frombytes(data["starts"])
    counts.frombytes(data["counts"])
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = PackedFreq(data["blob"], starts, counts)
    tokenizer.total = data["total"]
    tokenizer.initialized = True  # what initialize() would load is there
    return tokenizer


if __name__ == "__main__":  # python zh_words.py jieba-cache TARGET (load_tokenizer)
    del sys.path[0]  # this file's folder: its modules must not shadow anything
    if sys.argv[1:2] == ["jieba-cache"]:
        build_cache(Path(sys.argv[2]))
