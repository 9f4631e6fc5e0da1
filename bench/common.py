"""Shared plumbing of the HTTP benchmarks: start a server process, run wrk, read its figures,
and compare against an earlier commit in the same run.

Load comes from wrk (Debian's package), a native load generator: a Python client on
the same 2 cores would distort the figures. Absolute numbers drift with the host (and
this machine is shared), so every figure is compared in the same run with a baseline:
an earlier commit built into its own virtual environment (``build_side``), measured
alternately with the candidate (A B A B …, ``alternate``), and where the issue asks for
it a bare endpoint that only decodes the request (``bench/bare_app.py``).
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def exit_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so servers are stopped and databases dropped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    cmd: list[str],
    env: dict[str, str],
    health_url: str,
    timeout: float = 180,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    import httpx  # here, so the baseline builder runs on a bare Python

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{cmd[:4]} exited with {process.returncode}")
        try:
            if httpx.get(health_url, timeout=2).status_code < 500:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{cmd[:4]} did not answer {health_url}")


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        except ProcessLookupError:
            pass


def bare_server(port: int, python: str | Path = sys.executable) -> subprocess.Popen[bytes]:
    cmd = [
        str(python),
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--loop",
        "uvloop",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-ws",
        "bench.bare_app:make_app",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return start(cmd, env, f"http://127.0.0.1:{port}/")


def wrk_output(
    url: str,
    script: Path,
    args: list[str],
    *,
    threads: int = 2,
    connections: int = 32,
    seconds: float = 10,
) -> str:
    """Run wrk; what it printed: its summary, then the script's ``done()`` lines."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def wrk(
    url: str,
    script: Path,
    args: list[str],
    *,
    threads: int = 2,
    connections: int = 32,
    seconds: float = 10,
) -> dict[str, Any]:
    out = wrk_output(url, script, args, threads=threads, connections=connections, seconds=seconds)
    return parse_wrk(out)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    assert match, text
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": int(requests.group(1)) if requests else 0,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def parse_tagged_json(out: str, tag: str) -> dict[str, Any]:
    """The JSON object a wrk script's ``done()`` printed on a line starting with ``tag``."""
    for line in out.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1 :])
    raise ValueError(f"no {tag} line in the wrk output")


