"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1): the message as
received, 4xx retried then delivered, 5xx dead at once."""

from __future__ import annotations

import email
import email.policy
import smtplib
from datetime import timedelta

import pytest
from surveyor_email.smtp import failure, parse_email_url

from surveyor import DeliveryError, Message
from surveyor.app import build_services, start_services
from surveyor.delivery import store
from surveyor.delivery.channels import channels
from surveyor.delivery.worker import Worker
from surveyor.ids import parse_iso, utcnow
from tests.delivery.helpers import Clock
from tests.delivery.servers import smtp_server

NPS = {
    "kind": "nps",
    "text": "How likely are you to recommend Acme to a friend?",
    "min": 0,
    "max": 10,
    "min_label": "Not at all likely",
    "max_label": "Extremely likely",
}


def invitation(**overrides) -> Message:
    values = {
        "kind": "invitation",
        "id": "0190-inv-1",
        "recipient": "zoe@example.com",
        "recipient_name": 'Zoë "<script>alert(1)</script>"\r\nBcc: evil@example.com',
        "link": "http://surveyor.test/s/TOKEN123",
        "unsubscribe_url": "http://surveyor.test/u/UNSUB456",
        "context": {"brand": "Acme", "question": NPS},
        # Sent by the invitation job too: must not make the header appear twice.
        "headers": {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }
    return Message(**{**values, **overrides})


@pytest.fixture
def sqlite_only(backend: str) -> None:
    # The channel does not touch the database beyond the outbox, tested on both engines.
    if backend != "sqlite":
        pytest.skip("channel behaviour does not depend on the database engine")


@pytest.fixture
async def mail_services(sqlite_only, make_settings):
    with smtp_server() as (sink, port):
        settings = make_settings(
            email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure",
            email_from="Acme Surveys <surveys@acme.example>",
        )
        svc = build_services(settings)
        await start_services(svc)
        try:
            yield svc, sink
        finally:
            await channels(svc).close()
            await svc.db.close()


async def send_one(svc, message: Message) -> str:
    return await svc.db.write(lambda tx: store.enqueue_message(tx, "email", message))


async def test_the_email_arrives_with_both_parts_and_list_unsubscribe(mail_services) -> None:
    svc, sink = mail_services
    job_id = await send_one(svc, invitation())
    assert await Worker(svc).run_until_idle() == 1
    assert (await store.get_job(svc.db, job_id)).status == "done"

    [envelope] = sink.messages
    assert envelope.mail_from == "surveys@acme.example"
    assert envelope.rcpt_tos == ["zoe@example.com"]
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert mail.get_all("List-Unsubscribe") == ["<http://surveyor.test/u/UNSUB456>"]
    assert mail.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    assert mail["Message-ID"] == "<0190-inv-1@acme.example>"
    assert mail["From"].addresses[0].display_name == "Acme Surveys"
    assert mail["Subject"] == "Acme: one quick question"
    # The CR/LF in the contact's name did not become a header.
    assert mail["Bcc"] is None
    assert mail["To"].addresses[0].addr_spec == "zoe@example.com"

    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert (
        "How likely are you to recommend Acme" in text and "http://surveyor.test/s/TOKEN123" in text
    )
    for score in range(11):
        assert f'href="http://surveyor.test/s/TOKEN123?score={score}"' in html
        assert f"http://surveyor.test/s/TOKEN123?score={score}" in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="http://surveyor.test/u/UNSUB456"' in html


async def test_one_connection_carries_many_messages(mail_services) -> None:
    svc, sink = mail_services
    for i in range(5):
        await send_one(svc, invitation(id=f"m{i}", recipient=f"p{i}@example.com"))
    assert await Worker(svc, concurrency=1).run_until_idle() == 5
    assert sorted(e.rcpt_tos[0] for e in sink.messages) == [f"p{i}@example.com" for i in range(5)]


async def test_a_4xx_reply_is_retried_then_delivered(mail_services) -> None:
    svc, sink = mail_services
    sink.rcpt_replies = ["450 4.2.1 Mailbox busy, try later"]
    job_id = await send_one(svc, invitation())
    clock = Clock(utcnow())
    worker = Worker(svc, clock=clock)
    await worker.run_until_idle()
    job = await store.get_job(svc.db, job_id)
    assert job.status == "queued" and job.last_error.startswith("SMTP 450")
    assert sink.messages == []
    clock.now = parse_iso(job.run_at) + timedelta(seconds=1)
    await worker.run_until_idle()
    job = await store.get_job(svc.db, job_id)
    assert job.status == "done" and len(sink.messages) == 1
    outcomes = [(a.outcome, a.error[:8]) for a in await store.list_attempts(svc.db, job_id)]
    assert outcomes == [("retry", "SMTP 450"), ("ok", "")]


async def test_a_5xx_reply_is_dead_at_once_and_not_retried(mail_services) -> None:
    svc, sink = mail_services
    sink.rcpt_replies = ["550 5.1.1 No such user here"]
    job_id = await send_one(svc, invitation())
    clock = Clock(utcnow())
    worker = Worker(svc, clock=clock)
    await worker.run_until_idle()
    job = await store.get_job(svc.db, job_id)
    assert job.status == "dead" and job.last_error == "SMTP 550 5.1.1 No such user here"
    clock.advance(86400)
    assert await worker.run_until_idle() == 0
    assert sink.rcpt_seen == 1


async def test_an_unreachable_server_is_a_temporary_failure(sqlite_only, make_settings) -> None:
    from tests.delivery.servers import free_port

    svc = build_services(
        make_settings(email_url=f"mailto://127.0.0.1:{free_port()}?from=a@b.example")
    )
    await start_services(svc)
    try:
        with pytest.raises(DeliveryError) as caught:
            await channels(svc).get("email").send(invitation())
        assert not caught.value.permanent and "SMTP server" in caught.value.message
    finally:
        await channels(svc).close()
        await svc.db.close()


async def test_an_operator_template_overrides_the_builtin_one(sqlite_only, tmp_path, make_settings):
    (tmp_path / "tpl" / "email").mkdir(parents=True)
    (tmp_path / "tpl" / "email" / "invitation_subject.txt").write_text("{{ brand }} wants to know")
    svc = build_services(
        make_settings(
            email_url="mailto://127.0.0.1:25?from=a@b.example", templates_dir=str(tmp_path / "tpl")
        )
    )
    subject, text, html = channels(svc).get("email").render(invitation())
    assert subject == "Acme wants to know" and "TOKEN123" in text and "<html" in html


@pytest.mark.parametrize(
    ("exc", "permanent", "starts"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}), True, "SMTP 550"),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (452, b"full")}), False, "SMTP 452"),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "x@y.z"), True, "SMTP 553"),
        (smtplib.SMTPDataError(451, b"local error"), False, "SMTP 451"),
        (smtplib.SMTPDataError(554, b"spam"), True, "SMTP 554"),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False, "SMTP login"),
        (smtplib.SMTPServerDisconnected("gone"), False, "cannot talk"),
        (ConnectionRefusedError(111, "refused"), False, "cannot talk"),
        (TimeoutError(), False, "cannot talk"),
    ],
)
def test_smtp_replies_map_to_permanent_or_temporary(exc, permanent, starts) -> None:
    error = failure(exc, "a@b.c")
    assert error.permanent is permanent and error.message.startswith(starts)


def test_the_email_url_is_read_by_apprise() -> None:
    config = parse_email_url("mailtos://user:pw@smtp.example.com?from=Acme<hi@acme.example>")
    assert (config.host, config.port, config.mode, config.user) == (
        "smtp.example.com",
        587,
        "starttls",
        "user",
    )
    assert (config.from_name, config.from_addr) == ("Acme", "hi@acme.example")
    with pytest.raises(ValueError, match="email_url"):
        parse_email_url("json://example.com")


async def test_a_bad_address_or_header_fails_for_good(mail_services) -> None:
    svc, _ = mail_services
    email_channel = channels(svc).get("email")
    for message in (
        invitation(recipient="not-an-address"),
        invitation(recipient="a@b.example\r\nBcc: x@y.example"),
        invitation(headers={"X-Tag": "a\r\nBcc: x@y.example"}),
        invitation(headers={"From": "spoof@example.com"}),
    ):
        with pytest.raises(DeliveryError) as caught:
            await email_channel.send(message)
        assert caught.value.permanent


@pytest.mark.parametrize(
    "name",
    [
        'Ana "The Boss" de la Cruz-Montenegro y Fernández-Villaverde, Head of <Success> EMEA',
        'a, b <c@d> "e' + "x" * 80,
        "Zoë ‹Ops> " + "long " * 30,
    ],
)
async def test_a_long_name_with_quotes_or_angle_brackets_keeps_one_exact_recipient(
    mail_services, name
) -> None:
    svc, sink = mail_services
    await send_one(svc, invitation(recipient_name=name))
    assert await Worker(svc).run_until_idle() == 1
    [envelope] = sink.messages
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    [recipient] = mail["To"].addresses
    assert recipient.addr_spec == "zoe@example.com"
    shown = recipient.display_name
    assert 0 < len(shown) <= 64 and not set('"<>,@') & set(shown)
    assert shown.split()[0] == name.split()[0].strip(",")
