"""State a server keeps in memory stays bounded whatever clients send (issue 17, soak).

A long-running process must not grow with the variety of its input: every per-process
map keyed by something a client chooses is either bounded or keyed by a small fixed set.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from surveyor.auth.throttle import AddressThrottle
from surveyor.ops.http_stack import http_stack
from surveyor.ops.prometheus import _HTTP_CHILDREN, PROCESS


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 405, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _methods_seen() -> set[str]:
    return {
        sample.labels["method"]
        for metric in PROCESS.collect()
        if metric.name == "surveyor_http_requests"
        for sample in metric.samples
    }


async def test_made_up_http_methods_share_one_metrics_label() -> None:
    settings = SimpleNamespace(api_rate_limit=0, trusted_proxies="", trusted_proxy_list=frozenset())
    middleware = http_stack(_answer, SimpleNamespace(settings=settings))

    async def send(message: Any) -> None:
        return None

    for number in range(50):
        scope = {"type": "http", "method": f"MADEUP{number}", "path": "/x"}
        await middleware(scope, None, send)  # type: ignore[arg-type]
    await middleware({"type": "http", "method": "GET", "path": "/x"}, None, send)  # type: ignore[arg-type]
    seen = _methods_seen()
    assert "other" in seen and "GET" in seen
    assert not any(method.startswith("MADEUP") for method in seen)
    # The labelled children kept for reuse are keyed by the same bounded labels.
    assert not any(method.startswith("MADEUP") for method, _, _ in _HTTP_CHILDREN)


def test_asking_about_an_address_keeps_nothing_for_it() -> None:
    throttle = AddressThrottle(limit=2)
    for number in range(1000):
        assert not throttle.blocked(f"10.0.{number // 256}.{number % 256}")
    assert len(throttle._failures) == 0
    throttle.failed("10.9.9.9")
    throttle.failed("10.9.9.9")
    assert throttle.blocked("10.9.9.9")
    assert not throttle.blocked("10.9.9.8")
    assert len(throttle._failures) == 1


def test_expired_failures_are_forgotten() -> None:
    throttle = AddressThrottle(limit=2)
    throttle.window = -1.0  # every failure is already outside the window
    throttle.failed("10.1.1.1")
    assert not throttle.blocked("10.1.1.1")
    assert len(throttle._failures) == 0
