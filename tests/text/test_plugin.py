"""The surveyor_text plugin end to end: a completed response with a comment queues its
analysis, the worker lands it, rules on words open cases, the API, pages and webhook
show it; the dictionary can be edited and old comments read again."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest
from surveyor_text import analyze

from surveyor.app import build_services, start_services
from surveyor.followups import store as followups
from surveyor.webhooks.models import SubscriptionIn
from surveyor.webhooks.store import create_subscription
from tests.conftest import api_key, app_services, drain, in_app, login, make_user
from tests.followups.helpers import answer, contact, nps_version


async def respond(client: Any, score: int, comment: str, **attributes: Any) -> Any:
    """Complete one response through the respondent store with the app's own listeners."""
    svc = app_services(client)

    async def go() -> Any:
        version = await nps_version(svc.db)
        who = await contact(svc.db, **attributes)
        response = await answer(
            svc,
            version,
            who,
            score,
            comment,
            on_complete=list(svc.tx_listeners.response_completed),
        )
        return version, response

    return await in_app(client, go)


async def jobs_of(client: Any, kind: str) -> list[dict[str, Any]]:
    db = app_services(client).db

    async def read() -> list[dict[str, Any]]:
        rows = await db.fetch_all(
            "SELECT kind, payload, subject_id FROM jobs WHERE kind = ?", (kind,)
        )
        return [{**r, "payload": msgspec.json.decode(r["payload"])} for r in rows]

    return await in_app(client, read)


async def test_a_negative_passive_comment_is_analysed_opens_a_case_and_is_shown(
    client: Any,
) -> None:
    admin = await make_user(client, "admin")
    await login(client, admin)
    svc = app_services(client)
    await in_app(
        client,
        lambda: create_subscription(
            svc.db,
            SubscriptionIn(url="http://127.0.0.1:9/hook", event_types=["response.analyzed"]),
        ),
    )
    version, response = await respond(
        client, 8, "The app crashes all the time. Terrible and useless, I am very angry."
    )
    # Committed with the response: the analysis job, and no case yet (a passive score).
    queued = await jobs_of(client, "text.analyze")
    assert [j["subject_id"] for j in queued] == [response.id]
    assert await in_app(client, followups.case_for_response, svc.db, response.id) is None

    await drain(client)

    case = await in_app(client, followups.case_for_response, svc.db, response.id)
    assert case is not None and case.rule_id == "text:text-passive-negative"
    assert any("negative" in reason for reason in case.reasons)
    hooks = [
        j["payload"]["body"]
        for j in await jobs_of(client, "webhook.deliver")
        if j["payload"]["body"]["type"] == "response.analyzed"
    ]
    assert len(hooks) == 1
    data = hooks[0]["data"]
    assert data["response_id"] == response.id and data["followup_id"] == case.id
    assert data["analysis"]["sentiment"]["label"] == "negative"
    assert "reliability" in data["analysis"]["themes"]
    assert data["response"]["nps_class"] == "passive"

    read = await api_key(client, "read")
    found = await client.get(f"/api/v1/text/responses/{response.id}", headers=read)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["language"] == "en"
    assert body["sentiment"]["label"] == "negative" and -1 <= body["sentiment"]["score"] < 0
    assert "reliability" in body["themes"]
    assert (await client.get("/api/v1/text/responses/nope", headers=read)).status_code == 404

    report = await client.get(f"/api/v1/themes?survey={version.survey_id}", headers=read)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["analysed"] == 1 and body["survey"] == version.survey_id
    theme = next(t for t in body["themes"] if t["theme"] == "reliability")
    assert theme["count"] == 1 and theme["share"] == 100.0
    assert theme["mentioning"]["nps"]["n"] == 1
    assert {"nps", "mean_score"} <= set(theme["not_mentioning"])
    assert "nps_difference" in theme and theme["trend"]
    for bad, field in (("from=yesterday", "from"), ("top=0", "top"), ("bucket=year", "bucket")):
        answer_ = await client.get(f"/api/v1/themes?{bad}", headers=read)
        assert answer_.status_code == 400 and field in answer_.text, (bad, answer_.text)
    assert (await client.get("/api/v1/themes")).status_code == 401

    exported = await client.get(f"/api/v1/text/export?survey={version.survey_id}", headers=read)
    assert exported.status_code == 200 and exported.text.startswith("response_id,")
    assert response.id in exported.text and "reliability" in exported.text
    items = (await client.get("/api/v1/text/export?format=json", headers=read)).json()["items"]
    assert [(i["response_id"], i["sentiment_label"]) for i in items] == [(response.id, "negative")]
    wrong = await client.get("/api/v1/text/export?format=xml", headers=read)
    assert wrong.status_code == 400 and "format" in wrong.text

    staff_page = await client.get(f"/responses/{response.id}")
    assert staff_page.status_code == 200 and 'id="text-analysis"' in staff_page.text
    page = await client.get(f"/followups/{case.id}")
    assert page.status_code == 200
    assert 'id="text-analysis"' in page.text and "reliability" in page.text
    dashboard = await client.get(f"/dashboard/surveys/{version.survey_id}")
    assert dashboard.status_code == 200
    assert 'id="themes-panel"' in dashboard.text and "reliability" in dashboard.text
    fragment = await client.get(
        f"/dashboard/surveys/{version.survey_id}?days=30", headers={"HX-Request": "true"}
    )
    assert 'id="themes-panel"' in fragment.text


