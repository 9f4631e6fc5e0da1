"""The retention setting: a daily outbox job anonymises old comments and idle contacts,
logs its run, and the settings page shows both."""

from __future__ import annotations

import pytest

from surveyor.db import Tx
from surveyor.records.erasure import RETENTION_KIND, apply_retention
from tests.conftest import app_services, drain, in_app, login, make_user
from tests.records.helpers import seed

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def settings(make_settings):
    return make_settings(retention_days=30)


async def test_old_comments_and_idle_contacts_are_anonymised_by_the_daily_job(client) -> None:
    world = await seed(client)
    svc = app_services(client)
    db = svc.db
    # The start-up scheduled today's run.
    assert (
        await in_app(
            client, db.fetch_val, "SELECT count(*) FROM jobs WHERE kind = ?", (RETENTION_KIND,)
        )
        == 1
    )
    old = world.responses["bob_meh"].id

    async def age(tx: Tx) -> None:
        await tx.execute(
            "UPDATE responses SET started_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?", (old,)
        )

    await in_app(client, db.write, age)
    before = await in_app(client, db.fetch_val, "SELECT nps FROM responses WHERE id = ?", (old,))
    assert await drain(client) >= 1
    values = await in_app(
        client, db.fetch_all, "SELECT question_id, value FROM answers WHERE response_id = ?", (old,)
    )
    assert {r["question_id"]: r["value"] for r in values}["higher"] == '""'
    assert (
        await in_app(client, db.fetch_val, "SELECT nps FROM responses WHERE id = ?", (old,))
        == before
    )
    runs = await in_app(client, db.fetch_all, "SELECT responses, contacts FROM retention_runs")
    assert runs == [{"responses": 1, "contacts": 0}]
    # Tomorrow's run is queued.
    assert (
        await in_app(
            client,
            db.fetch_val,
            "SELECT count(*) FROM jobs WHERE kind = ? AND status = 'queued'",
            (RETENTION_KIND,),
        )
        == 1
    )

    # A contact idle for longer than the period is anonymised too.
    async def idle(tx: Tx) -> None:
        for table, column in (
            ("contacts", "updated_at"),
            ("responses", "started_at"),
            ("invitations", "created_at"),
        ):
            await tx.execute(
                f"UPDATE {table} SET {column} = '2020-01-01T00:00:00.000000Z'"
                + (" WHERE id = ?" if table == "contacts" else " WHERE contact_id = ?"),
                (world.bob.id,),
            )

    await in_app(client, db.write, idle)
    report = await in_app(client, apply_retention, svc, 30)
    assert report.contacts == 1
    email = await in_app(
        client, db.fetch_val, "SELECT email FROM contacts WHERE id = ?", (world.bob.id,)
    )
    assert email == ""

    admin = await make_user(client, "admin")
    await login(client, admin)
    page = await client.get("/settings")
    assert "Data retention" in page.text and "30 days" in page.text
