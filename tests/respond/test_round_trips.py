"""The customer's path in statements and requests (issue 17): every statement the GET and
each answer POST send to the database is counted, so a change that reads a row twice or
writes what did not change fails here. With JavaScript (htmx) the optional questions left
on the path come on one page; without it the path stays one question per page; a page
left before it is sent keeps what was filled in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from surveyor.db import Tx
from surveyor.respond import flow
from surveyor.surveys.models import SurveyDefinition
from tests.conftest import app_services, in_app, login, make_user
from tests.respond.helpers import count, invite, nps_definition, published, step_of

HX = {"HX-Request": "true"}


class Counter:
    """Wraps the app's database: every read, and every statement inside a write unit."""

    def __init__(self, db: Any) -> None:
        self.statements: list[str] = []
        self.units = 0
        self._depth = 0
        for name in ("fetch_one", "fetch_all", "fetch_val"):
            setattr(db, name, self._counted(getattr(db, name)))
        write = db.write

        async def counted_write(unit: Callable[[Tx], Awaitable[Any]]) -> Any:
            self.units += 1
            return await write(lambda tx: unit(_CountingTx(tx, self)))

        db.write = counted_write

    def _counted(self, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counted(sql: str, *args: Any) -> Any:
            # fetch_one may call fetch_all on the same object: count the outer call only.
            if self._depth == 0:
                self.statements.append(sql)
            self._depth += 1
            try:
                return await call(sql, *args)
            finally:
                self._depth -= 1

        return counted

    def take(self) -> tuple[int, list[str]]:
        units, statements = self.units, self.statements
        self.units, self.statements = 0, []
        return units, statements


class _CountingTx:
    def __init__(self, tx: Tx, counter: Counter) -> None:
        self._tx = tx
        self.backend = tx.backend
        self._counter = counter

    def __getattr__(self, name: str) -> Any:
        return self._counter._counted(getattr(self._tx, name))


def first_words(statements: list[str]) -> list[str]:
    return [" ".join(sql.split()[:3]) for sql in statements]


async def new_link(client: Any) -> str:
    return (await new_links(client, 1))[0]


async def new_links(client: Any, n: int) -> list[str]:
    """``n`` personal links to one published NPS survey."""
    db = app_services(client).db
    version = await in_app(client, published, db)
    tokens = []
    for i in range(n):
        token, _ = await in_app(client, lambda i=i: invite(db, version, external_id=f"c-{i}"))
        tokens.append(token)
    return tokens


async def test_each_request_of_the_customer_path_costs_a_fixed_number_of_statements(
    client, backend
) -> None:
    # The version cache and the sweep job are per process: the first link warms them.
    warm, token = await new_links(client, 2)
    await client.post(f"/s/{warm}", data={"step": "score", "q_score": "9"}, headers=HX)
    counter = Counter(app_services(client).db)
    sqlite = backend == "sqlite"

    page = await client.get(f"/s/{token}")
    assert page.status_code == 200
    units, statements = counter.take()
    # Invitation, response and its answers, contact and the survey's current version: one query.
    assert (units, len(statements)) == (0, 1), statements

    page = await client.post(f"/s/{token}", data={"step": "score", "q_score": "9"}, headers=HX)
    assert step_of(page.text) == "right,topics"
    units, statements = counter.take()
    # One unit: read the link, insert the response and its answer, mark the link opened.
    assert units == 1
    assert first_words(statements) == [
        "SELECT i.id AS",
        "INSERT INTO responses",
        "INSERT INTO answers",
        "UPDATE invitations SET",
    ]

    page = await client.post(
        f"/s/{token}",
        data={"step": "right,topics", "q_right": "Fast", "q_topics": ["price", "ease"]},
        headers=HX,
    )
    assert "Thank you for your feedback!" in page.text
    units, statements = counter.take()
    assert units == 1
    words = first_words(statements)
    # The link with its answers so far (one query), the new answers, the completion. On
    # PostgreSQL the response row is locked first (another transaction may have changed
    # it; unchanged, what the link query read is trusted).
    expected = ["SELECT i.id AS"]
    if not sqlite:
        expected += ["SELECT status, current_step,"]
    expected += ["INSERT INTO answers", "UPDATE responses SET", "UPDATE invitations SET"]
    assert words[: len(expected)] == expected, words
    # Then the completion's listeners (domain event job, search index, follow-up rules,
    # webhooks, plugins): none of them reads the response, its answers or the link again.
    rest = statements[len(expected) :]
    assert not [sql for sql in rest if "FROM invitations" in sql or "FROM answers" in sql], rest
    assert len(rest) <= 8, first_words(rest)


async def test_a_middle_step_writes_only_what_changed(client, backend) -> None:
    token = await new_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "3"})
    counter = Counter(app_services(client).db)
    page = await client.get(f"/s/{token}")  # no JavaScript: one question per page
    assert step_of(page.text) == "improve"
    assert len(counter.take()[1]) == 1  # the link with the answers so far: one query
    await client.post(
        f"/s/{token}", data={"step": "improve", "q_improve": "Faster"}, follow_redirects=False
    )
    units, statements = counter.take()
    assert units == 1
    # Not the invitation again (already opened), not the sweep job (queued once); on
    # PostgreSQL the response row is locked and found unchanged since the link query.
    lock = [] if backend == "sqlite" else ["SELECT status, current_step,"]
    assert first_words(statements) == [
        "SELECT i.id AS",
        *lock,
        "INSERT INTO answers",
        "UPDATE responses SET",
    ]


