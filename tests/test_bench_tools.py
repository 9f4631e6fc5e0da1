"""The benchmark helpers that parse or decide things (bench/common.py, bench/flow.lua,
bench/soak.py): wrk's output and the Lua script's result line, the whole-tree RSS sampler,
the baseline builder's commit resolution and flag filtering, and the customer-path script
driving a real (tiny) HTTP server through wrk. No timings are asserted."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bench.common import (
    ISSUE17_BASELINE,
    ROOT,
    baseline_ref,
    keep_known,
    last_tag,
    parse_tagged_json,
    parse_wrk,
    process_tree,
    resolve_commit,
    tree_cpu_seconds,
    tree_rss_mb,
    wrk_output,
)
from bench.soak import drift, verdict

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8000
  16 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    41.20ms   30.11ms 412.00ms   80.00%
  Latency Distribution
     50%   35.10ms
     75%   51.00ms
     90%   70.00ms
     99%    1.20s
  12345 requests in 20.03s, 98.76MB read
  Non-2xx or 3xx responses: 7
Requests/sec:    616.32
Transfer/sec:      4.93MB
FLOW {"posts": 9000, "post_p50_ms": 30.50, "post_p99_ms": 95.00, "customers": 3000, "thanked": 2990}
"""


def test_wrk_summary_is_read_with_its_units() -> None:
    figures = parse_wrk(WRK_OUTPUT)
    assert figures["rps"] == 616.32
    assert figures["requests"] == 12345
    assert figures["p50_ms"] == 35.1
    assert figures["p99_ms"] == 1200.0  # "1.20s"
    assert figures["non_2xx"] == 7


def test_the_flow_scripts_result_line_is_found_and_decoded() -> None:
    flow = parse_tagged_json(WRK_OUTPUT, "FLOW")
    assert flow == {
        "posts": 9000,
        "post_p50_ms": 30.5,
        "post_p99_ms": 95.0,
        "customers": 3000,
        "thanked": 2990,
    }
    with pytest.raises(ValueError, match="no SOAK line"):
        parse_tagged_json(WRK_OUTPUT, "SOAK")


