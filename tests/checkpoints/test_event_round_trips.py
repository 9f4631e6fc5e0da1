"""``POST /api/v1/events`` in statements (issue 17): every statement an event sends to the
database is counted on both backends, so a change that reads a row twice, looks up what
the INSERT can find itself, or writes what did not change fails here."""

from __future__ import annotations

import msgspec
import pytest

from surveyor.surveys import store as survey_store
from surveyor.surveys.models import SurveyDefinition
from tests.checkpoints.test_checkpoints_api import CHECKPOINT, NPS_DEFINITION
from tests.checkpoints.test_events_api import counts, query, setup
from tests.conftest import api_key, app_services, in_app
from tests.respond.test_round_trips import Counter, first_words


@pytest.fixture
def settings(make_settings):
    # The API rate limit is counted in a unit of its own on PostgreSQL (surveyor.ops.ratelimit),
    # not the event's; the benchmark runs without it too.
    return make_settings(api_rate_limit=0)


def scheduled(backend: str) -> list[str]:
    """The statements that schedule an invitation for a new contact. On PostgreSQL the
    invitation's INSERT finds the survey's newest version itself (one round trip less);
    SQLite has no round trip to save and reads it apart (RETURNING costs it more)."""
    version = [] if backend == "postgresql" else ["SELECT id FROM"]
    return ["INSERT INTO contacts", *version, "INSERT INTO invitations", "INSERT INTO jobs"]


def event(contact_id: str, **contact: str) -> dict:
    return {
        "checkpoint": "order_delivered",
        "contact": {"id": contact_id, "email": f"{contact_id}@example.com", **contact},
        "properties": {"order_id": "A-1"},
    }


async def warmed(client) -> tuple[dict, Counter]:
    """An events key, the API key and checkpoint caches warm, and a counter on the app's
    database."""
    key = await setup(client)
    warm = await client.post("/api/v1/events", json=event("warm"), headers=key)
    assert warm.status_code == 202, warm.text
    return key, Counter(app_services(client).db)


async def test_an_event_for_a_new_contact_is_one_unit_of_four_inserts(client, backend) -> None:
    key, counter = await warmed(client)
    answer = await client.post("/api/v1/events", json=event("c-1", name="Ana"), headers=key)
    assert answer.json()["decision"] == "scheduled"
    units, statements = counter.take()
    # The contact, the invitation, its send job, the event: nothing read back, nothing
    # updated after its insert.
    expected = [*scheduled(backend), "INSERT INTO events"]
    assert (units, first_words(statements)) == (1, expected), statements
    assert await counts(client) == (2, 2, 2)
    stored = await query(
        client,
        "SELECT c.name, c.email, i.survey_version_id, v.number FROM contacts c"
        " JOIN invitations i ON i.contact_id = c.id"
        " JOIN survey_versions v ON v.id = i.survey_version_id WHERE c.external_id = 'c-1'",
    )
    assert (stored["name"], stored["email"], stored["number"]) == ("Ana", "c-1@example.com", 1)
    invitation = answer.json()["invitations"][0]
    assert invitation["survey_version_id"] == stored["survey_version_id"]


async def test_an_event_for_a_known_contact_reads_it_once_and_its_history_with_the_version(
    client,
) -> None:
    key, counter = await warmed(client)
    second = await client.post("/api/v1/events", json=event("warm"), headers=key)
    assert second.json()["reason"].startswith("global_cap")
    units, statements = counter.take()
    # Unchanged: not updated. Invited lately: suppressed, so no invitation and no job.
    assert (units, first_words(statements)) == (
        1,
        [
            "INSERT INTO contacts",
            "SELECT id, external_id,",
            "SELECT max(created_at) AS",
            "INSERT INTO events",
        ],
    )


async def test_an_event_with_an_idempotency_key_looks_it_up_first_and_replays_without_writing(
    client, backend
) -> None:
    key, counter = await warmed(client)
    body = {**event("c-2"), "idempotency_key": "k-1"}
    first = await client.post("/api/v1/events", json=body, headers=key)
    assert first_words(counter.take()[1]) == [
        "SELECT request_hash, response",
        *scheduled(backend),
        "INSERT INTO events",
    ]
    again = await client.post("/api/v1/events", json=body, headers=key)
    assert again.json() == first.json()
    assert first_words(counter.take()[1]) == ["SELECT request_hash, response"]


async def test_a_suppressed_event_for_a_new_contact_still_asks_whether_the_survey_is_published(
    client,
) -> None:
    key, counter = await warmed(client)
    answer = await client.post(
        "/api/v1/events",
        json={"checkpoint": "order_delivered", "contact": {"id": "no-address"}},
        headers=key,
    )
    assert answer.json()["reason"].startswith("no_address")
    assert first_words(counter.take()[1]) == [
        "INSERT INTO contacts",
        "SELECT id FROM",
        "INSERT INTO events",
    ]


async def test_a_survey_without_a_published_version_suppresses_and_stores_no_invitation(
    client,
) -> None:
    admin = await api_key(client, "admin")
    svc = app_services(client)
    definition = msgspec.convert(NPS_DEFINITION, SurveyDefinition)
    draft = await in_app(
        client, lambda: survey_store.create_survey(svc.db, name="Draft", definition=definition)
    )
    body = {**CHECKPOINT, "survey_id": draft.id, "channels": ["email"]}
    assert (await client.post("/api/v1/checkpoints", json=body, headers=admin)).status_code == 201
    key = await api_key(client, "events:write")
    for contact in ("new-1", "new-1"):  # a new contact, then the same one known
        answer = await client.post("/api/v1/events", json=event(contact), headers=key)
        assert answer.status_code == 202
        assert answer.json()["reason"].startswith("no_survey"), answer.json()
        assert answer.json()["invitations"] == []
    assert await counts(client) == (2, 0, 0)


async def test_the_newest_version_is_used_as_soon_as_it_is_published(client) -> None:
    key = await setup(client)
    survey_id = await query(client, "SELECT survey_id FROM checkpoints")
    first = await client.post("/api/v1/events", json=event("v-1"), headers=key)
    svc = app_services(client)
    changed = {**NPS_DEFINITION, "endings": [{"id": "thanks", "text": {"en": "Thanks!"}}]}
    definition = msgspec.convert(changed, SurveyDefinition)
    await in_app(client, lambda: survey_store.publish(svc.db, survey_id, definition))
    second = await client.post("/api/v1/events", json=event("v-2"), headers=key)
    numbers = await query(
        client,
        "SELECT v.number FROM invitations i JOIN survey_versions v ON v.id = i.survey_version_id"
        " WHERE i.id IN (?, ?) ORDER BY v.number",
        first.json()["invitations"][0]["id"],
        second.json()["invitations"][0]["id"],
    )
    assert [row["number"] for row in numbers] == [1, 2]
