"""The workbench through HTTP: the two-column case page, replies, snoozing, bulk
changes, saved views and reply templates — roles, bad input, nothing stored on refusal."""

from __future__ import annotations

from typing import Any

from surveyor.followups import store, workbench_store
from tests.conftest import login

from .test_web import db_call, low_score, make_user

HX = {"HX-Request": "true"}


async def replies_of(client: Any, case_id: str) -> list[Any]:
    return [e for e in await db_call(client, store.timeline, case_id) if e.kind == "reply"]


async def test_the_case_page_shows_the_customer_beside_the_actions(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(
        client, 2, "Parcel broken", account_manager="mia@example.com", company="Acme"
    )
    await login(client, mia)
    page = await client.get(f"/followups/{case.id}")
    assert page.status_code == 200
    html = page.text
    assert 'class="case-customer"' in html and 'class="case-actions"' in html
    assert "to a friend or colleague?" in html  # the survey's own wording
    assert "0–10" in html and "Parcel broken" in html and "Acme" in html
    for action in (
        "Reassign",
        "Snooze until",
        "Send reply",
        "Add note",
        "Save status",
    ):
        assert action in html, action
    assert "followups/workbench.css" in html and "followups/workbench.js" in html
    # The navigation counts this manager's open cases.
    assert 'class="badge nav-count"' in (await client.get("/dashboard")).text


async def test_a_reply_is_queued_on_the_timeline(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, 2, account_manager="mia@example.com")
    token = await login(client, mia)
    r = await client.post(
        f"/followups/{case.id}/reply",
        data={
            "subject": "Sorry {{ contact.name }}",
            "body": "We will fix it. {{ agent.name }}",
            "_csrf": token,
        },
        headers=HX,
    )
    assert r.status_code == 200, r.text
    assert "queued" in r.text and "Sorry Ada" in r.text
    (event,) = await replies_of(client, case.id)
    assert event.body == "We will fix it. Manager" and event.detail["to"] == "ada@example.com"
    timeline = await client.get(f"/followups/{case.id}/timeline", headers=HX)
    assert timeline.status_code == 200 and 'hx-trigger="every 2s"' in timeline.text


async def test_bad_reply_input_names_the_field_and_stores_nothing(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, 2, account_manager="mia@example.com")
    token = await login(client, mia)
    for data, status, words in (
        ({"subject": "Hi", "body": "x", "colour": "red"}, 422, "colour"),
        ({"subject": "Hi", "body": "x" * 20_001}, 422, "body: use at most 20000"),
        (
            {"subject": "Hi", "body": "Dear {{ contact.nickname }}"},
            422,
            "body: unknown placeholder {{ nickname }}",
        ),
        (
            {"subject": "{% for x in y %}{% endfor %}", "body": "x"},
            422,
            "subject: only placeholders",
        ),
    ):
        r = await client.post(
            f"/followups/{case.id}/reply", data={**data, "_csrf": token}, headers=HX
        )
        assert r.status_code == status, (data, r.status_code)
        assert words in r.text.replace("&#34;", '"').replace("&#39;", "'"), (words, r.text[:300])
    # What the manager typed is still in the form after a refusal.
    kept = await client.post(
        f"/followups/{case.id}/reply",
        data={"subject": "Keep me", "body": "{{ oops }}", "_csrf": token},
        headers=HX,
    )
    assert 'value="Keep me"' in kept.text
    assert await replies_of(client, case.id) == []


async def test_no_reply_form_for_an_unsubscribed_customer(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, 2, account_manager="mia@example.com")
    svc = client.app.state["services"]
    await db_call(
        client,
        lambda db: db.write(
            lambda tx: tx.execute(
                "UPDATE contacts SET unsubscribed_at = '2026-01-01' WHERE id = ?",
                (case.contact_id,),
            )
        ),
    )
    assert svc is not None
    token = await login(client, mia)
    page = await client.get(f"/followups/{case.id}")
    assert "You cannot email this customer" in page.text and "Send reply" not in page.text
    r = await client.post(
        f"/followups/{case.id}/reply",
        data={"subject": "Hi", "body": "x", "_csrf": token},
        headers=HX,
    )
    assert r.status_code == 409 and "contact: the contact unsubscribed" in r.text
    assert await replies_of(client, case.id) == []


async def test_snooze_through_the_form(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, 2, account_manager="mia@example.com")
    token = await login(client, mia)
    bad = await client.post(
        f"/followups/{case.id}/snooze", data={"until": "31/12/2099", "_csrf": token}, headers=HX
    )
    assert bad.status_code == 422 and "until: use a date" in bad.text
    stray = await client.post(
        f"/followups/{case.id}/snooze", data={"until": "", "when": "x", "_csrf": token}, headers=HX
    )
    assert stray.status_code == 422 and "when" in stray.text
    assert (await db_call(client, store.get_case, case.id)).snoozed_until is None
    from datetime import timedelta

    from surveyor.ids import utcnow

    day = (utcnow() + timedelta(days=2)).date().isoformat()
    ok = await client.post(
        f"/followups/{case.id}/snooze", data={"until": day, "_csrf": token}, headers=HX
    )
    assert ok.status_code == 200 and "snoozed until" in ok.text
    inbox = await client.get("/followups?scope=mine")
    assert case.id not in inbox.text
    assert case.id in (await client.get("/followups?scope=snoozed")).text


async def test_bulk_close_refuses_partially_with_a_message_per_case(client: Any) -> None:
    admin = await make_user(client, "admin")
    first, second = await low_score(client, 1), await low_score(client, 2)
    token = await login(client, admin)
    done = await client.post(
        "/followups/bulk",
        data={
            "ids": [second.id],
            "action": "close",
            "status": "closed",
            "root_cause": "other",
            "outcome": "x",
            "_csrf": token,
        },
    )
    assert done.status_code == 200 and "1 of 1 cases changed" in done.text
    partial = await client.post(
        "/followups/bulk",
        data={
            "ids": [first.id, second.id],
            "action": "close",
            "status": "resolved",
            "root_cause": "other",
            "outcome": "refund",
            "_csrf": token,
        },
    )
    assert partial.status_code == 409
    assert "1 of 2 cases changed" in partial.text and "the case is already closed" in partial.text
    assert (await db_call(client, store.get_case, first.id)).status == "resolved"
    bad = await client.post(
        "/followups/bulk",
        data={"ids": [first.id], "action": "close", "root_cause": "nope", "_csrf": token},
    )
    assert bad.status_code == 422 and "root_cause" in bad.text
    unknown = await client.post(
        "/followups/bulk",
        data={"ids": [first.id], "action": "assign", "shout": "1", "_csrf": token},
    )
    assert unknown.status_code == 422 and "shout" in unknown.text


async def test_saved_views_belong_to_their_owner(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    token = await login(client, mia)
    bad = await client.post(
        "/followups/views", data={"name": "x", "query": "colour=red", "_csrf": token}
    )
    assert bad.status_code == 422 and "query" in bad.text and "colour" in bad.text
    ok = await client.post(
        "/followups/views",
        data={"name": "Urgent", "query": "scope=all&priority=urgent", "_csrf": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    (view,) = await db_call(client, workbench_store.list_views, mia.id)
    assert view.query == "scope=all&priority=urgent"
    assert "Urgent" in (await client.get("/followups")).text


async def test_reply_templates_are_checked_when_saved(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    token = await login(client, mia)
    bad = await client.post(
        "/followups/templates",
        data={"name": "T", "subject": "Hi", "body": "{{ mood }}", "_csrf": token},
    )
    assert bad.status_code == 422 and "body: unknown placeholder {{ mood }}" in bad.text
    assert await db_call(client, workbench_store.list_templates) == []
    ok = await client.post(
        "/followups/templates",
        data={
            "name": "Apology",
            "subject": "Sorry, {{ contact.first_name }}",
            "body": "Hi {{ contact.name }}",
            "_csrf": token,
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    (made,) = await db_call(client, workbench_store.list_templates)
    case = await low_score(client, 2, account_manager="mia@example.com")
    compose = await client.get(f"/followups/{case.id}/reply?template={made.id}", headers=HX)
    assert (
        compose.status_code == 200
        and 'value="Sorry, Ada"' in compose.text
        and "Hi Ada" in compose.text
    )


async def test_designers_and_other_managers_are_kept_out(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, 2, account_manager="mia@example.com")
    await make_user(client, "manager", "max@example.com")
    designer = await make_user(client, "designer")
    token = await login(client, designer)
    for url in (
        "/followups/templates",
        f"/followups/{case.id}/reply",
        f"/followups/{case.id}/timeline",
    ):
        assert (await client.get(url)).status_code == 403, url
    assert (await client.post("/followups/bulk", data={"_csrf": token})).status_code == 403
    await client.post("/logout", data={"_csrf": token})
    other = await make_user(client, "manager", "zed@example.com")
    token = await login(client, other)
    for url in (f"/followups/{case.id}/reply", f"/followups/{case.id}/timeline"):
        assert (await client.get(url, headers=HX)).status_code == 404, url
    for action, data in (
        ("reply", {"subject": "a", "body": "b"}),
        ("snooze", {"until": "2099-01-01"}),
    ):
        r = await client.post(
            f"/followups/{case.id}/{action}", data={**data, "_csrf": token}, headers=HX
        )
        assert r.status_code == 404, action
    assert mia.id
    assert await replies_of(client, case.id) == []


async def test_the_workbench_speaks_chinese(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    case = await low_score(client, 2, account_manager="mia@example.com")
    await db_call(
        client,
        lambda db: db.write(
            lambda tx: tx.execute("UPDATE users SET locale = 'zh_Hans' WHERE id = ?", (mia.id,))
        ),
    )
    await login(client, mia)
    page = (await client.get(f"/followups/{case.id}")).text
    for words in ("客户的反馈", "处理工单", "回复客户", "发送回复", "暂缓至", "时间线"):
        assert words in page, words
    inbox = (await client.get("/followups")).text
    for words in ("我的工单", "已暂缓", "保存视图", "小时后到期"):
        assert words in inbox, words