async def test_a_signed_in_staff_member_opening_a_link_loads_no_session(client) -> None:
    user = await make_user(client, "designer")
    await login(client, user)
    warm, token = await new_links(client, 2)
    await client.get(f"/s/{warm}")
    counter = Counter(app_services(client).db)
    await client.get(f"/s/{token}")
    assert first_words(counter.take()[1]) == ["SELECT i.id AS"]


async def test_without_javascript_the_path_stays_one_question_per_page(client) -> None:
    token = await new_link(client)
    answered = await client.post(
        f"/s/{token}", data={"step": "score", "q_score": "10"}, follow_redirects=False
    )
    assert answered.status_code == 303
    page = await client.get(f"/s/{token}")
    assert step_of(page.text) == "right"
    assert "Question 2 of 3" in page.text
    page = await client.post(f"/s/{token}", data={"step": "right", "q_right": "All"})
    assert step_of(page.text) == "topics"
    page = await client.post(f"/s/{token}", data={"step": "topics", "q_topics": "ease"})
    assert "Thank you for your feedback!" in page.text


async def test_with_javascript_the_optional_questions_left_come_on_one_page(client) -> None:
    token = await new_link(client)
    page = await client.post(f"/s/{token}", data={"step": "score", "q_score": "4"}, headers=HX)
    assert step_of(page.text) == "improve,topics"
    assert "What could we do better?" in page.text and "Which of these mattered" in page.text
    assert ">Send<" in page.text
    # Sent with nothing filled in: both skipped, the response completes.
    done = await client.post(f"/s/{token}", data={"step": "improve,topics"}, headers=HX)
    assert "sorry we fell short" in done.text
    db = app_services(client).db
    assert await in_app(client, count, db, "SELECT COUNT(*) FROM answers", ()) == 1


async def test_a_page_left_before_it_is_sent_keeps_what_was_filled_in(client) -> None:
    token = await new_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "8"}, headers=HX)
    # respond.js sends the filled-in fields as the customer leaves the page.
    left = await client.post(
        f"/s/{token}",
        data={"step": "higher,topics", "q_higher": "Cheaper", "partial": "1"},
    )
    assert left.status_code == 204
    db = app_services(client).db
    partial = "SELECT COUNT(*) FROM responses WHERE status = 'partial' AND current_step = 'higher'"
    assert await in_app(client, count, db, partial, ()) == 1
    page = await client.get(f"/s/{token}")  # reopening the link: that page's first question
    assert step_of(page.text) == "higher" and "Cheaper" in page.text
    done = await client.post(
        f"/s/{token}",
        data={"step": "higher,topics", "q_higher": "Cheaper", "q_topics": "price"},
        headers=HX,
    )
    assert "Thank you for your feedback!" in done.text
    saved = "SELECT COUNT(*) FROM answers WHERE question_id IN ('score', 'higher', 'topics')"
    assert await in_app(client, count, db, saved, ()) == 3


def test_a_question_whose_condition_looks_at_the_page_is_not_put_on_it() -> None:
    raw = msgspec.to_builtins(nps_definition())
    raw["questions"].append(
        {
            "id": "why_topics",
            "kind": "text",
            "text": {"en": "Why those?"},
            "condition": {"match": "all", "rules": [{"question": "topics", "op": "answered"}]},
        }
    )
    raw["questions"].append({"id": "last", "kind": "text", "text": {"en": "Anything else?"}})
    definition = msgspec.convert(raw, SurveyDefinition)
    step = flow.first_step(definition, {"score": 9}, "right")
    assert step is not None
    # "why_topics" could appear with the answer to "topics": it ends the page.
    together = flow.optional_together(definition, {"score": 9}, step)
    assert [q.id for q in together.questions] == ["right", "topics"]
    # why_topics is hidden now, but an answer to "topics" could still show it: the progress
    # label counts every question this respondent may yet see ("of up to 5").
    assert (together.position, together.total) == (2, 5)
    # A required question (the score) keeps its own page.
    first = flow.first_step(definition, {}, "")
    assert first is not None and flow.optional_together(definition, {}, first) == first
