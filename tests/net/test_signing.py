"""Standard Webhooks signatures: the specification's reference vector."""

from __future__ import annotations

import pytest

from surveyor.net.signing import SignatureError, sign, verify


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
