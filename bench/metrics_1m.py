"""Metrics at scale (issue 7): 1,000,000 responses over 10 checkpoints and two years.

1. Generates the responses (with their invitations, contacts and answers) into a fresh
   SQLite file: migrations first, then ``executemany`` in big transactions with
   ``synchronous=OFF`` (a bulk load, not the app's durability).
2. Starts ``surveyor serve --no-worker`` on it and measures, over real HTTP:
   the metrics API for one checkpoint over 90 days (p50), the checkpoint dashboard
   page and the overview page (median), and the streamed CSV export of everything
   (time, rows).
3. Measures the export's peak memory in a subprocess of its own: the same generator the
   handler streams (``export_csv``): growth = ``getrusage(RUSAGE_SELF).ru_maxrss`` after
   the export (the peak) minus the resident set just before it (``VmRSS``).

    .venv/bin/python bench/metrics_1m.py [--rows 1000000] [--runs 30] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, machine, start, stop  # noqa: E402

CHECKPOINTS = 10
DAYS = 730
CONTACTS = 20_000
BATCH = 50_000
SECRET = "b" * 40
PASSWORD = "bench password 1234"  # noqa: S105 - a throwaway bench user
SURVEYOR = str(Path(sys.executable).parent / "surveyor")


def migrate(path: str) -> None:
    env = {**os.environ, "SURVEYOR_DATABASE": path, "SURVEYOR_SECRET_KEY": SECRET}
    subprocess.run([SURVEYOR, "migrate"], env=env, check=True)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def generate(path: str, rows: int) -> float:
    """Fill ``path`` with ``rows`` completed responses; returns the seconds it took."""
    began = time.perf_counter()
    migrate(path)
    rng = random.Random(1)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
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
    span = DAYS * 86400
    # Completion times in order, as a real database receives them.
    offsets = sorted(rng.random() * span for _ in range(rows))
    done = 0
    while done < rows:
        count = min(BATCH, rows - done)
        invitations, responses, answers = [], [], []
        for i in range(done, done + count):
            completed = start_at + timedelta(seconds=offsets[i])
            c = _iso(completed)
            s = _iso(completed - timedelta(seconds=45))
            rid = f"r{i:08d}"
            cp = f"cp_{rng.randrange(CHECKPOINTS):02}"
            contact = f"c{rng.randrange(CONTACTS)}"
            channel = "sms" if rng.random() < 0.3 else "email"
            mood = rng.random()
            nps = min(10, int(mood * 11))
            ces = 1 + min(6, int(rng.random() * 7)) if rng.random() < 0.9 else None
            emotion = 1 + min(9, int((mood * 0.7 + rng.random() * 0.3) * 10))
            invitations.append(
                (f"i{i:08d}", survey, version, contact, cp, channel, f"{i:064x}", s, s, s)
            )
            responses.append(
                (
                    rid,
                    f"i{i:08d}",
                    survey,
                    version,
                    contact,
                    cp,
                    channel,
                    s,
                    c,
                    c,
                    nps,
                    ces,
                    emotion,
                )
            )
            answers.append((rid, "recommend", str(nps), c))
            if i % 10 == 0:
                answers.append((rid, "reason", '"=too slow, +late; -meh @home"', c))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO invitations (id, survey_id, survey_version_id, contact_id, checkpoint_key,"
            " channel, token_hash, status, send_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'answered', ?, ?, ?)",
            invitations,
        )
        conn.executemany(
            "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id, contact_id,"
            " checkpoint_key, channel, status, started_at, updated_at, completed_at, nps, ces,"
            " emotion) VALUES (?, ?, ?, ?, ?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?)",
            responses,
        )
        conn.executemany(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)",
            answers,
        )
        conn.execute("COMMIT")
        done += count
    conn.execute("ANALYZE")
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


def timed(client: httpx.Client, url: str, runs: int, **kwargs: object) -> list[float]:
    for _ in range(3):  # warm-up: page cache, prepared statements, template compilation
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
import asyncio, resource, sys, time
from surveyor.db.sqlite import SQLiteDatabase
from surveyor.metrics.export import export_csv
from surveyor.metrics.filters import parse_scope

def rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

async def main():
    db = SQLiteDatabase(sys.argv[1])
    await db.connect()
    # Growth = the peak during the export minus what the process held just before it.
    before = rss_kb()
    began = time.perf_counter()
    rows = nbytes = 0
    async for chunk in export_csv(db, parse_scope(default_days=None, max_days=None)):
        nbytes += len(chunk)
        rows += chunk.count(b"\\n")
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", help="use (or create) this database file and keep it")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="surveyor-bench-metrics-")
    path = args.keep or str(Path(folder) / "metrics.db")
    if not Path(path).exists():
        seconds = generate(path, args.rows)
        print(f"generated {args.rows:,} responses in {seconds:.1f} s")
    key, email = credentials(path)
    port = free_port()
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
    )
    try:
        base = f"http://127.0.0.1:{port}"
        now = datetime.now(UTC).date()
        since = (now - timedelta(days=90)).isoformat()
        with httpx.Client(base_url=base, timeout=120) as client:
            api = timed(
                client,
                f"/api/v1/metrics?checkpoint=cp_03&from={since}&to={now.isoformat()}",
                args.runs,
                headers={"Authorization": f"Bearer {key}"},
            )
            weekly = timed(
                client,
                f"/api/v1/metrics?checkpoint=cp_03&from={since}&to={now.isoformat()}&bucket=week",
                args.runs,
                headers={"Authorization": f"Bearer {key}"},
            )
            login(client, email)
            page = timed(client, "/dashboard/checkpoints/cp_03?days=90", max(5, args.runs // 3))
            overview = timed(client, "/dashboard?days=90", max(5, args.runs // 3))
            began = time.perf_counter()
            rows = 0
            with client.stream(
                "GET",
                "/api/v1/responses/export?format=csv",
                headers={"Authorization": f"Bearer {key}"},
            ) as answer:
                answer.raise_for_status()
                for chunk in answer.iter_bytes():
                    rows += chunk.count(b"\n")
            http_export = time.perf_counter() - began
    finally:
        stop(server)
    child_rows, child_seconds, growth_mb, peak_mb = export_memory(path)
    print(machine(), "·", f"SQLite {sqlite3.sqlite_version}")
    p50 = statistics.median
    print(f"metrics API, one checkpoint, 90 days: p50 {p50(api):.1f} ms (max {max(api):.1f})")
    print(f"metrics API, same with bucket=week:  p50 {p50(weekly):.1f} ms")
    print(f"checkpoint dashboard page (90 days):  median {p50(page):.1f} ms")
    print(f"overview dashboard (10 checkpoints):  median {p50(overview):.1f} ms")
    print(f"CSV export over HTTP: {rows - 1:,} rows in {http_export:.1f} s")
    print(
        f"CSV export in a subprocess: {child_rows:,} rows in {child_seconds:.1f} s,"
        f" peak memory growth {growth_mb:.1f} MB (peak RSS {peak_mb:.0f} MB)"
    )
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
