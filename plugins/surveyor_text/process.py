"""The analysis process, seen from the server or the worker that needs it.

The text libraries never load in a serving process (docs/architecture.md, "The process
model"): :func:`analyze_many` sends comments to ONE child process (``child.py``) that
holds them, started on first need and stopped after ``idle_seconds`` without work, so an
idle server holds no models. Requests take turns (a lock); a batch of comments is one
round trip. The child reads its requests on a pipe and ends when the pipe closes, so it
never outlives its parent. If it dies (killed, out of memory), the call raises
:class:`AnalysisDied`, a retryable failure, and the next call starts a new one.

Why a plain child on pipes rather than ``concurrent.futures.ProcessPoolExecutor``: the
pool's child must unpickle its function by importing its module, which imports the
package ``surveyor_text`` and with it Surveyor's application; ``spawn`` also re-imports
the parent's ``__main__``. ``child.py`` runs as a script and imports the analysis alone.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from surveyor_text.analyze import MissingLibraries, Result, Theme

CHILD = Path(__file__).resolve().parent / "child.py"
IDLE_SECONDS = float(os.environ.get("SURVEYOR_TEXT_IDLE_SECONDS", "60"))
STOP_SECONDS = 5.0


class AnalysisDied(RuntimeError):
    """The analysis process ended while (or before) answering; asking again restarts it."""


class AnalysisFailed(RuntimeError):
    """The analysis process answered with an error for this batch."""


class Analyser:
    """One analysis child process, started lazily and stopped when idle."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self.started = 0  # how many children were started (tests, the bench)
        self.stopped = threading.Event()  # set when an idle child was stopped
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._timer: threading.Timer | None = None
        self._uses = 0
        self._sent_themes: Any = None  # the themes the running child already holds

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None else None

    def analyze_many(self, texts: Sequence[str], themes: Sequence[Theme]) -> list[Result]:
        """Analyse ``texts`` in the child (blocking: call it in a thread)."""
        if not texts:
            return []
        key = tuple(themes)
        with self._lock:
            self._uses += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            child = self._child or self._start()
            # The dictionary goes to a child once, not with every request: decoding its
            # ~150 keywords cost the child more than reading a short comment.
            request: dict[str, Any] = {"texts": list(texts)}
            if key != self._sent_themes:
                request["themes"] = [[t.name, list(t.en), list(t.zh)] for t in key]
            line = json.dumps(request).encode() + b"\n"
            answer = b""
            try:
                stdin, stdout = _pipes(child)
                stdin.write(line)
                stdin.flush()
                answer = stdout.readline()
            except OSError:  # a broken pipe: the child is gone
                pass
            if not answer:
                self._end(child)
                raise AnalysisDied(f"the analysis process (pid {child.pid}) ended")
            reply: dict[str, Any] = json.loads(answer)
            # A failed request may have left the child without this dictionary: resend.
            self._sent_themes = key if "results" in reply else None
            self._arm()
        if "missing" in reply:
            raise MissingLibraries(list(reply["missing"]))
        if "error" in reply:
            raise AnalysisFailed(str(reply["error"]))
        return [
            Result(
                language=r["language"],
                score=float(r["score"]),
                label=r["label"],
                themes=tuple(r["themes"]),
                key_phrases=tuple(r["key_phrases"]),
            )
            for r in reply["results"]
        ]

    def stop(self) -> None:
        """Stop the child, if one runs (shutdown, idle, tests)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._child is not None:
                self._end(self._child)

    def _start(self) -> subprocess.Popen[bytes]:
        self.stopped.clear()
        self._child = subprocess.Popen(  # noqa: S603 (our own script)
            [sys.executable, str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self._sent_themes = None
        self.started += 1
        return self._child

    def _end(self, child: subprocess.Popen[bytes]) -> None:
        """Close the child's input (it exits at end of input) and reap it."""
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if self._child is child:
            self._child = None

    def _arm(self) -> None:
        uses = self._uses
        timer = threading.Timer(self.idle_seconds, self._stop_if_idle, args=(uses,))
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _stop_if_idle(self, uses: int) -> None:
        with self._lock:
            if uses != self._uses or self._child is None:
                return  # used again since this timer was set
            self._timer = None
            self._end(self._child)
            self.stopped.set()


def _pipes(child: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    if child.stdin is None or child.stdout is None:
        raise OSError("closed")
    return child.stdin, child.stdout


ANALYSER = Analyser()
atexit.register(ANALYSER.stop)