async def test_a_theme_rule_routes_the_case_to_a_named_manager(client: Any) -> None:
    manager = await make_user(client, "manager", email="billing-lead@example.com")
    admin_key = await api_key(client, "admin")
    rules = {
        "rules": [
            {
                "name": "Billing goes to the billing lead",
                "themes": ["billing"],
                "assignee_email": "billing-lead@example.com",
                "priority": "urgent",
                "sla_hours": 8,
            }
        ]
    }
    saved = await client.put("/api/v1/text/rules", json=rules, headers=admin_key)
    assert saved.status_code == 200, saved.text
    assert saved.json()["rules"][0]["id"]

    _, response = await respond(client, 9, "I was charged twice on my last invoice.")
    await drain(client)
    case = await in_app(client, followups.case_for_response, app_services(client).db, response.id)
    assert case is not None
    assert case.assignee_id == manager.id and case.priority == "urgent"

    # Bad input names its field; a read key may not change rules.
    bad = {"rules": [{"name": "x", "themes": ["billing"], "colour": "red"}]}
    answer_ = await client.put("/api/v1/text/rules", json=bad, headers=admin_key)
    assert answer_.status_code == 400 and "colour" in answer_.text
    nobody = {"rules": [{"name": "x", "assignee_email": "nobody@example.com"}]}
    answer_ = await client.put("/api/v1/text/rules", json=nobody, headers=admin_key)
    assert answer_.status_code == 400 and "rules[0].assignee_email" in answer_.text
    wrong = {"rules": [{"name": "x", "max_sentiment": "low"}]}
    answer_ = await client.put("/api/v1/text/rules", json=wrong, headers=admin_key)
    assert answer_.status_code == 400 and "max_sentiment" in answer_.text
    read = await api_key(client, "read")
    assert (await client.put("/api/v1/text/rules", json=rules, headers=read)).status_code == 403


async def test_editing_the_dictionary_and_reindexing_old_comments(client: Any) -> None:
    _, response = await respond(client, 5, "There is never any parking near the store.")
    await drain(client)
    read = await api_key(client, "read")
    before = (await client.get(f"/api/v1/text/responses/{response.id}", headers=read)).json()
    assert "parking" not in before["themes"]

    admin_key = await api_key(client, "admin")
    current = (await client.get("/api/v1/text/dictionary", headers=read)).json()
    themes = [*current["themes"], {"name": "parking", "en": ["parking"], "zh": ["停车"]}]
    saved = await client.put("/api/v1/text/dictionary", json={"themes": themes}, headers=admin_key)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == current["version"] + 1
    started = await client.post("/api/v1/text/reindex", headers=admin_key)
    assert started.status_code == 202 and started.json()["queued"] == 1
    await drain(client)
    after = (await client.get(f"/api/v1/text/responses/{response.id}", headers=read)).json()
    assert "parking" in after["themes"]
    progress = (await client.get("/api/v1/text/reindex", headers=read)).json()
    assert progress["stale"] == 0 and progress["done"] == progress["total"] == 1

    twice = {"themes": [{"name": "a"}, {"name": "A"}]}
    answer_ = await client.put("/api/v1/text/dictionary", json=twice, headers=admin_key)
    assert answer_.status_code == 400 and "themes" in answer_.text
    empty_word = {"themes": [{"name": "a", "en": [""]}]}
    answer_ = await client.put("/api/v1/text/dictionary", json=empty_word, headers=admin_key)
    assert answer_.status_code == 400 and "en" in answer_.text


async def test_the_themes_page_is_for_designers(client: Any) -> None:
    manager = await make_user(client, "manager")
    await login(client, manager)
    assert (await client.get("/text/themes")).status_code == 403
    client.cookies.clear()
    designer = await make_user(client, "designer")
    token = await login(client, designer)
    page = await client.get("/text/themes")
    assert page.status_code == 200 and 'name="name_0"' in page.text
    saved = await client.post(
        "/text/themes",
        data={"_csrf": token, "name_0": "waiting", "en_0": "queue*, wait*", "zh_0": "排队，等待"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    read = await api_key(client, "read")
    dictionary = (await client.get("/api/v1/text/dictionary", headers=read)).json()
    assert dictionary["themes"] == [
        {"name": "waiting", "en": ["queue*", "wait*"], "zh": ["排队", "等待"]}
    ]
    assert (await client.post("/text/themes", data={"name_0": "x"})).status_code == 403  # no CSRF


async def test_a_comment_free_response_queues_nothing(client: Any) -> None:
    await respond(client, 3, "")
    assert await jobs_of(client, "text.analyze") == []


async def test_missing_libraries_are_reported_once_and_nothing_is_queued(
    settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import surveyor_text

    monkeypatch.setattr(analyze, "missing_libraries", lambda: ["snownlp"])
    monkeypatch.setattr(surveyor_text, "_STATE", {})
    caplog.set_level(logging.WARNING, logger="surveyor.text")
    for _ in range(2):
        svc = build_services(settings)
        await start_services(svc)
        for hook in svc.pm.hook.startup.get_hookimpls():
            if hook.plugin_name == "surveyor_text":
                hook.function(services=svc)
        assert not any(
            getattr(listener, "surveyor_text", False)
            for listener in svc.tx_listeners.response_completed
        )
        await svc.db.close()
    warnings = [r for r in caplog.records if "missing libraries: snownlp" in r.getMessage()]
    assert len(warnings) == 1
