"""The customer's path with a backlog of invitation emails, the email channel unconfigured
against configured, in the same run (issue 17: "with no email configured, the customer
path is no slower than with it — an unconfigured channel costs nothing per job").

Each run: a fresh SQLite database, ``--backlog`` invitation emails queued for the email
channel (as ``bench/delivery_email.py`` queues them), then ``bench/flow.py``'s workload
(``--customers`` customers completing the NPS survey step by step, counted in the
database) against a default ``surveyor serve`` of this working tree — its worker on —
in one of three modes (``--modes``, all by default):

* **parked**: no ``SURVEYOR_EMAIL_URL`` and no built-in mailbox (the plugin allow-list
  without ``surveyor_mailbox``, as ``SURVEYOR_MAILBOX_MODE=off`` would do; that plugin
  setting is refused by the seeding script, which loads no plugins) — the jobs must
  wait, parked together, with no lease and no attempt each;
* **mailbox**: no ``SURVEYOR_EMAIL_URL``, the default ``SURVEYOR_MAILBOX_MODE=auto`` — the
  built-in mailbox keeps each message instead (rendered and stored: work per job, by
  design, so a person can read them on ``/mailbox``);
* **configured**: ``SURVEYOR_EMAIL_URL`` names a local aiosmtpd sink — the worker sends
  the backlog while the customers answer.

The modes alternate ``--pairs`` times; after each run the jobs are counted by status
and their attempt rows, so the "costs nothing per job" part is checked, not assumed.

    .venv/bin/python bench/delivery_unconfigured.py [--backlog 10000] [--customers 16]
        [--seconds 20] [--pairs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WITHOUT_MAILBOX = "surveyor_email,surveyor_sms,surveyor_webhook,surveyor_text"


async def queue_backlog(database: str, count: int) -> None:
    """Inside the side's Python: ``count`` invitation emails queued, no worker running."""
    from bench.delivery_email import enqueue_invitations
    from surveyor.app import build_services, start_services
    from surveyor.settings import load_settings

    svc = build_services(
        load_settings(environ={}, database=database, secret_key="b" * 40, run_worker=False)
    )
    await start_services(svc)
    try:
        await enqueue_invitations(svc, count)
    finally:
        await svc.db.close()


def job_counts(database: str) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        counts = {
            f"email_{status}": n
            for status, n in conn.execute(
                "SELECT status, COUNT(*) FROM jobs WHERE channel = 'email' GROUP BY status"
            )
        }
        counts["email_attempts"] = conn.execute(
            "SELECT COUNT(*) FROM job_attempts WHERE job_id IN"
            " (SELECT id FROM jobs WHERE channel = 'email')"
        ).fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=10000)
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--per-run", type=int, default=3000, help="invitations per run")
    parser.add_argument("--modes", default="parked,mailbox,configured")
    parser.add_argument("--json", help="also write the whole report to this file")
    parser.add_argument("--inner-backlog", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner_backlog:
        asyncio.run(queue_backlog(args.inner_backlog, args.backlog))
        return

    from bench import flow
    from bench.common import free_port, machine, working_tree_side
    from bench.delivery_email import start_sink

    modes = tuple(args.modes.split(","))
    sides = {mode: working_tree_side(mode) for mode in modes}
    print(machine(), flush=True)
    sink_port = free_port()
    sink = start_sink(sink_port)
    email_url = f"mailto://127.0.0.1:{sink_port}?from=surveys@acme.example&mode=insecure"
    results: list[dict[str, dict[str, Any]]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            for pair in range(args.pairs):
                one: dict[str, dict[str, Any]] = {}
                for mode in modes:
                    side = sides[mode]
                    database = str(tmp / f"{mode}-{pair}.db")
                    flow.EXTRA_ENV.clear()
                    flow.EXTRA_ENV.update(
                        {
                            "parked": {"SURVEYOR_PLUGINS": WITHOUT_MAILBOX},
                            "mailbox": {},
                            "configured": {"SURVEYOR_EMAIL_URL": email_url},
                        }[mode]
                    )
                    tokens = flow.Tokens(side, database, tmp, f"{mode}-{pair}")
                    tokens.ensure(args.per_run + 600)
                    side.run_script(
                        Path(__file__).resolve(),
                        ["--inner-backlog", database, "--backlog", str(args.backlog)],
                        {},
                    )
                    result = flow.run_flow(
                        side,
                        pair,
                        databases={mode: database},
                        token_sets={mode: tokens},
                        tmp=tmp,
                        customers=args.customers,
                        seconds=args.seconds,
                        warmup=args.warmup,
                        per_run=args.per_run,
                        serve_args={mode: []},
                        tag=mode,
                    )
                    result["jobs"] = job_counts(database)
                    one[mode] = result
                    print(f"  p{pair + 1} {mode:12} {flow.describe(result)}; {result['jobs']}")
                results.append(one)
    finally:
        sink.terminate()
        sink.wait(10)

    print(
        f"\ncustomer path with {args.backlog} invitation emails queued, {args.customers} customers"
    )

    def row(runs: list[dict[str, Any]], key: str, digits: int) -> str:
        return " / ".join(f"{r[key]:.{digits}f}" for r in runs)

    for mode in modes:
        runs = [r[mode] for r in results]
        print(
            f"  {mode:12} completed/s {row(runs, 'completed_per_s', 1)};"
            f" submit p99 {row(runs, 'submit_p99_ms', 0)} ms;"
            f" GET p99 {row(runs, 'get_p99_ms', 0)} ms"
        )
    if "configured" in modes:
        for mode in modes:
            ratios = [
                r[mode]["completed_per_s"] / r["configured"]["completed_per_s"]
                for r in results
                if r["configured"]["completed_per_s"] and mode != "configured"
            ]
            if ratios:
                print(
                    f"  {mode} / configured completed/s, median {statistics.median(ratios):.2f}"
                    f" ({', '.join(f'{x:.2f}' for x in ratios)})"
                )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "backlog": args.backlog, "pairs": results}, indent=2)
        )


if __name__ == "__main__":
    main()