def median_of(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50_ms", "p99_ms")}


def machine() -> str:
    return (
        f"{platform.node()} · {cpu_model()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · load average {load_average()}"
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg prints them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- memory of a whole server ------------------------------------------------------------


def process_tree(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """``pid`` and all its descendants (children, grandchildren …), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may hold spaces and parentheses: the fields follow the last ")".
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def tree_rss_mb(pid: int, proc: Path = Path("/proc")) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (the sum of their VmRSS)."""
    total = 0
    for current in process_tree(pid, proc):
        try:
            for line in (proc / str(current) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass  # it exited between the two reads
    return total / 1024


def tree_cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """CPU time (user + system) used so far by ``pid`` and all its descendants, in seconds,
    children already reaped included. Read before and after a load, divided by the units
    completed, it gives CPU per unit: a figure the other processes' load does not bend."""
    ticks = 0
    for current in process_tree(pid, proc):
        try:
            fields = (proc / str(current) / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            pass  # it exited between the two reads
    return ticks / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Samples the whole tree's RSS every ``interval`` seconds in a thread::

    with RssSampler(server.pid) as rss:
        run_the_load()
    rss.peak_mb, rss.median_mb
    """

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append(tree_rss_mb(self.pid))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max(self.samples, default=0.0)

    @property
    def median_mb(self) -> float:
        return statistics.median(self.samples) if self.samples else 0.0


# -- the same-run baseline: an earlier commit in its own virtual environment -------------

# Issue 17's reference point: the commit the independent measurement was taken on.
ISSUE17_BASELINE = "4cab561"
CACHE = ROOT / ".bench-cache"


def git(*args: str, repo: Path = ROOT) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def resolve_commit(ref: str, repo: Path = ROOT) -> str:
    """The full sha of ``ref`` (a sha prefix, a tag or a branch); SystemExit naming it if none."""
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"--baseline/--candidate: {ref!r} is not a commit of {repo}")
    return done.stdout.strip()


def last_tag(repo: Path = ROOT) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(repo), "describe", "--tags", "--abbrev=0", "HEAD"],
        capture_output=True,
        text=True,
    )
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def baseline_ref(given: str | None, repo: Path = ROOT) -> str:
    """What to compare against: ``--baseline`` if given, else the last tag, else issue 17's
    reference commit."""
    return given or last_tag(repo) or ISSUE17_BASELINE


def keep_known(flags: list[str], supported: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Split ``["--workers", "2", "--no-worker"]`` into the flags (with their values) that
    ``supported`` accepts and the names of those it does not."""
    kept, dropped, rest = [], [], list(flags)
    while rest:
        flag = rest.pop(0)
        value = [rest.pop(0)] if rest and not rest[0].startswith("--") else []
        if supported(flag):
            kept += [flag, *value]
        else:
            dropped.append(flag)
    return kept, dropped


@dataclass
class Side:
    """One version of Surveyor to measure: its source tree and the Python that runs it."""

    label: str  # "baseline" or "candidate"
    name: str  # what it is: "4cab561", "integration (1a2b3c4)", "working tree (…)"
    sha: str
    root: Path
    python: Path
    _help: dict[str, str] = field(default_factory=dict, repr=False)
    _settings: set[str] | None = field(default=None, repr=False)

    def cli_help(self, command: str) -> str:
        if command not in self._help:
            self._help[command] = subprocess.run(
                [str(self.python), "-m", "surveyor.cli", command, "--help"],
                cwd=self.root,
                capture_output=True,
                text=True,
            ).stdout
        return self._help[command]

    def supports_flag(self, command: str, flag: str) -> bool:
        """Whether ``surveyor <command>`` of this version knows ``flag``: old commits lack
        newer flags."""
        pattern = rf"(^|[\s,\[]){re.escape(flag)}(?![\w-])"
        return re.search(pattern, self.cli_help(command), re.MULTILINE) is not None

    def settings(self) -> set[str]:
        """The settings this version knows (it refuses unknown SURVEYOR_* variables)."""
        if self._settings is None:
            code = "from surveyor.settings import Settings; print(*Settings.__struct_fields__)"
            out = subprocess.run(
                [str(self.python), "-c", code],
                cwd=self.root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            self._settings = set(out.split())
        return self._settings

    def env(self, wanted: dict[str, str]) -> dict[str, str]:
        """The process environment with those of ``wanted``'s SURVEYOR_* settings that this
        version knows (an old version refuses to start on a setting it does not know)."""
        known = self.settings()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")}
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
        for key, value in wanted.items():
            if not key.startswith("SURVEYOR_") or key[9:].lower() in known:
                env[key] = value
        return env

    def serve_cmd(self, port: int, extra: list[str] | None = None) -> list[str]:
        """``surveyor serve`` with those ``extra`` flags this version supports."""
        kept, dropped = keep_known(list(extra or []), lambda f: self.supports_flag("serve", f))
        for flag in dropped:
            print(f"  ({self.name} has no `serve {flag}`: started without it)", file=sys.stderr)
        return [str(self.python), "-m", "surveyor.cli", "serve", "--port", str(port), *kept]

    def start_server(
        self, port: int, wanted_env: dict[str, str], extra: list[str] | None = None
    ) -> subprocess.Popen[bytes]:
        return start(
            self.serve_cmd(port, extra),
            self.env(wanted_env),
            f"http://127.0.0.1:{port}/healthz",
            cwd=self.root,
        )

    def run_script(self, script: Path, args: list[str], wanted_env: dict[str, str]) -> str:
        """Run a bench helper (bench/seed.py) with this version's Python and package, in its
        tree; its standard output."""
        done = subprocess.run(
            [str(self.python), str(script), *args],
            cwd=self.root,
            env=self.env(wanted_env),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{script.name} on {self.name} failed:\n{done.stderr[-3000:]}")
        return done.stdout


def build_side(ref: str, label: str) -> Side:
    """A commit built into ``.bench-cache/<sha>``: its tree (``git archive``) and a virtual
    environment with ``pip install -e`` of that tree. Built once, reused by later runs."""
    sha = resolve_commit(ref)
    home = CACHE / sha
    tree, venv, ready = home / "tree", home / "venv", home / ".ready"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two benchmarks started at once build it once
        if not ready.exists():
            print(f"building {ref} ({sha[:10]}) into {home} …", file=sys.stderr, flush=True)
            shutil.rmtree(tree, ignore_errors=True)
            shutil.rmtree(venv, ignore_errors=True)
            tree.mkdir()
            archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", sha], stdout=PIPE)
            subprocess.run(["tar", "-x", "-C", str(tree)], stdin=archive.stdout, check=True)
            if archive.wait() != 0:
                raise RuntimeError(f"git archive {sha} failed")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            subprocess.run([*pip, "-e", str(tree)], check=True)
            ready.write_text(json.dumps({"ref": ref, "sha": sha, "built": time.time()}))
    name = sha[:7] if sha.startswith(ref) else f"{ref} ({sha[:7]})"
    return Side(label, name, sha, tree, venv / "bin" / "python")


PIPE = subprocess.PIPE


def working_tree_side(label: str = "candidate") -> Side:
    sha = git("rev-parse", "HEAD")
    dirty = " + changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    python = ROOT / ".venv" / "bin" / "python"
    return Side(
        label,
        f"working tree ({sha[:7]}{dirty})",
        sha,
        ROOT,
        python if python.exists() else Path(sys.executable),
    )


def add_comparison_args(parser: Any, pairs: int = 3) -> None:
    parser.add_argument(
        "--baseline",
        help=f"commit to compare against (default: the last tag, else {ISSUE17_BASELINE})",
    )
    parser.add_argument(
        "--candidate", help="commit to measure (default: this working tree), e.g. integration"
    )
    parser.add_argument(
        "--pairs", type=int, default=pairs, help=f"A/B pairs, alternating (default {pairs})"
    )


def comparison_sides(args: Any) -> tuple[Side, Side]:
    baseline = build_side(baseline_ref(args.baseline), "baseline")
    candidate = build_side(args.candidate, "candidate") if args.candidate else working_tree_side()
    return baseline, candidate


Result = dict[str, Any]


def alternate(
    pairs: int, sides: tuple[Side, Side], run: Callable[[Side, int], Result]
) -> list[tuple[Result, Result]]:
    """Measure baseline and candidate alternately, A B A B …, so both see the same machine."""
    return [(run(sides[0], pair), run(sides[1], pair)) for pair in range(pairs)]


def ratios(results: list[tuple[Result, Result]], key: str) -> tuple[list[float], float]:
    """Candidate over baseline per pair, and their median."""
    each = [b[key] / a[key] if a[key] else float("inf") for a, b in results]
    return each, statistics.median(each)


def print_pairs(
    title: str,
    sides: tuple[Side, Side],
    results: list[tuple[Result, Result]],
    key: str,
    unit: str,
    extra: Callable[[Result], str] | None = None,
) -> float:
    """One line per pair (both figures and their ratio), then the median ratio; returns it."""
    print(f"\n{title}: candidate {sides[1].name} / baseline {sides[0].name}")
    each, median = ratios(results, key)
    for pair, ((a, b), ratio) in enumerate(zip(results, each, strict=True), 1):
        more_a = f" ({extra(a)})" if extra else ""
        more_b = f" ({extra(b)})" if extra else ""
        print(
            f"  pair {pair}: baseline {a[key]:,.1f} {unit}{more_a}"
            f" | candidate {b[key]:,.1f} {unit}{more_b} | ratio {ratio:.2f}"
        )
    print(f"  median ratio candidate/baseline: {median:.2f}", flush=True)
    return median
