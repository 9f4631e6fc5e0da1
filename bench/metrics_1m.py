"""Metrics at scale (issues 7 and 17): 1M or 10M responses over 10 checkpoints and two years.

1. Generates the responses (with their invitations, contacts and answers) into a fresh
   SQLite file: migrations first, then ``executemany`` in big transactions with
   ``synchronous=OFF`` (a bulk load, not the app's durability). The rollup triggers of
   migrations 0060 and 0061 are set aside during the load and the rollups built afterwards in one
   ``GROUP BY`` each (the migrations' own backfills), then the triggers are put back.
2. Starts ``surveyor serve --no-worker`` on it and measures, over real HTTP: the metrics
   API for one checkpoint over 90 days (p50), the checkpoint dashboard page and the
   overview page (median) — once reading the hourly rollups (the default) and once with
   ``SURVEYOR_METRICS_ROLLUPS=false`` (every figure from the rows: the baseline), in the
   same run, alternating; then the streamed CSV export of everything (time, rows).
3. Measures the export's peak memory in a fresh process (``subprocess``: fork + exec,
   so it did not generate anything): the same generator the handler streams
   (``export_csv``). Growth = the process's peak resident set during the export
   (``VmHWM``, reset just before through ``/proc/self/clear_refs``) minus its resident
   set just before (``VmRSS``). Not ``ru_maxrss``: Linux carries it over from the
   parent across fork and exec, so a child of the generating process read the
   generator's peak (the false 192–322 MB of issue 17).

    .venv/bin/python bench/metrics_1m.py [--rows 1000000] [--runs 30] [--keep FILE]
        [--no-export] [--rounds 2] [--baseline-runs 5] [--settle 2] [--generate-only]

``--baseline-runs 0`` measures the rollups side alone (at 10M the rows baseline takes
minutes per page); ``--generate-only`` makes the ``--keep`` file and stops (10M: run it
once, in the background; the post-load phases print their times as they finish). The
"right after a write" figures touch checkpoint cp_03 (its data version moves) ``--settle``
seconds after the previous view, so each is the first view after a write.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, machine, start, stop  # noqa: E402
from surveyor.metrics import rollups  # noqa: E402

CHECKPOINTS = 10
DAYS = 730
CONTACTS = 20_000
BATCH = 250_000
SECRET = "b" * 40
PASSWORD = "bench password 1234"  # noqa: S105 - a throwaway bench user
SURVEYOR = str(Path(sys.executable).parent / "surveyor")


def migrate(path: str) -> None:
    env = {**os.environ, "SURVEYOR_DATABASE": path, "SURVEYOR_SECRET_KEY": SECRET}
    subprocess.run([SURVEYOR, "migrate"], env=env, check=True)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


SEARCH_BACKFILL = (
    "INSERT INTO response_search (response_id, body, has_comment, updated_at)"
    " SELECT r.id, coalesce(json_extract(a.value, '$'), ''),"
    " CASE WHEN a.value IS NULL THEN 0 ELSE 1 END, r.completed_at"
    " FROM responses r LEFT JOIN answers a ON a.response_id = r.id AND a.question_id = 'reason'"
    " WHERE r.status = 'complete' AND NOT EXISTS"
    " (SELECT 1 FROM response_search s WHERE s.response_id = r.id)"
)

# Migration 0061's backfill of the funnel's rollup.
FUNNEL_BACKFILL = (
    "INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, "
    + ", ".join(f"status_{s}" for s in rollups.STATUSES)
    + ", started, completed) SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13),"
    " i.survey_id, 0, "
    + ", ".join(f"sum(CASE WHEN i.status = '{s}' THEN 1 ELSE 0 END)" for s in rollups.STATUSES)
    + ", count(r.id), sum(CASE WHEN r.status = 'complete' THEN 1 ELSE 0 END)"
    " FROM invitations i LEFT JOIN responses r ON r.invitation_id = i.id"
    " GROUP BY coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id"
)


def generate(path: str, rows: int) -> float:
    """Fill ``path`` with ``rows`` completed responses; returns the seconds it took."""
    began = time.perf_counter()
    migrate(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -2000000")  # 2 GB: the index builds sort in memory
    conn.execute("PRAGMA threads = 2")  # and with a helper thread (both cores)
    # Bulk load: the rollup triggers are set aside and the rollups built in one pass after.
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'metrics_%'"
    ).fetchall()
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    # ... and so are the secondary indexes of the three big tables: built once, by sorting,
    # after the load (cheaper than millions of inserts at random places in a B-tree).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('invitations', 'responses', 'answers')"
    ).fetchall()
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.execute("PRAGMA journal_mode = OFF")
    now = datetime.now(UTC)
    start_at = now - timedelta(days=DAYS)
    stamp = _iso(now)
    survey, version = "bench-survey", "bench-version"
    definition = json.dumps(
        {
            "default_locale": "en",
            "locales": ["en"],
            "title": {"en": "Bench pulse"},
            "questions": [
                {
                    "id": "recommend",
                    "kind": "nps",
                    "text": {"en": "How likely are you to recommend us?"},
                },
                {"id": "effort", "kind": "ces", "text": {"en": "It was easy."}},
                {"id": "feeling", "kind": "emotion", "text": {"en": "How did you feel?"}},
                {"id": "reason", "kind": "text", "text": {"en": "Why?"}},
            ],
        }
    )
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO surveys (id, name, status, draft, latest_version, created_at, updated_at)"
        " VALUES (?, 'Bench pulse', 'published', ?, 1, ?, ?)",
        (survey, definition, stamp, stamp),
    )
    conn.execute(
        "INSERT INTO survey_versions (id, survey_id, number, definition, published_at)"
        " VALUES (?, ?, 1, ?, ?)",
        (version, survey, definition, stamp),
    )
    for i in range(CHECKPOINTS):
        conn.execute(
            "INSERT INTO checkpoints (id, key, name, position, survey_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (f"cp-{i}", f"cp_{i:02}", f"Checkpoint {i}", i, survey, stamp, stamp),
        )
    conn.executemany(
        "INSERT INTO contacts (id, external_id, attributes, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (
                f"c{i}",
                f"ext-{i}",
                '{"tier": "%s"}' % ("gold" if i % 5 == 0 else "standard"),
                stamp,
                stamp,
            )
            for i in range(CONTACTS)
        ),
    )
    conn.execute("COMMIT")
    # The rows are made by SQLite itself (a recursive sequence, random(), printf): no
    # Python per row, so 10M rows are bounded by the inserts, not by the interpreter.
    conn.execute("PRAGMA temp_store = MEMORY")
    start_us = int(start_at.timestamp()) * 1_000_000
    step_us = DAYS * 86400 * 1_000_000 // rows
    done = 0
    while done < rows:
        count = min(BATCH, rows - done)
        conn.execute("BEGIN")
        conn.execute("DROP TABLE IF EXISTS temp.gen")
        # Completion times in order, as a real database receives them (uniform); the
        # random draws are taken once per row (a temp table, not a re-evaluated view).
        conn.execute(
            "CREATE TEMP TABLE gen AS WITH RECURSIVE seq(i) AS (SELECT ? UNION ALL"
            " SELECT i + 1 FROM seq WHERE i + 1 < ?)"
            " SELECT i, ? + i * ? + abs(random()) % ? AS t,"
            " abs(random()) % 1000000 AS mood, abs(random()) % 1000000 AS r1,"
            " abs(random()) % 1000000 AS r2, abs(random()) % 1000000 AS r3,"
            " 'cp_' || printf('%02d', abs(random()) % ?) AS cp,"
            " 'c' || (abs(random()) % ?) AS contact FROM seq",
            (done, done + count, start_us, step_us, step_us, CHECKPOINTS, CONTACTS),
        )
        stamp_sql = (
            "strftime('%Y-%m-%dT%H:%M:%S', ({t}) / 1000000, 'unixepoch')"
            " || printf('.%06dZ', ({t}) % 1000000)"
        )
        completed = stamp_sql.format(t="t")
        started = stamp_sql.format(t="t - 45000000")
        conn.execute(
            "CREATE TEMP TABLE rows AS SELECT i, printf('r%09d', i) AS rid,"
            " printf('i%09d', i) AS iid, cp, contact,"
            " CASE WHEN r1 < 300000 THEN 'sms' ELSE 'email' END AS channel,"
            f" {completed} AS c, {started} AS s,"
            " min(10, mood * 11 / 1000000) AS nps,"
            " CASE WHEN r3 < 900000 THEN 1 + min(6, r2 * 7 / 1000000) END AS ces,"
            " 1 + min(9, (mood * 7 + r2 * 3) / 1000000) AS emotion FROM gen"
        )
        conn.execute(
            "INSERT INTO invitations (id, survey_id, survey_version_id, contact_id, checkpoint_key,"
            " channel, token_hash, status, send_at, created_at, updated_at)"
            " SELECT iid, ?, ?, contact, cp, channel, printf('%064x', i), 'answered', s, s, s"
            " FROM rows",
            (survey, version),
        )
        conn.execute(
            "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id, contact_id,"
            " checkpoint_key, channel, status, started_at, updated_at, completed_at, nps, ces,"
            " emotion) SELECT rid, iid, ?, ?, contact, cp, channel, 'complete', s, c, c, nps, ces,"
            " emotion FROM rows",
            (survey, version),
        )
        conn.execute(
            "INSERT INTO answers (response_id, question_id, value, updated_at)"
            " SELECT rid, 'recommend', CAST(nps AS TEXT), c FROM rows"
            " UNION ALL SELECT rid, 'reason', '\"=too slow, +late; -meh @home\"', c FROM rows"
            " WHERE i % 10 = 0"
        )
        conn.execute("DROP TABLE temp.gen")
        conn.execute("DROP TABLE temp.rows")
        conn.execute("COMMIT")
        done += count
        if done % 1_000_000 == 0:
            print(f"  {done:,} rows, {time.perf_counter() - began:.0f} s", flush=True)

    def step(what: str) -> None:  # the post-load phases, timed (10M: how far it got)
        print(f"  {what}, {time.perf_counter() - began:.0f} s", flush=True)

    # The search index the completion listener would have written (records, issue 12):
    # without it the server's first start would index a million responses one by one.
    conn.execute("BEGIN")
    conn.execute(SEARCH_BACKFILL)
    conn.execute("COMMIT")
    step("search index")
    conn.execute("BEGIN")
    conn.execute("DELETE FROM metrics_hourly")
    conn.execute(rollups.BACKFILL)
    step("hourly rollups")
    conn.execute("DELETE FROM metrics_daily")
    conn.execute(rollups.DAILY_BACKFILL)
    conn.execute("DELETE FROM metrics_funnel_hourly")
    conn.execute(FUNNEL_BACKFILL)
    step("daily and funnel rollups")
    for name, sql in [*indexes, *triggers]:
        conn.execute(sql)
        if name.startswith("ix_"):
            step(name)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA analysis_limit = 1000")
    conn.execute("ANALYZE")
    step("analyze")
    conn.close()
    return time.perf_counter() - began


def credentials(path: str) -> tuple[str, str]:
    """A read API key and a staff user, through the real commands."""
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": path,
        "SURVEYOR_SECRET_KEY": SECRET,
        "SURVEYOR_NEW_PASSWORD": PASSWORD,
    }
    cli = [SURVEYOR]
    # Not checked: with --keep the user exists from an earlier run.
    subprocess.run(
        [*cli, "users", "create", "--email", "bench@example.com", "--role", "manager"],
        env=env,
        check=False,
        capture_output=True,
    )
    out = subprocess.run(
        [*cli, "apikeys", "create", "--name", "bench", "--scope", "read"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    secret = [line.strip() for line in out.splitlines() if line.strip()][-1].split()[-1]
    return secret, "bench@example.com"


def timed(
    client: httpx.Client, url: str, runs: int, warm: bool = True, **kwargs: object
) -> list[float]:
    for _ in range(3 if warm else 0):  # warm-up: page cache, statements, templates
        client.get(url, **kwargs).raise_for_status()  # type: ignore[arg-type]
    found = []
    for _ in range(runs):
        began = time.perf_counter()
        answer = client.get(url, **kwargs)  # type: ignore[arg-type]
        found.append((time.perf_counter() - began) * 1000)
        answer.raise_for_status()
    return found


def login(client: httpx.Client, email: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "_csrf": token})
    if answer.status_code not in (200, 303):
        raise SystemExit(f"login failed: {answer.status_code} {answer.text[:200]}")


EXPORT_CHILD = """
import asyncio, sys, time
from surveyor.db.sqlite import SQLiteDatabase
from surveyor.metrics.export import export_csv
from surveyor.metrics.filters import parse_scope

def rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def hwm_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

async def main():
    db = SQLiteDatabase(sys.argv[1])
    await db.connect()
    # Growth = the peak during the export minus what the process held just before it.
    # The peak is this address space's VmHWM, reset here (ru_maxrss would carry over the
    # parent's peak across fork and exec).
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = rss_kb()
    began = time.perf_counter()
    rows = nbytes = 0
    async for chunk in export_csv(db, parse_scope(default_days=None, max_days=None)):
        nbytes += len(chunk)
        rows += chunk.count(b"\\n")
    seconds = time.perf_counter() - began
    after = hwm_kb()
    await db.close()
    print(rows - 1, nbytes, seconds, (after - before) / 1024, after / 1024)

asyncio.run(main())
"""


def export_memory(path: str) -> tuple[int, float, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, path],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.split()
    return int(out[0]), float(out[2]), float(out[3]), float(out[4])


def tree_cpu_ms(root: int) -> float:
    """CPU time (user + system) of a process and all its descendants, in ms: a figure
    the machine's load barely moves, beside the wall-clock one it moves a lot."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return 1000 * sum(times.get(pid, 0.0) for pid in tree)


def touch(path: str) -> None:
    """A write that moves checkpoint cp_03's data version (migration 0100) and no figure:
    its newest response's NPS set to itself (the rollups' triggers see no change)."""
    with sqlite3.connect(path, isolation_level=None, timeout=60) as conn:
        conn.execute(
            "UPDATE responses SET nps = nps WHERE id = (SELECT id FROM responses"
            " WHERE checkpoint_key = 'cp_03' ORDER BY completed_at DESC LIMIT 1)"
        )


