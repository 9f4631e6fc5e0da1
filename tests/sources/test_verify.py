"""Signature presets against published vectors where the providers publish one, and
against an independent stdlib ``hmac`` computation where they do not."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from surveyor.sources.verify import HmacOptions, VerificationFailed, verify

NOW = 1_700_000_000
BODY = b'{"id":"evt_1","type":"invoice.paid"}'
SECRET = "s3cret-from-the-provider"


def _b64(key: str, content: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), content, hashlib.sha256).digest()).decode()


def _hex(key: str, content: bytes) -> str:
    return hmac.new(key.encode(), content, hashlib.sha256).hexdigest()


def run(preset: str, headers: dict[str, str], body: bytes = BODY, **kw: object) -> str | None:
    return verify(
        preset,
        kw.pop("secret", SECRET),  # type: ignore[arg-type]
        method="POST",
        url=kw.pop("url", "https://surveyor.test/hooks/in/src_1"),  # type: ignore[arg-type]
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        now=kw.pop("now", NOW),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_github_matches_the_published_example() -> None:
    """GitHub's docs ("Validating webhook deliveries", Testing the webhook payload
    validation): secret "It's a Secret to Everybody", payload "Hello, World!"."""
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    headers = {"X-Hub-Signature-256": signature, "X-GitHub-Delivery": "d-1"}
    assert run("github", headers, b"Hello, World!", secret="It's a Secret to Everybody") == "d-1"
    with pytest.raises(VerificationFailed):
        run("github", headers, b"Hello, World?", secret="It's a Secret to Everybody")


def test_standard_webhooks_matches_the_specifications_vector() -> None:
    """The Standard Webhooks reference vector (used by its libraries' test suites)."""
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    found = run(
        "standard",
        headers,
        b'{"test": 2432232314}',
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        now=1614265330,
    )
    assert found == "msg_p5jXN8AQM9LWM0D4loKWxJek"


def test_stripe_accepts_its_scheme_and_refuses_an_old_timestamp() -> None:
    """No published (secret, body, signature) triple found in Stripe's docs: their
    example header has no secret next to it. Computed with stdlib hmac: v1 is hex
    HMAC-SHA256 over f"{t}.{body}" with the whole whsec_ string as key."""
    secret = "whsec_test_secret"
    good = _hex(secret, f"{NOW}.".encode() + BODY)
    header = f"t={NOW},v1=00{good[2:]},v1={good},v0=deadbeef"
    assert run("stripe", {"Stripe-Signature": header}, secret=secret) is None
    with pytest.raises(VerificationFailed, match="tolerance"):
        run("stripe", {"Stripe-Signature": header}, secret=secret, now=NOW + 301)
    with pytest.raises(VerificationFailed, match="no valid v1"):
        run("stripe", {"Stripe-Signature": header}, b'{"id":"evt_2"}', secret=secret)


def test_shopify_is_base64_of_the_body() -> None:
    """No published vector found in Shopify's docs; computed with stdlib hmac."""
    headers = {"X-Shopify-Hmac-Sha256": _b64(SECRET, BODY), "X-Shopify-Webhook-Id": "w-1"}
    assert run("shopify", headers) == "w-1"


def test_zendesk_signs_timestamp_then_body() -> None:
    """Zendesk documents base64(HMACSHA256(TIMESTAMP + BODY)) without a vector;
    computed with stdlib hmac."""
    stamp = "2023-11-14T22:13:20Z"  # NOW
    headers = {
        "X-Zendesk-Webhook-Signature": _b64(SECRET, stamp.encode() + BODY),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Invocation-Id": "inv-1",
    }
    assert run("zendesk", headers) == "inv-1"
    with pytest.raises(VerificationFailed, match="tolerance"):
        run("zendesk", headers, now=NOW + 3600)


def test_hubspot_v3_signs_method_uri_body_and_timestamp() -> None:
    """HubSpot publishes vectors for v1 and v2 only; v3 is computed with stdlib hmac
    as documented: base64(HMAC-SHA256(secret, method + uri + body + timestamp))."""
    url = "https://surveyor.test/hooks/in/src_1"
    stamp = str(NOW * 1000)
    content = b"POST" + url.encode() + BODY + stamp.encode()
    headers = {
        "X-HubSpot-Signature-v3": _b64(SECRET, content),
        "X-HubSpot-Request-Timestamp": stamp,
    }
    assert run("hubspot", headers, url=url) is None
    with pytest.raises(VerificationFailed):
        run("hubspot", headers, url=url + "x")


def test_generic_hmac_with_prefix_timestamp_and_base64() -> None:
    options = HmacOptions(
        header="X-Sig",
        encoding="base64",
        prefix="v1=",
        timestamp_header="X-Time",
        algorithm="sha512",
    )
    digest = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha512).digest()
    headers = {"X-Sig": "v1=" + base64.b64encode(digest).decode(), "X-Time": str(NOW)}
    assert run("hmac", headers, options=options) is None
    with pytest.raises(VerificationFailed):
        run("hmac", {**headers, "X-Time": str(NOW - 1000)}, options=options)


@pytest.mark.parametrize(
    "preset,headers",
    [
        ("github", {}),  # missing
        ("github", {"X-Hub-Signature-256": "sha256=" + _hex(SECRET, BODY)[:-4]}),  # truncated
        ("github", {"X-Hub-Signature-256": "sha256=" + _hex("wrong", BODY)}),  # wrong key
        ("shopify", {"X-Shopify-Hmac-Sha256": _b64(SECRET, b"another body")}),
        ("stripe", {"Stripe-Signature": f"t={NOW}"}),
        ("stripe", {"Stripe-Signature": "garbage"}),
        ("stripe", {"Stripe-Signature": "t=x" * 2000}),
        (
            "zendesk",
            {"X-Zendesk-Webhook-Signature": "x", "X-Zendesk-Webhook-Signature-Timestamp": "no"},
        ),
        ("hubspot", {"X-HubSpot-Signature-v3": "x", "X-HubSpot-Request-Timestamp": "-1"}),
        (
            "standard",
            {"webhook-id": "m", "webhook-timestamp": str(NOW), "webhook-signature": "v1,xx"},
        ),
    ],
)
def test_bad_signatures_are_refused(preset: str, headers: dict[str, str]) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" if preset == "standard" else SECRET
    with pytest.raises(VerificationFailed):
        run(preset, headers, secret=secret)
