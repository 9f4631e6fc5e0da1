"""The analysis process: ``python child.py`` reads requests on stdin and answers on stdout.

Started by :mod:`surveyor_text.process`, never imported by the server. It imports
``surveyor_text.analyze`` (and its lexicons) WITHOUT the package's ``__init__``, which
would import Surveyor's application (hooks, routes, jobs): the package is registered as a
bare namespace first. So this process holds the text libraries and nothing else.

One request per line, JSON: ``{"themes": [[name, [en…], [zh…]], …], "texts": [...]}``, where
``themes`` is sent only when it changed (the first request, a new dictionary): without it
the last one applies;
one answer per line: ``{"results": [{language, score, label, themes, key_phrases}, …]}``,
or ``{"missing": [library, …]}``, or ``{"error": "…"}``. End of input ends the process,
so it never outlives the process that started it (its stdin closes with it). It runs at a
lower priority (``NICE``): the analysis can wait, the customer's next page cannot.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib.machinery
import json
import math
import os
import sys
import time
import types
from pathlib import Path
from typing import Any


def _import_analyze() -> Any:
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        del sys.path[0]  # the script's folder: its modules must not shadow anything
    if "surveyor_text" not in sys.modules:
        package = types.ModuleType("surveyor_text")
        package.__path__ = [str(here)]
        package.__spec__ = importlib.machinery.ModuleSpec("surveyor_text", None, is_package=True)
        sys.modules["surveyor_text"] = package
    from surveyor_text import analyze

    return analyze


NICE = 10  # background work: on a busy machine the serving processes go first
# The Chinese models (~60 MB) are dropped when no Chinese comment came for this long while
# others still arrive (the whole process stops after its own idle time, ``process``).
ZH_IDLE_SECONDS = float(os.environ.get("SURVEYOR_TEXT_ZH_IDLE_SECONDS", "60"))


def drop_idle_chinese(analyze: Any, last_chinese: float, now: float) -> bool:
    """Drop the Chinese models if loaded and unused for ``ZH_IDLE_SECONDS``."""
    if now - last_chinese < ZH_IDLE_SECONDS:
        return False
    models = analyze.MODELS.get()
    from surveyor_text.engines import CHINESE

    if not models.drop(CHINESE):
        return False
    gc.collect()  # their arrays are freed at once; cycles (jieba's) with this
    _trim_heap()
    return True


def _trim_heap() -> None:
    """Give the freed heap back to the system (glibc keeps it for reuse otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: reused, not returned
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: glibc's


def serve(read: Any, write: Any) -> None:
    if hasattr(os, "nice"):
        os.nice(NICE)
    analyze = _import_analyze()
    key: Any = None
    dictionary = None
    last_chinese = math.inf  # no Chinese comment yet: nothing to drop
    for line in read:
        try:
            if last_chinese != math.inf and drop_idle_chinese(
                analyze, last_chinese, time.monotonic()
            ):
                last_chinese = math.inf
            request = json.loads(line)
            if "themes" in request and (dictionary is None or request["themes"] != key):
                dictionary, key = None, None  # until the new one is built
                themes = request["themes"]
                dictionary = analyze.Dictionary(
                    analyze.Theme(name=name, en=tuple(en), zh=tuple(zh)) for name, en, zh in themes
                )
                key = themes
            if dictionary is None:
                raise ValueError("no dictionary yet: send the themes")
            results = []
            for text in request["texts"]:
                result = analyze.analyze(text, dictionary)
                if result.language == "zh":
                    last_chinese = time.monotonic()
                results.append(
                    {
                        "language": result.language,
                        "score": result.score,
                        "label": result.label,
                        "themes": list(result.themes),
                        "key_phrases": list(result.key_phrases),
                    }
                )
            answer: dict[str, Any] = {"results": results}
        except analyze.MissingLibraries as exc:
            answer = {"missing": exc.names}
        except Exception as exc:  # one bad request must not end the process
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        write.write(json.dumps(answer).encode() + b"\n")
        write.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
