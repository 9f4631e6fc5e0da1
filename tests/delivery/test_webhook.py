"""Webhooks: a real HTTP server receives a signed POST and verifies it; SSRF targets are
refused in every encoding (unless allowed); redirects are not followed."""

from __future__ import annotations

import ipaddress

import msgspec
import pytest
from surveyor_webhook.channel import WebhookChannel, outcome

from surveyor import DeliveryError, Message
from surveyor.delivery.signing import SignatureError, new_secret, sign, verify
from surveyor.delivery.ssrf import UnsafeTarget, check_url, forbidden_reason
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


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://localhost/",
    "http://LOCALHOST/",
    "http://0/",
    "http://[::]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://224.0.0.1/",
    "http://100.64.0.1/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "https://user:pw@127.0.0.1:8443/x",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
async def test_private_targets_are_refused_in_every_spelling(url: str) -> None:
    with pytest.raises(UnsafeTarget) as caught:
        await check_url(url)
    # Refused for good; octal spellings are already rejected by the URL parser itself.
    assert caught.value.permanent
    assert "ALLOW_PRIVATE_WEBHOOKS" in caught.value.message or "invalid URL" in caught.value.message


async def test_hostnames_resolving_to_private_addresses_are_refused() -> None:
    answers = {
        "evil.example": ["10.0.0.5"],
        "mixed.example": ["93.184.216.34", "127.0.0.1"],
        "good.example": ["93.184.216.34", "2606:2800:220:1::1"],
    }

    async def resolver(host: str, port: int) -> list[str]:
        return answers[host]

    for host in ("evil.example", "mixed.example"):
        with pytest.raises(UnsafeTarget):
            await check_url(f"https://{host}/hook", resolver=resolver)
    target = await check_url("https://good.example/hook", resolver=resolver)
    assert (target.ip, target.host, target.port) == ("93.184.216.34", "good.example", 443)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///"]
)
async def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        await check_url(url, allow_private=True)


async def test_allow_private_webhooks_lets_loopback_through() -> None:
    for url in ("http://127.1:9/", "http://[::1]:9/", "http://localhost:9/"):
        target = await check_url(url, allow_private=True)
        assert ipaddress.ip_address(target.ip).is_loopback


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
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("169.254.1.1", True),
        ("0.0.0.0", True),  # noqa: S104 - an address under test, not a bind
        ("255.255.255.255", True),
        ("192.0.2.1", True),  # documentation range
        ("239.1.1.1", True),
        ("ff02::1", True),
    ],
)
def test_forbidden_reason_table(address: str, refused: bool) -> None:
    assert (forbidden_reason(ipaddress.ip_address(address)) is not None) is refused


def test_the_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # From the Standard Webhooks specification's test vectors.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": f"v1,bm9ldHU= {expected}",
    }
    verify(secret, headers, body, now=1614265330 + 10)
    with pytest.raises(SignatureError, match="too old"):
        verify(secret, headers, body, now=1614265330 + 3600)


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
