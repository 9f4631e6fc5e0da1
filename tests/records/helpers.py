"""Real records for the records tests: a contact fired through the events API (with a
pending invitation and its queued job) and completed responses through the respondent
store, with the app's own in-transaction listeners (search index, follow-ups)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveyor.contacts import store as contacts_store
from surveyor.db import Tx
from tests.checkpoints.test_events_api import setup
from tests.conftest import app_services, in_app
from tests.followups.helpers import answer, nps_version

ERIN = {
    "id": "cus_erin",
    "email": "erin.private@example.com",
    "phone": "+15550100777",
    "name": "Erin Quixotic",
    "timezone": "Europe/Berlin",
}
ERIN_COMMENT = "Erin Quixotic here: the parcel came late, call me on +15550100777"
CJK_COMMENT = "配送太慢了，包装也坏了"


async def make_contact(client: AsyncTestClient[Litestar], external_id: str, **fields: Any) -> Any:
    db = app_services(client).db

    async def unit(tx: Tx) -> Any:
        return await contacts_store.upsert_contact(tx, external_id, **fields)

    return await in_app(client, db.write, unit)


async def respond(
    client: AsyncTestClient[Litestar], version: Any, who: Any, score: int, comment: str = ""
) -> Any:
    svc = app_services(client)

    async def work() -> Any:
        return await answer(
            svc,
            version,
            who,
            score,
            comment,
            on_complete=list(svc.tx_listeners.response_completed),
        )

    return await in_app(client, work)


class World:
    """What ``seed`` made: ids to look for, keys to call with."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


async def seed(client: AsyncTestClient[Litestar]) -> World:
    """Erin (fired through the events API: an event, a scheduled invitation, a queued
    job), three of her responses, and Bob, another account's customer, with two."""
    events_key = await setup(client)
    fired = await client.post(
        "/api/v1/events",
        json={
            "checkpoint": "order_delivered",
            "contact": ERIN,
            "properties": {"note": ERIN["name"]},
        },
        headers=events_key,
    )
    assert fired.status_code == 202, fired.text
    svc = app_services(client)
    version = await in_app(client, nps_version, svc.db)
    erin = await in_app(client, contacts_store.get_contact_by_external_id, svc.db, "cus_erin")
    bob = await make_contact(
        client,
        "cus_bob",
        email="bob@example.com",
        name="Bob Builder",
        attributes={"account_manager": "other@example.com", "tier": "gold"},
    )
    responses = {
        "erin_late": await respond(client, version, erin, 2, ERIN_COMMENT),
        "erin_cjk": await respond(client, version, erin, 8, CJK_COMMENT),
        "erin_plain": await respond(client, version, erin, 10),
        "bob_happy": await respond(client, version, bob, 9, "100% happy_customer, great service"),
        "bob_meh": await respond(client, version, bob, 7, 'quotes "like this" OR NEAR(x)'),
    }
    return World(erin=erin, bob=bob, version=version, responses=responses, events_key=events_key)
