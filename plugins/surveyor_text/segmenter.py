"""SnowNLP's character-based segmenter (``snownlp.seg``), exactly, over its model packed
into arrays (~25 MB instead of the ~350 MB dict of tuples ``snownlp`` keeps), for
``engines.ZhSentiment``.

The packing runs once per installation in a short-lived child (this file run as a
script: ``python segmenter.py seg-cache SOURCE TARGET``), so no long-lived process ever
holds the big dict; that is why the module needs nothing but the standard library at
import time.
"""

from __future__ import annotations

import array
import bisect
import gzip
import importlib
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from surveyor_text.packing import cache_path


class _Counts:
    """One of SnowNLP's ``NormalProb`` tables (``get``, ``freq``, ``getsum``) over sorted
    packed keys: each (character, tag) unit is a 14-bit id, a bigram two, a trigram three."""

    def __init__(
        self,
        ids: dict[Any, int],
        keys: array.array[int],
        counts: array.array[int],
        total: float,
        width: int,
    ) -> None:
        self.ids, self.keys, self.counts, self.total, self.width = ids, keys, counts, total, width
        self._seen: dict[Any, tuple[bool, int]] = {}  # recent look-ups: bisection is slow

    def _key(self, units: Any) -> int | None:
        if self.width == 1:
            units = (units,)
        key = 0
        for unit in units:
            found = self.ids.get(unit)
            if found is None:
                return None
            key = key << UNIT_BITS | found
        return key

    def get(self, units: Any) -> tuple[bool, int]:
        found = self._seen.get(units)
        if found is None:
            found = (False, 0)
            key = self._key(units)
            if key is not None:
                at = bisect.bisect_left(self.keys, key)
                if at < len(self.keys) and self.keys[at] == key:
                    found = (True, self.counts[at])
            if len(self._seen) >= SEEN_MAX:
                self._seen.clear()  # a bound, not an LRU: common units come back at once
            self._seen[units] = found
        return found

    def freq(self, units: Any) -> float:
        return float(self.get(units)[1]) / self.total

    def getsum(self) -> float:
        return self.total


UNIT_BITS = 14
SEEN_MAX = 50_000
SEG_CACHE_VERSION = 1


def _seg_cache_path(source: Path) -> Path:
    return cache_path("snownlp-seg", SEG_CACHE_VERSION, source)


def build_seg_cache(source: Path, target: Path) -> None:
    """Pack SnowNLP's segmenter model (a 350 MB dict of tuples once loaded) into arrays.

    Run in a child of its own (:func:`load_segmenter`), once per installation, like
    jieba's own dictionary cache, so no long-lived process ever holds the big dict."""
    with gzip.open(source, "rb") as handle:
        model = marshal.loads(handle.read())  # noqa: S302 (the package's own file)
    units = sorted(model["uni"]["d"])
    for table in ("bi", "tri"):
        for key in model[table]["d"]:
            units.extend(u for u in key if u not in model["uni"]["d"])
    ids = {unit: i for i, unit in enumerate(dict.fromkeys(units))}
    if len(ids) >= 1 << UNIT_BITS:
        raise ValueError("segmenter model too large to pack")
    tables = {}
    for table, width in (("uni", 1), ("bi", 2), ("tri", 3)):
        packed = []
        for key, count in model[table]["d"].items():
            value = 0
            for unit in (key,) if width == 1 else key:
                value = value << UNIT_BITS | ids[unit]
            packed.append((value, count))
        packed.sort()
        tables[table] = {
            "keys": array.array("q", (k for k, _ in packed)).tobytes(),
            "counts": array.array("q", (c for _, c in packed)).tobytes(),
            "total": float(model[table]["total"]),
        }
    data = {
        "units": list(ids),
        "tables": tables,
        "lambdas": (model["l1"], model["l2"], model["l3"]),
        "status": model["status"],
    }
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(marshal.dumps(data))
    partial.replace(target)


def load_segmenter() -> Any:
    """SnowNLP's character-based segmenter (``snownlp.seg``), exactly, with its model
    packed into arrays (~25 MB instead of ~350 MB) and cached in the temporary folder."""
    from surveyor_text.engines import bare_package, package_dir, quietly

    root = package_dir("snownlp")
    source = root / "seg" / "seg.marshal.3"
    cache = _seg_cache_path(source)
    if not cache.exists():
        subprocess.run(  # noqa: S603 (this very file)
            [sys.executable, str(Path(__file__).resolve()), "seg-cache", str(source), str(cache)],
            check=True,
        )
    data = marshal.loads(cache.read_bytes())  # noqa: S302 (our own cache)
    bare_package("snownlp", root)
    bare_package("snownlp.seg", root / "seg")
    generative = quietly(lambda: importlib.import_module("snownlp.seg.y09_2047"))
    model = generative.CharacterBasedGenerativeModel()
    ids = {tuple(unit): i for i, unit in enumerate(data["units"])}
    for name, width in (("uni", 1), ("bi", 2), ("tri", 3)):
        table = data["tables"][name]
        keys, counts = array.array("q"), array.array("q")
        keys.frombytes(table["keys"])
        counts.frombytes(table["counts"])
        setattr(model, name, _Counts(ids, keys, counts, table["total"], width))
    model.l1, model.l2, model.l3 = data["lambdas"]
    model.status = tuple(data["status"])
    return model


HAN_RUN = re.compile("([\u4e00-\u9fa5]+)")  # snownlp.seg.re_zh


def snownlp_seg(model: Any, sentence: str) -> list[str]:
    """``snownlp.seg.seg``: Han runs by the model, other text split on spaces."""
    words: list[str] = []
    for part in HAN_RUN.split(sentence):
        part = part.strip()
        if not part:
            continue
        if HAN_RUN.match(part):
            word = ""
            for char, tag in model.tag(part):  # snownlp.seg.seg.Seg.seg
                if tag == "e":
                    words.append(word + char)
                    word = ""
                elif tag in ("b", "s"):
                    if word:
                        words.append(word)
                    word = char
                else:
                    word += char
            if word:
                words.append(word)
        else:
            words.extend(w for w in (w.strip() for w in part.split()) if w)
    return words


if __name__ == "__main__":  # python segmenter.py seg-cache SOURCE TARGET (load_segmenter)
    if sys.argv[1:2] == ["seg-cache"]:
        build_seg_cache(Path(sys.argv[2]), Path(sys.argv[3]))
