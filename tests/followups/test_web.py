"""The closed loop through HTTP: a respondent's low score, the hooks, the inbox and case
page, who may see what (page, fragment, API), and customer text staying text."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from litestar.testing import AsyncTestClient

from surveyor import FollowupChanged, FollowupClosed, FollowupOpened, hookimpl
from surveyor.app import create_app
from surveyor.contacts import store as contacts
from surveyor.db import Tx
from surveyor.delivery.worker import Worker
from surveyor.followups import service, store
from surveyor.followups.service import Actor
from surveyor.ids import now_iso
from surveyor.plugins import make_plugin_manager
from surveyor.respond import store as respond
from tests.conftest import api_key as _api_key
from tests.conftest import app_services, login
from tests.conftest import make_user as _make_user

from .helpers import nps_version

XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
STEP = re.compile(r'name="step" value="([^"]*)"')


class Recorder:
    def __init__(self, owner: str | None = None) -> None:
        self.opened: list[Any] = []
        self.closed: list[Any] = []
        self.changed: list[Any] = []
        self.owner = owner

    @hookimpl
    def followup_opened(self, event: FollowupOpened, services: Any) -> None:
        self.opened.append((event.followup, event.contact))

    @hookimpl
    def followup_changed(self, event: FollowupChanged) -> None:
        self.changed.append((event.change, event.followup.status))

    @hookimpl
    def followup_closed(self, event: FollowupClosed) -> None:
        self.closed.append(event.followup)

    @hookimpl
    def followup_assignee(self, case: Any, contact: Any) -> str | None:
        return self.owner


async def on_app(client: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a write on the app's own event loop: the test client serves the app from a
    portal thread, and the SQLite writer's queue belongs to that loop (a put from this
    loop would not wake it)."""
    return await anyio.to_thread.run_sync(
        lambda: client.blocking_portal.call(functools.partial(fn, *args, **kwargs))
    )


async def drain(client: Any) -> None:
    """Run every due outbox job (plugin hooks included) on the app's loop."""
    await on_app(client, Worker(app_services(client)).run_until_idle)


async def make_user(client: Any, *args: Any) -> Any:
    return await on_app(client, _make_user, client, *args)


async def api_key(client: Any, *scopes: str) -> Any:
    return await on_app(client, _api_key, client, *scopes)


async def db_call(client: Any, fn: Any, *args: Any) -> Any:
    """A store call on the app's loop (the PostgreSQL pool belongs to it too)."""
    return await on_app(client, fn, app_services(client).db, *args)


@asynccontextmanager
async def app_client(settings: Any, plugin: Any = None) -> AsyncIterator[Any]:
    pm = make_plugin_manager(
        settings.plugin_allow_list, settings.plugins_dir, extra=(plugin,) if plugin else ()
    )
    async with AsyncTestClient(
        app=create_app(settings, pm=pm), base_url="http://surveyor.test"
    ) as c:
        yield c


async def low_score(
    client: Any, score: int = 2, comment: str = "slow", name: str = "Ada", **attrs: Any
) -> Any:
    """A customer answers their personal link; returns the case the answer opened."""
    db = app_services(client).db
    version = await on_app(client, nps_version, db)

    async def unit(tx: Tx) -> str:
        who = await contacts.upsert_contact(
            tx, f"cust-{now_iso()}", email="ada@example.com", name=name, attributes=attrs
        )
        return await respond.create_invitation(
            tx,
            survey_id=version.survey_id,
            survey_version_id=version.id,
            contact_id=who.id,
            channel="email",
            send_at=now_iso(),
            checkpoint_key="order_delivered",
            status="sent",
        )

    token = await on_app(client, db.write, unit)
    page = await client.get(f"/s/{token}")
    fields = {"q_score": str(score), "q_improve": comment, "q_higher": comment, "q_right": comment}
    for _ in range(6):
        match = STEP.search(page.text)
        if match is None:
            break
        step = match.group(1)
        data = {"step": step, **{f"q_{q}": fields.get(f"q_{q}", "") for q in step.split(",")}}
        page = await client.post(f"/s/{token}", data=data, follow_redirects=True)
    complete = await on_app(
        client,
        db.fetch_one,
        "SELECT id FROM responses WHERE status = 'complete' ORDER BY completed_at DESC LIMIT 1",
    )
    assert complete is not None, page.text[:500]
    return await db_call(client, store.case_for_response, complete["id"])


async def test_hook_followup_opened(settings: Any) -> None:
    plugin = Recorder()
    async with app_client(settings, plugin) as client:
        case = await low_score(client, 2, "late")
        assert case is not None
        await drain(client)
        assert [(f.id, c.name) for f, c in plugin.opened] == [(case.id, "Ada")]


async def test_hook_followup_closed(settings: Any) -> None:
    plugin = Recorder()
    async with app_client(settings, plugin) as client:
        case = await low_score(client)
        svc = app_services(client)
        await on_app(
            client,
            service.change_status,
            svc,
            case.id,
            "closed",
            Actor(user_id=None),
            root_cause="other",
            outcome="no reply",
        )
        await drain(client)
        assert [(f.id, f.status, f.root_cause) for f in plugin.closed] == [
            (case.id, "closed", "other")
        ]