def measure(
    path: str, port: int, rollups_on: bool, key: str, email: str, runs: int, settle: float
) -> dict:
    """One server on ``path`` (rollups on or off): the four figures, in milliseconds."""
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": path,
        "SURVEYOR_SECRET_KEY": SECRET,
        "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
        "SURVEYOR_METRICS_ROLLUPS": "true" if rollups_on else "false",
    }
    server = start(
        [SURVEYOR, "serve", "--no-worker", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
        timeout=900,
    )
    try:
        now = datetime.now(UTC).date()
        since = (now - timedelta(days=90)).isoformat()
        auth = {"Authorization": f"Bearer {key}"}
        url = f"/api/v1/metrics?checkpoint=cp_03&from={since}&to={now.isoformat()}"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            found: dict[str, Any] = {}

            def run(name: str, url: str, count: int, **kwargs: Any) -> None:
                timed(client, url, 0, **kwargs)  # warm-up only
                before = tree_cpu_ms(server.pid)
                found[name] = timed(client, url, count, warm=False, **kwargs)
                found[name + "_cpu"] = (tree_cpu_ms(server.pid) - before) / count

            run("api", url, runs, headers=auth)
            year = (now - timedelta(days=365)).isoformat()
            run("api_year", f"/api/v1/metrics?from={year}&to={now.isoformat()}", runs, headers=auth)
            run("weekly", url + "&bucket=week", runs, headers=auth)
            login(client, email)
            run("page", "/dashboard/checkpoints/cp_03?days=90", max(5, runs // 3))
            run("overview", "/dashboard?days=90", max(5, runs // 3))
            # Right after a write to the checkpoint (its data version moves): the key
            # drivers and the themes panel are served "as of" and recomputed after the
            # answer. Each write waits ``settle`` seconds after the view before it, so
            # each view is the first after a write with the last refresh done.
            for name, page in (
                ("page_write", "/dashboard/checkpoints/cp_03?days=90"),
                ("overview_write", "/dashboard?days=90"),
            ):
                found[name] = []
                cpu = 0.0
                count = max(5, runs // 3)
                for _ in range(count):
                    time.sleep(settle)
                    touch(path)
                    before = tree_cpu_ms(server.pid)
                    found[name] += timed(client, page, 1, warm=False)
                    cpu += tree_cpu_ms(server.pid) - before
                found[name + "_cpu"] = cpu / count
    finally:
        stop(server)
    return found


def http_export(path: str, port: int, key: str) -> tuple[int, float]:
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": path,
        "SURVEYOR_SECRET_KEY": SECRET,
        "SURVEYOR_BASE_URL": f"http://127.0.0.1:{port}",
    }
    server = start(
        [SURVEYOR, "serve", "--no-worker", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
        timeout=900,
    )
    try:
        began = time.perf_counter()
        rows = 0
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client,
            client.stream(
                "GET",
                "/api/v1/responses/export?format=csv",
                headers={"Authorization": f"Bearer {key}"},
            ) as answer,
        ):
            answer.raise_for_status()
            for chunk in answer.iter_bytes():
                rows += chunk.count(b"\n")
        return rows - 1, time.perf_counter() - began
    finally:
        stop(server)


FIGURES = (
    ("api", "metrics API, one checkpoint, 90 days (p50)"),
    ("api_year", "metrics API, everything, 365 days (p50)"),
    ("weekly", "metrics API, same with bucket=week (p50)"),
    ("page", "checkpoint dashboard page, 90 days (median)"),
    ("overview", "overview dashboard, 10 checkpoints + 1 survey (median)"),
    ("page_write", "checkpoint dashboard right after a write to it (median)"),
    ("overview_write", "overview right after a write (median)"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="rollups/rows alternations")
    parser.add_argument("--keep", help="use (or create) this database file and keep it")
    parser.add_argument("--no-export", action="store_true", help="skip the CSV export")
    parser.add_argument("--baseline-runs", type=int, default=5, help="0: no rows baseline")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before each write")
    parser.add_argument(
        "--generate-only", action="store_true", help="make the --keep file, measure nothing"
    )
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="surveyor-bench-metrics-")
    path = args.keep or str(Path(folder) / "metrics.db")
    load = os.getloadavg()
    if not Path(path).exists():
        # Made under another name and renamed when complete: an interrupted generation
        # never leaves a file that a later --keep run would take for a whole one.
        partial = path + ".partial"
        for suffix in ("", "-wal", "-shm"):
            Path(partial + suffix).unlink(missing_ok=True)
        seconds = generate(partial, args.rows)
        os.replace(partial, path)
        print(f"generated {args.rows:,} responses in {seconds:.1f} s", flush=True)
    if args.generate_only:
        return
    migrate(path)  # a kept file from before migration 0060 gets its rollups here
    with sqlite3.connect(path, isolation_level=None) as conn:  # and its search index
        indexed = conn.execute("SELECT count(*) FROM response_search").fetchone()[0]
        responses = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
        if indexed < responses:  # (10M: probing every response takes minutes)
            conn.execute("BEGIN")
            conn.execute(SEARCH_BACKFILL)
            conn.execute("COMMIT")
    key, email = credentials(path)
    port = free_port()
    responses = sqlite3.connect(path).execute("SELECT count(*) FROM responses").fetchone()[0]
    # Alternate A B A B: rollups (the default), then every figure from the rows (baseline).
    results: dict[bool, list[dict]] = {True: [], False: []}
    sides = (True, False) if args.baseline_runs else (True,)
    for _ in range(args.rounds):
        for rollups_on in sides:
            runs = args.runs if rollups_on else args.baseline_runs
            results[rollups_on].append(
                measure(path, port, rollups_on, key, email, runs, args.settle)
            )
    load_after = os.getloadavg()
    print(machine(), "·", f"SQLite {sqlite3.sqlite_version}", "·", f"{responses:,} responses")
    print(
        f"load average at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f},"
        f" at end {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f}"
    )
    p50 = statistics.median
    print("wall-clock median ms (rollups / rows), and server CPU ms per request (all processes)")
    print(f"{'figure':56} {'rollups':>8} {'rows':>8} {'ratio':>6} {'cpu':>7} {'cpu rows':>8}")
    for name, label in FIGURES:
        fast = p50([p50(r[name]) for r in results[True]])
        cpu_fast = p50([r[name + "_cpu"] for r in results[True]])
        if not results[False]:
            rounds = " ".join(f"{p50(a[name]):.1f}" for a in results[True])
            print(f"{label:56} {fast:8.1f} {'-':>8} {'-':>6} {cpu_fast:7.1f}   rounds: {rounds}")
            continue
        slow = p50([p50(r[name]) for r in results[False]])
        cpu_slow = p50([r[name + "_cpu"] for r in results[False]])
        rounds = " ".join(
            f"{p50(a[name]):.1f}/{p50(b[name]):.1f}"
            for a, b in zip(results[True], results[False], strict=True)
        )
        print(
            f"{label:56} {fast:8.1f} {slow:8.1f} {slow / fast:5.1f}x {cpu_fast:7.1f}"
            f" {cpu_slow:8.1f}   rounds: {rounds}"
        )
    if args.no_export:
        print("export: skipped (--no-export)")
    else:
        rows, seconds = http_export(path, port, key)
        print(f"CSV export over HTTP: {rows:,} rows in {seconds:.1f} s")
        child_rows, child_seconds, growth_mb, peak_mb = export_memory(path)
        print(
            f"CSV export in a fresh process: {child_rows:,} rows in {child_seconds:.1f} s,"
            f" peak memory growth {growth_mb:.1f} MB (peak RSS {peak_mb:.0f} MB, VmHWM)"
        )
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
