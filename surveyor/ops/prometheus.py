"""``/metrics`` in the Prometheus text format, with ``prometheus-client``.

Two kinds of numbers:

* the product's, read from the database at scrape time (events by decision and reason,
  invitations by status, the outbox, delivery attempts by channel and outcome with a
  latency histogram, dead jobs, the freshest worker heartbeat). They are the same from
  every app process and count every worker, so several processes need no aggregation;
* this process's own: HTTP requests by route and status with their duration, the SQLite
  writer's queue depth and commit group sizes. With several server processes, set
  ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, before start) and the answer adds up
  every process's (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.multiprocess import MultiProcessCollector

from surveyor.ids import now_iso, parse_iso, utcnow
from surveyor.ops import store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROCESS = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "surveyor_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=PROCESS,
)
HTTP_DURATION = Histogram(
    "surveyor_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    registry=PROCESS,
)
WRITER_QUEUE = Gauge(
    "surveyor_writer_queue_depth",
    "Write units waiting for the SQLite writer (0 on PostgreSQL)",
    registry=PROCESS,
    multiprocess_mode="livesum",
)
COMMIT_BATCH = Histogram(
    "surveyor_writer_commit_batch_size",
    "Write units per SQLite group commit",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    registry=PROCESS,
)


def observe_batch(size: int) -> None:
    COMMIT_BATCH.observe(size)


KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)


# The labelled children by (method, route, status): ``labels()`` is a locked dict lookup
# that builds its key tuple on every call. Bounded: the methods are KNOWN_METHODS and
# "other", the routes the app's templates and "unmatched", the statuses those it answers.
_HTTP_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request in ``surveyor_http_requests`` and its duration histogram."""
    # The server passes any method token through: an unknown one is "other", so a client
    # making up methods cannot grow the label sets (and memory) without end.
    if method not in KNOWN_METHODS:
        method = "other"
    children = _HTTP_CHILDREN.get((method, route, status))
    if children is None:
        # The route template, never the path: tokens and ids stay out of the labels.
        children = (
            HTTP_REQUESTS.labels(method, str(route), str(status)),
            HTTP_DURATION.labels(method, str(route)),
        )
        _HTTP_CHILDREN[method, route, status] = children
    children[0].inc()
    children[1].observe(seconds)


def _age_seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return max(0.0, (utcnow() - parse_iso(stamp)).total_seconds())


class _Snapshot:
    """A collector over numbers read (asynchronously) just before ``generate_latest``."""

    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> list[Any]:
        return self.families


def product_families(numbers: dict[str, Any]) -> list[Any]:
    events = CounterMetricFamily(
        "surveyor_events", "Events received, by decision and reason", labels=["decision", "reason"]
    )
    for row in numbers["events"]:
        events.add_metric([row["decision"], row["reason"]], row["n"])
    invitations = GaugeMetricFamily(
        "surveyor_invitations", "Invitations by status", labels=["status"]
    )
    for row in numbers["invitations"]:
        invitations.add_metric([row["status"]], row["n"])
    jobs = {row["status"]: row["n"] for row in numbers["jobs"]}
    depth = GaugeMetricFamily("surveyor_outbox_depth", "Queued outbox jobs")
    depth.add_metric([], jobs.get("queued", 0))
    running = GaugeMetricFamily("surveyor_outbox_running", "Outbox jobs leased by a worker")
    running.add_metric([], jobs.get("running", 0))
    dead = GaugeMetricFamily("surveyor_dead_jobs", "Outbox jobs that failed for good")
    dead.add_metric([], jobs.get("dead", 0))
    oldest = GaugeMetricFamily(
        "surveyor_outbox_oldest_due_age_seconds",
        "How long the oldest due queued job has waited (0 when none is due)",
    )
    oldest.add_metric([], _age_seconds(numbers["oldest_due"]) or 0.0)
    attempts = CounterMetricFamily(
        "surveyor_delivery_attempts",
        "Delivery attempts kept in the log (30 days), by channel, job kind and outcome",
        labels=["channel", "kind", "outcome"],
    )
    latency = HistogramMetricFamily(
        "surveyor_delivery_duration_seconds",
        "Delivery attempt duration, by channel and outcome",
        labels=["channel", "outcome"],
    )
    merged: dict[tuple[str, str], list[float]] = {}
    for row in numbers["attempts"]:
        channel = row["channel"] or row["kind"]
        attempts.add_metric([channel, row["kind"], row["outcome"]], row["n"])
        key = (channel, row["outcome"])
        values = [float(row[f"le_{ms}"] or 0) for ms in store.LATENCY_BUCKETS_MS] + [
            float(row["n"]),
            float(row["total_ms"] or 0) / 1000,
        ]
        merged[key] = [
            a + b for a, b in zip(merged.get(key, [0.0] * len(values)), values, strict=True)
        ]
    for (channel, outcome), values in merged.items():
        *cumulative, count, total = values
        buckets = [
            (str(ms / 1000), value)
            for ms, value in zip(store.LATENCY_BUCKETS_MS, cumulative, strict=True)
        ]
        buckets.append(("+Inf", count))
        latency.add_metric([channel, outcome], buckets, total)
    heartbeat = GaugeMetricFamily(
        "surveyor_worker_heartbeat_age_seconds",
        "Seconds since the freshest delivery-worker heartbeat (-1: no worker ever ran)",
    )
    age = _age_seconds(numbers["worker_beat"])
    heartbeat.add_metric([], -1.0 if age is None else age)
    return [events, invitations, depth, running, dead, oldest, attempts, latency, heartbeat]


async def render(svc: Any) -> bytes:
    queue = getattr(svc.db, "_queue", None)
    WRITER_QUEUE.set(queue.qsize() if queue is not None else 0)
    numbers = await store.product_numbers(svc.db, now_iso())
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(PROCESS)
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(product_families(numbers)))  # type: ignore[arg-type]
    return text + generate_latest(snapshot)
