"""Rules editor, inbox filters and counts, the outer-loop report, and Apprise notices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from surveyor.delivery.models import Job
from surveyor.followups import notify, report, rules_store, store
from surveyor.followups.models import Followup
from tests.conftest import login
from tests.delivery.servers import http_server

from .test_web import db_call, low_score, make_user, on_app

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def case(n: int, **fields: Any) -> Followup:
    base = {
        "id": f"c{n}",
        "response_id": f"r{n}",
        "survey_id": "s",
        "priority": "normal",
        "status": "new",
        "due_at": "2026-04-30T00:00:00.000000Z",
        "warn_at": "2026-04-29T20:00:00.000000Z",
        "created_at": "2026-04-28T00:00:00.000000Z",
        "updated_at": "2026-04-28T00:00:00.000000Z",
    }
    return Followup(**{**base, **fields})


def test_report_figures_from_worked_examples() -> None:
    cases = [
        # Finished in time, first action after 2 h, closed after 10 h, won back.
        case(
            1,
            status="resolved",
            root_cause="billing",
            first_action_at="2026-04-28T02:00:00.000000Z",
            resolved_at="2026-04-28T10:00:00.000000Z",
            recovery_response_id="x",
            recovered=True,
            assignee_id="u1",
            checkpoint_key="a",
        ),
        # Finished late, first action after 4 h, closed after 60 h, not won back.
        case(
            2,
            status="closed",
            root_cause="billing",
            first_action_at="2026-04-28T04:00:00.000000Z",
            closed_at="2026-04-30T12:00:00.000000Z",
            recovery_response_id="y",
            recovered=False,
            assignee_id="u1",
            checkpoint_key="b",
        ),
        case(
            3,
            status="resolved",
            root_cause="defect",
            first_action_at="2026-04-28T06:00:00.000000Z",
            resolved_at="2026-04-28T20:00:00.000000Z",
            checkpoint_key="a",
        ),
        case(4),  # open and past due: counts as missed
        case(5, due_at="2026-06-01T00:00:00.000000Z"),  # open, not due: undecided
    ]
    summary = report.summarize(cases, NOW)
    total = summary["total"]
    assert total["cases"] == 5 and total["open"] == 2
    assert total["median_first_action_h"] == 4.0
    assert total["median_close_h"] == 20.0
    assert (total["sla_pct"], total["sla_n"]) == (50.0, 4)
    assert (total["recovery_pct"], total["recovery_n"]) == (50.0, 2)
    assert summary["pareto"] == [
        {"cause": "billing", "n": 2, "pct": 66.7, "cumulative": 66.7},
        {"cause": "defect", "n": 1, "pct": 33.3, "cumulative": 100.0},
    ]
    assert summary["managers"]["u1"]["cases"] == 2
    assert summary["checkpoints"]["a"]["sla_pct"] == 100.0


async def test_the_report_page_shows_a_managers_own_figures(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    await low_score(client, 1, account_manager="mia@example.com")
    await login(client, mia)
    page = await client.get("/followups/report?days=30")
    assert page.status_code == 200
    assert "Root causes (Pareto)" in page.text and "mia@example.com" in page.text


async def test_inbox_tabs_filters_and_counts(client: Any) -> None:
    mia = await make_user(client, "manager", "mia@example.com")
    mine = await low_score(client, 1, name="Mine Co", account_manager="mia@example.com")
    queued = await low_score(client, 5, name="Queue Co")
    assert queued.assignee_id == mia.id  # round-robin: Mia is the only manager
    # Put the second case in the team queue.
    from surveyor.followups import service

    await on_app(
        client,
        service.assign,
        client.app.state["services"],
        queued.id,
        None,
        service.Actor(user_id=None),
    )
    await login(client, mia)
    text = (await client.get("/followups")).text
    assert "Mine Co" in text and "Queue Co" not in text
    text = (await client.get("/followups?scope=queue")).text
    assert "Queue Co" in text and "Mine Co" not in text
    text = (await client.get("/followups?scope=all&priority=high")).text
    assert "Mine Co" in text and "Queue Co" not in text
    fragment = await client.get("/followups?scope=all", headers={"HX-Request": "true"})
    assert "<table" in fragment.text and "<html" not in fragment.text
    counts = await on_app(
        client,
        store.inbox_counts,
        client.app.state["services"].db,
        service.viewer_for(mia),
        now="2999",
    )
    assert counts == {
        "mine": 1,
        "queue": 1,
        "overdue": 2,
        "open": 2,
        "snoozed": 0,
        "mine_overdue": 1,
    }
    assert mine.priority == "high"


async def test_admins_edit_rules_and_bad_input_names_the_field(client: Any) -> None:
    admin = await make_user(client, "admin")
    token = await login(client, admin)
    form = {
        "_csrf": token,
        "name": "VIP refunds",
        "active": "on",
        "bands": "nps 0-6 high\nces 1-2 normal",
        "keywords": "refund, 退款",
        "keyword_priority": "urgent",
        "boosts": "tier = vip|gold:1",
        "sla_urgent": "2",
        "sla_high": "8",
        "sla_normal": "24",
        "sla_low": "72",
        "business_hours": "on",
        "timezone": "Europe/Berlin",
        "opens": "08:00",
        "closes": "18:00",
        "recovery_survey": "on",
    }
    saved = await client.post("/followups/rules/", data=form, follow_redirects=False)
    assert saved.status_code == 303
    (rule,) = await db_call(client, rules_store.list_rules)
    assert rule.keywords == ("refund", "退款") and rule.calendar.timezone == "Europe/Berlin"
    assert rule.boosts[0].values == ("vip", "gold") and rule.recovery_survey
    assert rule.sla_hours.high == 8
    page = await client.get(f"/followups/rules/{rule.id}")
    assert "nps 0-6 high" in page.text
    bad = await client.post("/followups/rules/", data={**form, "bands": "nps 0-11 high"})
    assert bad.status_code == 422 and "bands" in bad.text
    bad = await client.post("/followups/rules/", data={**form, "timezone": "Mars/Base"})
    assert bad.status_code == 422 and "timezone" in bad.text
    assert len(await db_call(client, rules_store.list_rules)) == 1


async def test_managers_read_rules_but_cannot_change_them(client: Any) -> None:
    token = await login(client, await make_user(client, "manager"))
    assert (await client.get("/followups/rules")).status_code == 200
    refused = await client.post("/followups/rules/", data={"_csrf": token, "name": "x"})
    assert refused.status_code == 403


async def test_the_notify_job_posts_to_apprise_urls() -> None:
    with http_server() as (receiver, port):
        job = Job(
            id="j",
            kind=notify.NOTIFY_JOB,
            status="running",
            run_at="",
            attempts=1,
            max_attempts=3,
            created_at="",
            updated_at="",
            payload={
                "title": "Follow-up overdue",
                "body": "Comment: <script>x</script>",
                "urls": [f"json://127.0.0.1:{port}/hook"],
            },
        )
        await notify.run_notify_job(job, None)
        (path, _, body) = receiver.requests[0]
        assert path == "/hook" and b"Follow-up overdue" in body


async def test_the_case_page_lists_only_earlier_cases_the_manager_may_open(client: Any) -> None:
    from surveyor.followups import service

    mia = await make_user(client, "manager", "mia@example.com")
    first = await low_score(client, 2, name="Twice Co", account_manager="mia@example.com")
    second = await low_score(client, 3, name="Twice Co", account_manager="mia@example.com")
    # Both belong to one contact only if the helper reused it: make them share one.
    await on_app(
        client,
        client.app.state["services"].db.write,
        lambda tx: tx.execute(
            "UPDATE followups SET contact_id = ? WHERE id = ?", (first.contact_id, second.id)
        ),
    )
    max_ = await make_user(client, "manager", "max@example.com")
    svc = client.app.state["services"]
    await on_app(client, service.assign, svc, second.id, max_.id, service.Actor(user_id=None))
    await login(client, mia)
    page = (await client.get(f"/followups/{first.id}")).text
    assert second.id not in page and "1 more case handled by a colleague" in page
