"""The webhook channel: a real HTTP server receives a signed POST and verifies it; loopback
is refused without connecting; redirects are not followed (the guard: tests/net)."""

from __future__ import annotations

import msgspec
import pytest
from surveyor_webhook.channel import WebhookChannel, outcome

from surveyor import DeliveryError, Message
from surveyor.net.signing import SignatureError, new_secret, verify
from tests.delivery.servers import http_server

SECRET = new_secret()


def webhook(url: str, **overrides) -> Message:
    values = {
        "kind": "event",
        "id": "msg_2Lm3",
        "recipient": url,
        "secret": SECRET,
        "payload": {"type": "response.completed", "data": {"nps": 9, "name": "Zoë"}},
    }
    return Message(**{**values, **overrides})


def channel(allow_private: bool) -> WebhookChannel:
    made = WebhookChannel()
    made.allow_private = allow_private
    return made


async def test_the_receiver_verifies_the_standard_webhooks_signature() -> None:
    with http_server() as (receiver, port):
        sender = channel(allow_private=True)
        try:
            await sender.send(webhook(f"http://127.0.0.1:{port}/hooks?x=1"))
        finally:
            await sender.close()
    [(path, headers, body)] = receiver.requests
    assert path == "/hooks?x=1"
    verify(SECRET, headers, body)  # raises unless genuine
    assert headers["webhook-id"] == "msg_2Lm3"
    assert headers["Content-Type"] == "application/json"
    assert msgspec.json.decode(body) == {
        "type": "response.completed",
        "data": {"nps": 9, "name": "Zoë"},
    }
    with pytest.raises(SignatureError):
        verify(SECRET, headers, body + b" ")
    with pytest.raises(SignatureError):
        verify(new_secret(), headers, body)


async def test_a_redirect_is_not_followed_and_fails_for_good() -> None:
    with http_server() as (receiver, port):
        receiver.statuses = [302]
        receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
        sender = channel(allow_private=True)
        try:
            with pytest.raises(DeliveryError) as caught:
                await sender.send(webhook(f"http://127.0.0.1:{port}/"))
        finally:
            await sender.close()
    assert caught.value.permanent and "redirect" in caught.value.message
    assert len(receiver.requests) == 1


async def test_a_5xx_is_retried_and_a_huge_answer_is_cut_short() -> None:
    with http_server() as (receiver, port):
        receiver.statuses = [503, 200]
        receiver.body = b"x" * (2 * 1024 * 1024)
        sender = channel(allow_private=True)
        try:
            with pytest.raises(DeliveryError) as caught:
                await sender.send(webhook(f"http://127.0.0.1:{port}/"))
            assert not caught.value.permanent and caught.value.message.startswith("HTTP 503")
            await sender.send(webhook(f"http://127.0.0.1:{port}/"))  # 200, 2 MiB not read
        finally:
            await sender.close()
    # The retry carries the same webhook-id, so the receiver can drop a repeat.
    assert [h["webhook-id"] for _, h, _ in receiver.requests] == ["msg_2Lm3", "msg_2Lm3"]


async def test_the_channel_refuses_loopback_without_connecting() -> None:
    with http_server() as (receiver, port):
        sender = channel(allow_private=False)
        try:
            for host in ("127.0.0.1", "127.1", "2130706433", "[::ffff:127.0.0.1]", "localhost"):
                with pytest.raises(DeliveryError) as caught:
                    await sender.send(webhook(f"http://{host}:{port}/"))
                assert caught.value.permanent
        finally:
            await sender.close()
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, None),
        (204, None),
        (301, True),
        (400, True),
        (404, True),
        (410, True),
        (408, False),
        (429, False),
        (500, False),
        (503, False),
    ],
)
def test_http_status_outcomes(status: int, result: bool | None) -> None:
    error = outcome(status, "")
    assert (error is None) if result is None else (error is not None and error.permanent is result)


async def test_the_connection_goes_to_the_checked_address_with_the_name_as_host() -> None:
    with http_server() as (receiver, port):
        sender = channel(allow_private=True)
        try:
            await sender.send(webhook(f"http://localhost:{port}/in"))
        finally:
            await sender.close()
    [(path, headers, _)] = receiver.requests
    assert path == "/in" and headers["Host"] == f"localhost:{port}"
