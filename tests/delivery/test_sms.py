"""SMS: one message of at most 160 GSM-7 characters (or it says why not), sent through an
Apprise URL template with {phone}; here Apprise's json:// posts to a real local server."""

from __future__ import annotations

import msgspec
import pytest
from surveyor_sms.channel import SmsChannel
from surveyor_sms.gsm import fits_one_sms, sms_length

from surveyor import DeliveryError, Message
from tests.delivery.servers import http_server

LINK = "https://surveys.acme.example/s/AbCdEfGhIjKlMnOpQrStUvWxYz012345"


@pytest.mark.parametrize(
    ("text", "encoding", "length"),
    [
        ("Hello", "gsm7", 5),
        ("Café à 5 €", "gsm7", 11),  # € is in the extension table: two septets
        ("[x]{y}", "gsm7", 10),
        ("Zoë ✓", "ucs2", 5),
        ("😀", "ucs2", 2),  # outside the BMP: a surrogate pair
        ("x" * 160, "gsm7", 160),
    ],
)
def test_sms_length(text: str, encoding: str, length: int) -> None:
    assert sms_length(text) == (encoding, length)


def test_what_fits_one_sms() -> None:
    assert fits_one_sms("x" * 160) == (True, "")
    ok, why = fits_one_sms("x" * 159 + "€")
    assert not ok and "161 GSM-7" in why
    ok, why = fits_one_sms("✓" * 71)
    assert not ok and "UCS-2" in why


def sms(channel: SmsChannel, **overrides) -> Message:
    values = {
        "kind": "invitation",
        "id": "m1",
        "recipient": "+15551234567",
        "link": LINK,
        "context": {"brand": "Acme", "question": {"text": "How likely are you to recommend us?"}},
    }
    return Message(**{**values, **overrides})


def test_the_text_fits_or_falls_back_to_the_short_template() -> None:
    channel = SmsChannel()
    text = channel.render(sms(channel))
    assert text.startswith("Acme: How likely") and text.endswith(LINK) and len(text) <= 160
    long_question = {"text": "Please tell us, in as much detail as you like, " * 3}
    short = channel.render(sms(channel, context={"brand": "Acme", "question": long_question}))
    assert short == f"Acme: how did we do? {LINK}"


def test_a_message_that_cannot_fit_fails_for_good_and_says_why() -> None:
    channel = SmsChannel()
    with pytest.raises(DeliveryError) as caught:
        channel.render(sms(channel, link=LINK + "x" * 150))
    assert caught.value.permanent and "GSM-7 characters" in caught.value.message


async def test_the_sms_goes_out_through_the_apprise_url_template() -> None:
    with http_server() as (receiver, port):
        channel = SmsChannel()
        channel.url_template = f"json://127.0.0.1:{port}/sms/{{phone}}"
        await channel.send(sms(channel))
        receiver.statuses = [500]
        with pytest.raises(DeliveryError) as caught:
            await channel.send(sms(channel))
    assert not caught.value.permanent and "500" in caught.value.message
    path, _, body = receiver.requests[0]
    assert path.startswith("/sms/") and "15551234567" in path
    assert msgspec.json.decode(body)["message"].endswith(LINK)


async def test_a_bad_phone_number_fails_for_good() -> None:
    channel = SmsChannel()
    channel.url_template = "json://127.0.0.1:9/{phone}"
    for phone in ("5551234", "+0123456789", "+1 555 123 4567", "+1555123&x=1"):
        with pytest.raises(DeliveryError) as caught:
            await channel.send(sms(channel, recipient=phone))
        assert caught.value.permanent
