"""The email worker at speed (issue 17), against a real SMTP server (aiosmtpd): many
messages over a few kept-alive connections each arrive exactly once, a failure in the
middle of a batch retries only its own message, a connection the server dropped is
replaced without failing the message, and the bytes written directly parse as the same
message ``email.message`` builds (headers, encodings, Chinese subjects and names)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from surveyor_email import mime

from surveyor import Message
from surveyor.delivery import store
from surveyor.delivery.channels import channels
from surveyor.delivery.worker import Worker
from surveyor.ids import parse_iso, utcnow
from tests.delivery.helpers import Clock
from tests.delivery.test_email import NPS, invitation, mail_services, send_one, sqlite_only

__all__ = ["mail_services", "sqlite_only"]  # fixtures used here


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


async def enqueue(svc, count: int) -> list[str]:
    return [
        await send_one(svc, invitation(id=f"batch-{i}", recipient=f"p{i}@example.com"))
        for i in range(count)
    ]


async def test_a_batch_over_kept_alive_connections_delivers_each_message_once(
    mail_services,
) -> None:
    svc, sink = mail_services
    job_ids = await enqueue(svc, 40)
    assert await Worker(svc, concurrency=16).run_until_idle() == 40
    received = sorted(parse(e.content)["Message-ID"] for e in sink.messages)
    assert received == sorted(f"<batch-{i}@acme.example>" for i in range(40))
    assert sorted(e.rcpt_tos[0] for e in sink.messages) == sorted(
        f"p{i}@example.com" for i in range(40)
    )
    for job_id in job_ids:
        assert (await store.get_job(svc.db, job_id)).status == "done"
        assert [a.outcome for a in await store.list_attempts(svc.db, job_id)] == ["ok"]
    # Connections were kept and reused, not opened per message.
    assert len(sink.connections) <= 8


async def test_a_failure_in_the_middle_of_a_batch_retries_only_that_message(
    mail_services,
) -> None:
    svc, sink = mail_services
    sink.refuse_once = {
        "p3@example.com": "451 4.3.0 Try again later",
        "p7@example.com": "452 4.2.2 Mailbox full",
    }
    job_ids = await enqueue(svc, 10)
    clock = Clock(utcnow())
    worker = Worker(svc, concurrency=10, clock=clock)
    assert await worker.run_until_idle() == 10
    statuses = {i: (await store.get_job(svc.db, job_id)).status for i, job_id in enumerate(job_ids)}
    assert {i for i, status in statuses.items() if status == "queued"} == {3, 7}
    assert {i for i, status in statuses.items() if status == "done"} == set(range(10)) - {3, 7}
    assert len(sink.messages) == 8

    retry_at = max([parse_iso((await store.get_job(svc.db, job_ids[i])).run_at) for i in (3, 7)])
    clock.now = retry_at + timedelta(seconds=1)
    assert await worker.run_until_idle() == 2
    assert sorted(e.rcpt_tos[0] for e in sink.messages) == sorted(
        f"p{i}@example.com" for i in range(10)
    )
    for i, job_id in enumerate(job_ids):
        outcomes = [a.outcome for a in await store.list_attempts(svc.db, job_id)]
        assert outcomes == (["retry", "ok"] if i in (3, 7) else ["ok"])


async def test_a_connection_the_server_dropped_is_replaced_without_failing_the_message(
    mail_services,
) -> None:
    svc, sink = mail_services
    first = await send_one(svc, invitation(id="before"))
    assert await Worker(svc, concurrency=1).run_until_idle() == 1
    assert sink.drop_connections() == 1  # the kept-alive connection is closed under us

    second = await send_one(svc, invitation(id="after", recipient="ana@example.com"))
    assert await Worker(svc, concurrency=1).run_until_idle() == 1
    for job_id in (first, second):
        assert (await store.get_job(svc.db, job_id)).status == "done"
        assert [a.outcome for a in await store.list_attempts(svc.db, job_id)] == ["ok"]
    assert [e.rcpt_tos for e in sink.messages] == [["zoe@example.com"], ["ana@example.com"]]
    assert len(sink.connections) == 2


def reference(channel, message: Message) -> bytes:
    """The message as the channel built it before issue 17, with ``email.message``."""
    subject, text, html = channel.render(message)
    config = channel.pool.config
    msg = EmailMessage()
    msg["From"] = Address(config.from_name, addr_spec=config.from_addr)
    msg["To"] = Address(
        mime_name(message.recipient_name), *message.recipient.strip().rsplit("@", 1)
    )
    msg["Subject"] = subject
    if message.reply_to:
        msg["Reply-To"] = Address("", *message.reply_to.rsplit("@", 1))
    msg["Message-ID"] = f"<{message.id}@{config.from_addr.rpartition('@')[2]}>"
    msg["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in message.headers.items():
        del msg[name]
        msg[name] = value
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    # What smtplib.send_message put on the wire: flattened, then every line end CRLF.
    return re.sub(rb"\r\n|\n|\r", b"\r\n", msg.as_bytes())


def text_of(mail: email.message.EmailMessage, kind: str) -> list[str]:
    return mail.get_body((kind,)).get_content().splitlines()


def mime_name(name: str) -> str:
    from surveyor_email.channel import display_name

    return display_name(name)


@pytest.mark.parametrize(
    ("locale", "name", "subject", "headers"),
    [
        ("en", "Zoë Müller", "", {}),
        ("zh_Hans", "张三", "", {}),
        (
            "zh_Hans",
            "王小明 Wang",
            "您好：请告诉我们您对 Acme 的看法，这个主题很长很长很长很长",
            {},
        ),
        ("en", 'Ana "The Boss" de la Cruz, Jr.', "Quick question", {"X-Campaign": "spring 2026"}),
        ("en", "", "A" * 120 + " b", {"X-Note": "données personnelles"}),
    ],
)
async def test_the_bytes_parse_as_the_message_email_message_builds(
    mail_services, locale, name, subject, headers
) -> None:
    svc, sink = mail_services
    message = invitation(
        id="same-1",
        recipient_name=name,
        subject=subject,
        locale=locale,
        reply_to="help@acme.example",
        headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", **headers},
        context={"brand": "Acme 公司", "question": NPS},
    )
    await send_one(svc, message)
    assert await Worker(svc).run_until_idle() == 1
    [envelope] = sink.messages
    got = parse(envelope.content)
    want = parse(reference(channels(svc).get("email"), message))

    for field in ("From", "To", "Reply-To", "Subject", "Message-ID", "List-Unsubscribe"):
        assert str(got[field]) == str(want[field]), field
    assert got["From"].addresses == want["From"].addresses
    assert got["To"].addresses == want["To"].addresses
    assert got.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    for field, value in headers.items():
        assert got.get_all(field) == [value]
    assert got["Date"].datetime is not None
    assert got.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    for kind in ("plain", "html"):
        # Line ends compared as lines: text's canonical form is CRLF, which a decoded
        # quoted-printable part keeps and a decoded base64 part of LF lines does not.
        assert text_of(got, kind) == text_of(want, kind)
        assert got.get_body((kind,)).get_content_charset() == "utf-8"
    assert not got.defects and not any(part.defects for part in got.walk())
    # Every line within SMTP's limit, only ASCII on the wire.
    assert envelope.content.isascii()
    assert max(len(line) for line in envelope.content.splitlines()) <= 998


def test_encoded_words_never_cut_a_character_and_stay_short() -> None:
    for text in ("问" * 100, "é" * 77, "a" * 200 + "中", "🙂" * 30):
        words = mime.encoded_words(text)
        assert all(len(word) <= 75 for word in words)
        assert "".join(str(parse(f"Subject: {w}\r\n\r\n".encode())["Subject"]) for w in words) == (
            text
        )


def test_a_line_break_in_a_header_value_is_refused() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        mime.header("X-Tag", "a\r\nBcc: x@y.example")