def fake_proc(root: Path, processes: dict[int, tuple[int, str, int]]) -> Path:
    """A /proc-like tree: pid -> (parent pid, command name, VmRSS in kB)."""
    for pid, (ppid, comm, rss) in processes.items():
        (root / str(pid)).mkdir()
        (root / str(pid) / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1\n")
        (root / str(pid) / "status").write_text(f"Name:\t{comm}\nVmRSS:\t{rss} kB\n")
    (root / "self").mkdir()  # not a pid: ignored
    return root


def test_tree_rss_sums_a_process_and_all_its_descendants_only(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {
            10: (1, "surveyor", 40 * 1024),
            11: (10, "granian worker (1) x", 60 * 1024),  # spaces and parentheses in the name
            12: (11, "python", 20 * 1024),  # a grandchild
            20: (1, "other", 999 * 1024),  # not in the tree
        },
    )
    assert sorted(process_tree(10, proc)) == [10, 11, 12]
    assert tree_rss_mb(10, proc) == 120.0
    assert tree_rss_mb(12, proc) == 20.0


def test_tree_rss_of_a_real_process_includes_its_child() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    try:
        assert child.pid in process_tree(os.getpid())
        assert tree_rss_mb(os.getpid()) > tree_rss_mb(child.pid) > 0
    finally:
        child.communicate(b"")


BURN = """
import sys, time
start = time.process_time()
while time.process_time() - start < 0.3:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


def test_tree_cpu_counts_the_cpu_time_of_a_live_child() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"burnt\n"
        assert tree_cpu_seconds(child.pid) >= 0.3
        assert tree_cpu_seconds(os.getpid()) >= tree_cpu_seconds(child.pid)
    finally:
        child.communicate(b"")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "bench@example.com")
    git("config", "user.name", "Bench")
    (tmp_path / "a.txt").write_text("one")
    git("add", "a.txt")
    git("commit", "-q", "-m", "one")
    return tmp_path


def head(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


def test_commits_resolve_from_a_prefix_a_branch_or_a_tag(repo: Path) -> None:
    sha = head(repo)
    assert resolve_commit(sha[:7], repo) == sha
    assert resolve_commit("main", repo) == sha
    subprocess.run(["git", "-C", str(repo), "tag", "-a", "v1.0", "-m", "v1"], check=True)
    assert resolve_commit("v1.0", repo) == sha  # an annotated tag peels to its commit
    with pytest.raises(SystemExit, match="'nope' is not a commit"):
        resolve_commit("nope", repo)


def test_the_baseline_is_the_given_commit_else_the_last_tag_else_issue_17s(repo: Path) -> None:
    assert last_tag(repo) is None
    assert baseline_ref(None, repo) == ISSUE17_BASELINE
    subprocess.run(["git", "-C", str(repo), "tag", "v0.9"], check=True)
    assert last_tag(repo) == "v0.9"
    assert baseline_ref(None, repo) == "v0.9"
    assert baseline_ref("abc1234", repo) == "abc1234"


def test_flags_a_version_lacks_are_dropped_with_their_values() -> None:
    known = {"--no-worker", "--server"}.__contains__
    kept, dropped = keep_known(["--workers", "2", "--no-worker", "--server", "granian"], known)
    assert kept == ["--no-worker", "--server", "granian"]
    assert dropped == ["--workers"]


def test_soak_verdict_flat_memory_and_drift() -> None:
    def minute(rss: float, p99: float) -> dict[str, object]:
        return {
            "rss_median_mb": rss,
            "events": {"p99_ms": p99},
            "flow": {"p99_ms": p99},
            "metrics": {"p99_ms": p99},
        }

    flat = [minute(150, 90)] + [minute(100 + i, 40) for i in range(9)]  # warm-up first
    assert verdict(flat, 1)["rss_flat_within_10pct"] is True
    assert verdict(flat, 1)["p99_not_drifting"] is True
    growing = [minute(100 + 5 * i, 40 + 10 * i) for i in range(10)]
    result = verdict(growing, 1)
    assert result["rss_flat_within_10pct"] is False
    assert result["p99_not_drifting"] is False
    assert drift([10, 10, 10, 20, 20, 20]) == 2.0


# -- bench/flow.lua against a tiny real server ----------------------------------------

STEPS = {
    "score": '<input type="radio" id="q_score-0" name="q_score" value="0">'
    + "".join(f'<input type="radio" name="q_score" value="{n}">' for n in range(1, 11)),
    "comment": '<textarea id="q_comment" name="q_comment" rows="5"></textarea>',
    "topics": "".join(
        f'<input type="checkbox" id="q_topics-{o}" name="q_topics" value="{o}">'
        for o in ("product", "support", "price")
    ),
}
ORDER = ["score", "comment", "topics"]


def page(token: str, step: str) -> str:
    return (
        f'<section id="survey" data-view="step"><form method="post" action="/s/{token}"'
        f' hx-post="/s/{token}" hx-target="#survey">'
        f'<input type="hidden" name="step" value="{step}">'
        f'<input type="hidden" name="form_token" value="{html.escape("t&1 " + token)}">'
        f"{STEPS[step]}<button>Next</button></form></section>"
    )


class Survey(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    posts: list[tuple[str, list[tuple[str, str]], dict[str, str]]] = []
    gets: list[str] = []

    def answer(self, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.gets.append(self.path)
        self.answer("<html><body>" + page(self.path.rsplit("/", 1)[1], "score") + "</body></html>")

    def do_POST(self) -> None:
        form = parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode())
        token = self.path.rsplit("/", 1)[1]
        self.posts.append((token, form, dict(self.headers)))
        step = dict(form)["step"]
        if step == ORDER[-1]:
            self.answer('<section id="survey" data-view="thanks"><p class="ending">Thanks</p>')
        else:
            self.answer(page(token, ORDER[ORDER.index(step) + 1]))

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_flow_lua_completes_each_step_from_the_previous_answers_form(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Survey)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(f"tok{i:05d}\n" for i in range(20000)))
    try:
        out = wrk_output(
            f"http://127.0.0.1:{server.server_address[1]}",
            ROOT / "bench" / "flow.lua",
            [str(tokens), "2"],
            threads=2,
            connections=2,
            seconds=1,
        )
    finally:
        server.shutdown()
        server.server_close()
    flow = parse_tagged_json(out, "FLOW")
    assert flow["thanked"] >= 1
    assert flow["no_form"] == 0 and flow["non_200"] == 0 and flow["wrapped"] == 0
    assert flow["posts"] >= 3 * flow["thanked"]
    by_token: dict[str, list[dict[str, list[str]]]] = {}
    for token, form, headers in Survey.posts:
        assert headers["HX-Request"] == "true"
        fields: dict[str, list[str]] = {}
        for name, value in form:
            fields.setdefault(name, []).append(value)
        by_token.setdefault(token, []).append(fields)
    finished = [steps for steps in by_token.values() if len(steps) == 3]
    assert len(finished) >= flow["thanked"]
    for token, steps in by_token.items():
        # Each customer posts the steps in order, each with the form token it was given.
        assert [s["step"] for s in steps] == [[name] for name in ORDER[: len(steps)]]
        assert all(s["form_token"] == [f"t&1 {token}"] for s in steps)
        assert 0 <= int(steps[0]["q_score"][0]) <= 10 and len(steps[0]["q_score"]) == 1
        if len(steps) > 1:
            assert steps[1]["q_comment"][0]
        if len(steps) > 2:
            assert set(steps[2]["q_topics"]) <= {"product", "support", "price"}
    # Thread t of 2 takes every other line of the file: no invitation is opened twice.
    assert len(Survey.gets) == len(set(Survey.gets))
    assert flow["customers"] - 2 <= len(Survey.gets) <= flow["customers"]  # 2: cut at the end
