"""Reply templates render in the sandbox: placeholders, unknown ones named, nothing else."""

from __future__ import annotations

import pytest

from surveyor.followups.replies import (
    SAMPLE,
    ReplyContact,
    ReplyContext,
    ReplyError,
    check_template,
    render_reply,
)

CONTEXT = ReplyContext(
    contact=ReplyContact(
        name="Zoe Park", first_name="Zoe", email="zoe@example.com", attributes={"tier": "gold"}
    ),
    survey="Delivery NPS",
    score="2",
)


def test_placeholders_are_filled_in() -> None:
    reply = render_reply(
        "Your {{ survey }} answer",
        "Hello {{ contact.first_name }},\nyou gave us {{ score }} ({{ contact.attributes.tier }}"
        "{{ contact.attributes.missing }}).{% if score %} Sorry.{% endif %}",
        CONTEXT,
    )
    assert reply.subject == "Your Delivery NPS answer"
    assert reply.body == "Hello Zoe,\nyou gave us 2 (gold). Sorry."


@pytest.mark.parametrize(
    ("subject", "body", "field", "words"),
    [
        ("Hi {{ nickname }}", "x", "subject", "{{ nickname }}"),
        ("Hi", "Dear {{ contact.nickname }}", "body", "{{ nickname }}"),
        ("Hi", "{% if mood %}x{% endif %}", "body", "{{ mood }}"),
        ("Hi", "{% for i in range(9) %}x{% endfor %}", "body", "only placeholders"),
        ("Hi", "{{ contact.__class__ }}", "body", "{{ __class__ }}"),
        ("Hi", "{{ survey|attr('x') }}", "body", "filter 'attr'"),
        ("Hi", "{{ oops", "body", "line 1"),
        ("Hi", "x" * 20_001, "body", "at most 20000"),
        ("", "x", "subject", "write a subject"),
    ],
)
def test_bad_templates_name_the_field(subject: str, body: str, field: str, words: str) -> None:
    with pytest.raises(ReplyError) as caught:
        render_reply(subject, body, CONTEXT)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_a_template_is_checked_with_the_sample_case() -> None:
    check_template("Apology", "Sorry, {{ contact.first_name }}", "{{ agent.name }}")
    with pytest.raises(ReplyError, match=r"^name: "):
        check_template(" ", "s", "b")
    with pytest.raises(ReplyError, match=r"^body: unknown placeholder \{\{ oops \}\}"):
        check_template("T", "s", "{{ oops }}")
    assert SAMPLE.contact.first_name == "Ada"
