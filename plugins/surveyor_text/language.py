"""langid's classifier (``langid.langid.LanguageIdentifier.classify`` with normalised
probabilities, restricted to ``analyze.LANGUAGES``), in plain Python over its model packed
into arrays, for ``engines``.

langid itself costs the analysis process ~63 MB and, under load, tens of seconds: numpy
(~13 MB), the module holding its model as a ~10 MB string literal, and the model decoded
for all 97 languages. The classifier only needs the byte automaton (2.3 M transitions,
4.7 MB as 16-bit integers), the state → feature table and the log-probabilities of the
languages kept (7,480 features × 11 languages). Those are packed once per installation
by a short-lived child (this file run as a script: ``python language.py langid-cache
LANGUAGES TARGET``), like SnowNLP's segmenter (``segmenter``), so no long-lived process
imports numpy or holds the full model; this module needs only the standard library.

Same answers as langid: same features, same counts, same float64 arithmetic; only the
order of the additions in the dot product differs (numpy's BLAS against a plain loop),
which moves a confidence in its last bits — ``analyze.detect_language`` compares it with
0.999, and ``tests/text/test_language.py`` checks the codes and confidences against
langid's own.
"""

from __future__ import annotations

import array
import marshal
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from surveyor_text.packing import cache_path, package_dir

CACHE_VERSION = 1


def _langid_source() -> Path:
    return package_dir("langid") / "langid.py"


def _cache_path(source: Path, languages: Sequence[str]) -> Path:
    return cache_path("langid", CACHE_VERSION, source, "-".join(languages))


def build_cache(languages: Sequence[str], target: Path) -> None:
    """Pack langid's model for ``languages`` (run in a child of its own: it imports
    langid, numpy with it, and decodes the model for all its languages)."""
    import base64
    import bz2
    import pickle

    import langid.langid

    # langid.langid.LanguageIdentifier.from_modelstring (the package's own model)
    model = pickle.loads(bz2.decompress(base64.b64decode(langid.langid.model)))  # noqa: S301
    nb_ptc, nb_pc, nb_classes, tk_nextmove, tk_output = model
    width = len(nb_pc)
    kept = [i for i, code in enumerate(nb_classes) if code in languages]
    missing = set(languages) - {nb_classes[i] for i in kept}
    if missing:
        raise ValueError(f"unknown language codes: {sorted(missing)}")
    numfeats = len(nb_ptc) // width
    # float32 in the model; numpy promotes them to float64 before the dot product
    ptc = array.array("d", (nb_ptc[f * width + i] for f in range(numfeats) for i in kept))
    data = {
        "classes": [nb_classes[i] for i in kept],
        "pc": array.array("d", (nb_pc[i] for i in kept)).tobytes(),
        "ptc": ptc.tobytes(),
        "nextmove": array.array("H", tk_nextmove).tobytes(),
        "output": {state: tuple(found) for state, found in tk_output.items() if found},
    }
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(marshal.dumps(data))
    partial.replace(target)


class Identifier:
    """``classify(text) -> (code, confidence)``, as langid's with ``norm_probs=True``."""

    def __init__(self, data: dict[str, object]) -> None:
        self.classes: list[str] = list(data["classes"])  # type: ignore[call-overload]
        self.pc = array.array("d")
        self.pc.frombytes(data["pc"])  # type: ignore[arg-type]
        self.ptc = array.array("d")
        self.ptc.frombytes(data["ptc"])  # type: ignore[arg-type]
        self.nextmove = array.array("H")
        self.nextmove.frombytes(data["nextmove"])  # type: ignore[arg-type]
        self.output: dict[int, tuple[int, ...]] = data["output"]  # type: ignore[assignment]

    def features(self, text: str) -> dict[int, int]:
        """langid's ``instance2fv``, its non-zero counts only."""
        nextmove = self.nextmove
        state = 0
        visits: dict[int, int] = {}
        for byte in text.encode("utf8"):
            state = nextmove[(state << 8) + byte]
            visits[state] = visits.get(state, 0) + 1
        counts: dict[int, int] = {}
        output = self.output
        for state, times in visits.items():
            for index in output.get(state, ()):
                counts[index] = counts.get(index, 0) + times
        return counts

    def log_probabilities(self, text: str) -> list[float]:
        """langid's ``nb_classprobs``: dot(features, ptc) + pc."""
        width = len(self.classes)
        ptc = self.ptc
        dot = [0.0] * width
        for index, count in sorted(self.features(text).items()):
            base = index * width
            for i in range(width):
                dot[i] += count * ptc[base + i]
        return [d + p for d, p in zip(dot, self.pc, strict=True)]

    def classify(self, text: str) -> tuple[str, float]:
        pd = self.log_probabilities(text)
        probabilities = []
        for here in pd:
            total = 0.0
            for other in pd:
                try:
                    total += math.exp(other - here)
                except OverflowError:  # numpy: inf, and 1 / inf is 0
                    total = math.inf
            probabilities.append(1 / total)
        best = max(range(len(pd)), key=probabilities.__getitem__)  # the first, as argmax
        return self.classes[best], probabilities[best]


def load_identifier(languages: Sequence[str]) -> Identifier:
    """langid's classifier for ``languages``, its packed model cached in the temporary
    folder (built by a short-lived child the first time)."""
    languages = sorted(languages)
    cache = _cache_path(_langid_source(), languages)
    if not cache.exists():
        subprocess.run(  # noqa: S603 (this very file)
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "langid-cache",
                ",".join(languages),
                str(cache),
            ],
            check=True,
        )
    return Identifier(marshal.loads(cache.read_bytes()))  # noqa: S302 (our own cache)


if __name__ == "__main__":  # python language.py langid-cache LANGUAGES TARGET
    del sys.path[0]  # this file's folder: its modules must not shadow anything
    if sys.argv[1:2] == ["langid-cache"]:
        build_cache(sys.argv[2].split(","), Path(sys.argv[3]))
