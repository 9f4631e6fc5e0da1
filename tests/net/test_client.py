"""The guarded HTTP client plugins use: a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from surveyor import DeliveryError
from surveyor.net.client import GuardedClient
from surveyor.net.guard import UnsafeTarget
from tests.delivery.servers import http_server


async def test_it_posts_to_the_checked_address_with_the_name_as_host() -> None:
    client = GuardedClient(allow_private=True, user_agent="chat-plugin/1")
    try:
        with http_server() as (receiver, port):
            receiver.body = b"thanks"
            answer = await client.post(
                f"http://localhost:{port}/in?x=1",
                content=b'{"text": "hi"}',
                headers={"Content-Type": "application/json"},
            )
    finally:
        await client.aclose()
    assert (answer.status, answer.body, answer.truncated) == (200, b"thanks", False)
    [(path, headers, body)] = receiver.requests
    assert path == "/in?x=1" and body == b'{"text": "hi"}'
    assert headers["Host"] == f"localhost:{port}"
    assert headers["User-Agent"] == "chat-plugin/1"


async def test_loopback_is_refused_without_connecting_unless_allowed() -> None:
    client = GuardedClient()
    try:
        with http_server() as (receiver, port):
            for host in ("127.0.0.1", "2130706433", "[::ffff:127.0.0.1]", "localhost"):
                with pytest.raises(UnsafeTarget) as caught:
                    await client.post(f"http://{host}:{port}/", content=b"x")
                assert caught.value.permanent
    finally:
        await client.aclose()
    assert receiver.requests == []


async def test_metadata_is_refused_even_when_private_is_allowed() -> None:
    client = GuardedClient(allow_private=True)
    try:
        for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"):
            with pytest.raises(UnsafeTarget, match="even with"):
                await client.get(url)
    finally:
        await client.aclose()


async def test_a_redirect_is_returned_not_followed() -> None:
    client = GuardedClient(allow_private=True)
    try:
        with http_server() as (receiver, port):
            receiver.statuses = [302]
            receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
            answer = await client.post(f"http://127.0.0.1:{port}/", content=b"x")
    finally:
        await client.aclose()
    assert answer.status == 302
    assert answer.headers["location"].startswith("http://169.254.169.254")
    assert len(receiver.requests) == 1


async def test_a_huge_answer_is_cut_at_the_cap() -> None:
    client = GuardedClient(allow_private=True, max_response_bytes=1024)
    try:
        with http_server() as (receiver, port):
            receiver.body = b"x" * (2 * 1024 * 1024)
            answer = await client.post(f"http://127.0.0.1:{port}/", content=b"x")
    finally:
        await client.aclose()
    assert answer.status == 200 and answer.truncated
    assert len(answer.body) == 1024


async def test_a_server_that_does_not_answer_in_time_is_a_retryable_error() -> None:
    with socket.socket() as listener:  # accepts (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        client = GuardedClient(allow_private=True, timeout=0.2)
        try:
            with pytest.raises(DeliveryError) as caught:
                await client.post(f"http://127.0.0.1:{port}/", content=b"x")
        finally:
            await client.aclose()
    assert not caught.value.permanent
    assert "in time" in caught.value.message


async def test_a_refused_connection_is_a_retryable_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: the connection is refused
        client = GuardedClient(allow_private=True)
        try:
            with pytest.raises(DeliveryError) as caught:
                await client.get(f"http://127.0.0.1:{port}/")
        finally:
            await client.aclose()
    assert not caught.value.permanent and not isinstance(caught.value, UnsafeTarget)