async def test_hook_followup_changed(settings: Any) -> None:
    plugin = Recorder()
    async with app_client(settings, plugin) as client:
        case = await low_score(client)
        svc = app_services(client)
        await on_app(
            client, service.change_status, svc, case.id, "in_progress", Actor(user_id=None)
        )
        await on_app(client, service.assign, svc, case.id, None, Actor(user_id=None))
        await drain(client)
        # The move to in_progress is a change; assigning to the queue it already sits in
        # is not (nothing changed, nothing announced).
        assert plugin.changed == [("status", "in_progress")]
        assert plugin.closed == []


async def test_hook_followup_assignee(settings: Any) -> None:
    async with app_client(settings) as probe:
        boss = await make_user(probe, "admin")
    plugin = Recorder(owner=boss.id)
    async with app_client(settings, plugin) as client:
        await make_user(client, "manager")
        case = await low_score(client)
        assert case.assignee_id == boss.id


async def test_a_manager_cannot_reach_another_managers_case(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, account_manager="mia@example.com")
    assert case.assignee_id == mia.id
    max_ = await make_user(client, "manager", "max@example.com")
    token = await login(client, max_)
    assert (await client.get(f"/followups/{case.id}")).status_code == 404
    fragment = await client.get(f"/followups/{case.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "slow" not in fragment.text
    for action, data in (
        ("notes", {"body": "mine now"}),
        ("take", {}),
        ("assign", {"assignee_id": max_.id}),
        ("status", {"status": "in_progress"}),
    ):
        r = await client.post(
            f"/followups/{case.id}/{action}",
            data={**data, "_csrf": token},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 404, action
    inbox = await client.get("/followups?scope=all&status=")
    assert case.id not in inbox.text
    assert [e.kind for e in await db_call(client, store.timeline, case.id)] == ["open"]
    # The owner sees and works it.
    await client.post("/logout", data={"_csrf": token})
    token = await login(client, mia)
    page = await client.get(f"/followups/{case.id}")
    assert (
        page.status_code == 200 and "What could we do better?" in page.text and "slow" in page.text
    )
    r = await client.post(
        f"/followups/{case.id}/notes",
        data={"body": "called", "_csrf": token},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "called" in r.text


async def test_designers_have_no_inbox(client: Any) -> None:
    await login(client, await make_user(client, "designer"))
    assert (await client.get("/followups")).status_code == 403


async def test_the_api_reads_with_read_scope_and_changes_only_with_admin(client: Any) -> None:
    case = await low_score(client)
    reader = await api_key(client, "read")
    listed = await client.get("/api/v1/followups?status=open", headers=reader)
    assert listed.status_code == 200
    body = listed.json()
    assert [i["id"] for i in body["items"]] == [case.id] and body["next_cursor"] is None
    assert body["items"][0]["response"]["nps"] == 2
    assert body["items"][0]["contact"]["external_id"].startswith("cust-")
    assert (await client.get(f"/api/v1/followups/{case.id}", headers=reader)).json()["timeline"][0][
        "kind"
    ] == "open"
    refused = await client.patch(
        f"/api/v1/followups/{case.id}", json={"status": "in_progress"}, headers=reader
    )
    assert refused.status_code == 403
    assert (
        await client.post(f"/api/v1/followups/{case.id}/notes", json={"body": "x"}, headers=reader)
    ).status_code == 403
    admin = await api_key(client, "admin")
    bad = await client.patch(
        f"/api/v1/followups/{case.id}", json={"status": "resolved"}, headers=admin
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "root_cause"
    unknown = await client.patch(
        f"/api/v1/followups/{case.id}", json={"colour": "red"}, headers=admin
    )
    assert unknown.status_code == 400
    done = await client.patch(
        f"/api/v1/followups/{case.id}",
        json={"status": "resolved", "root_cause": "other", "outcome": "refunded"},
        headers=admin,
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    note = await client.post(
        f"/api/v1/followups/{case.id}/notes", json={"body": "follow-up call"}, headers=admin
    )
    assert note.status_code == 201 and note.json()["timeline"][-1]["body"] == "follow-up call"
    assert (await client.get("/api/v1/followups/nope", headers=reader)).status_code == 404


async def test_api_pages_with_a_cursor(client: Any) -> None:
    ids = {(await low_score(client, s)).id for s in (0, 1, 2)}
    reader = await api_key(client, "read")
    first = (await client.get("/api/v1/followups?limit=2", headers=reader)).json()
    second = (
        await client.get(f"/api/v1/followups?limit=2&cursor={first['next_cursor']}", headers=reader)
    ).json()
    assert {i["id"] for i in first["items"] + second["items"]} == ids and second[
        "next_cursor"
    ] is None


async def test_customer_text_is_inert_in_inbox_case_page_and_notification(
    make_settings: Any,
) -> None:
    settings = make_settings(email_url="mailto://127.0.0.1:2525?from=s@example.com")
    async with app_client(settings) as client:
        mia = await make_user(client, "manager", "mia@example.com")
        case = await low_score(client, 1, XSS, name=XSS)
        await login(client, mia)
        for url in ("/followups", f"/followups/{case.id}"):
            html = (await client.get(url)).text
            assert "<script>alert" not in html and "<img src=x" not in html, url
            assert "&lt;script&gt;" in html, url
        svc = app_services(client)
        job = await on_app(
            client, svc.db.fetch_one, "SELECT payload FROM jobs WHERE kind = 'message.send'"
        )
        import msgspec

        from surveyor import Message
        from surveyor.delivery.channels import channels

        message = msgspec.convert(msgspec.json.decode(job["payload"])["message"], Message)
        _subject, text, html = channels(svc).get("email").render(message)
        assert "<script>" in text  # plain text is plain: shown as typed, never run
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "<img src=x" not in html
