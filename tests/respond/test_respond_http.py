"""The respondent pages over HTTP: prefetch safety, partial saves, completion once,
expired and unknown links, bad answers, public links, unsubscribe, rate limits."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveyor import ResponseCompleted, hookimpl
from surveyor.app import create_app
from surveyor.plugins import make_plugin_manager
from surveyor.respond import store
from surveyor.respond.ratelimit import PUBLIC_STARTS, TOKEN_MISSES
from tests.conftest import app_services, drain, in_app
from tests.respond.helpers import count, invite, nps_definition, published, step_of

HX = {"HX-Request": "true"}


async def setup_link(client: Any, **kwargs: Any) -> tuple[str, Any]:
    db = app_services(client).db
    version = await in_app(client, published, db)
    token, _ = await in_app(client, lambda: invite(db, version, **kwargs))
    return token, version


async def db_count(client: Any, sql: str, *params: Any) -> int:
    return await in_app(client, count, app_services(client).db, sql, params)


async def answer_all(client: Any, token: str, score: int, comment: str = "") -> Any:
    page = await client.get(f"/s/{token}")
    await client.post(f"/s/{token}", data={"step": step_of(page.text), "q_score": str(score)})
    page = await client.get(f"/s/{token}")
    reason = step_of(page.text)
    page = await client.post(
        f"/s/{token}", data={"step": reason, f"q_{reason}": comment}, headers=HX
    )
    return await client.post(f"/s/{token}", data={"step": step_of(page.text)}, headers=HX)


async def test_get_and_head_never_record_anything(client) -> None:
    token, _ = await setup_link(client)
    for _ in range(3):
        assert (await client.head(f"/s/{token}")).status_code == 200
        page = await client.get(f"/s/{token}?score=9")
        assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert await db_count(client, "SELECT COUNT(*) FROM responses") == 0
    assert await db_count(client, "SELECT COUNT(*) FROM invitations WHERE status = 'sent'") == 1


async def test_score_in_the_link_is_preselected_and_confirmed_with_one_post(client) -> None:
    token, _ = await setup_link(client)
    page = await client.get(f"/s/{token}?score=9")
    assert 'value="9" checked' in page.text
    assert "Confirm" in page.text
    assert 'value="11"' not in (await client.get(f"/s/{token}?score=11")).text
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "9"})
    assert await db_count(client, "SELECT COUNT(*) FROM answers WHERE value = '9'") == 1


async def test_partial_answers_are_saved_and_the_customer_resumes(client) -> None:
    token, _ = await setup_link(client)
    response = await client.post(
        f"/s/{token}", data={"step": "score", "q_score": "3"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert await db_count(client, "SELECT COUNT(*) FROM responses WHERE status = 'partial'") == 1
    assert await db_count(client, "SELECT COUNT(*) FROM invitations WHERE status = 'opened'") == 1
    page = await client.get(f"/s/{token}")  # a new visit: the reason question for a detractor
    assert step_of(page.text) == "improve"
    assert "What could we do better?" in page.text


async def test_completion_freezes_the_response_and_shows_the_ending(client) -> None:
    token, _ = await setup_link(client)
    done = await answer_all(client, token, 3, "Too slow")
    assert done.status_code == 200
    assert "sorry we fell short" in done.text
    row = await in_app(
        client,
        app_services(client).db.fetch_one,
        "SELECT status, nps, completed_at FROM responses",
    )
    assert row["status"] == "complete" and row["nps"] == 3 and row["completed_at"]
    assert await db_count(client, "SELECT COUNT(*) FROM invitations WHERE status = 'answered'") == 1
    again = await client.get(f"/s/{token}")
    assert "Thank you" in again.text and 'name="step"' not in again.text
    refused = await client.post(f"/s/{token}", data={"step": "score", "q_score": "10"})
    assert refused.status_code == 409
    assert "already answered" in refused.text
    assert await db_count(client, "SELECT COUNT(*) FROM answers WHERE value = '10'") == 0


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    @hookimpl
    def response_completed(self, event: ResponseCompleted, services: Any) -> None:
        self.calls.append((event.response, event.values()))


@pytest.fixture
async def recorded(settings) -> Any:
    recorder = Recorder()
    app = create_app(
        settings,
        pm=make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(recorder,)),
    )
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as test_client:
        yield test_client, recorder


async def test_a_concurrent_double_submit_yields_exactly_one_completion(recorded) -> None:
    client, recorder = recorded
    token, _ = await setup_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "10"})
    await client.post(f"/s/{token}", data={"step": "right", "q_right": "fast"})
    final = {"step": "topics", "q_topics": ["price", "ease"]}
    results = await asyncio.gather(
        *(client.post(f"/s/{token}", data=final, headers=HX) for _ in range(5))
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409, 409]
    assert await db_count(client, "SELECT COUNT(*) FROM responses") == 1
    assert await db_count(client, "SELECT COUNT(*) FROM responses WHERE status = 'complete'") == 1
    await drain(client)
    assert len(recorder.calls) == 1
    response, answers = recorder.calls[0]
    assert response.nps == 10 and answers == {
        "score": 10,
        "right": "fast",
        "topics": ["price", "ease"],
    }


class Exploding:
    @hookimpl
    def response_completed(self, event: ResponseCompleted) -> None:
        raise RuntimeError("plugin bug")


async def test_hook_response_completed(settings) -> None:
    """A plugin that raises in response_completed loses nothing: the response is stored."""
    recorder = Recorder()
    pm = make_plugin_manager(
        settings.plugin_allow_list, settings.plugins_dir, extra=(Exploding(), recorder)
    )
    app = create_app(settings, pm=pm)
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        token, version = await setup_link(client)
        done = await answer_all(client, token, 9, "Quick")
        assert done.status_code == 200 and "Thank you" in done.text
        assert (
            await db_count(client, "SELECT COUNT(*) FROM responses WHERE status = 'complete'") == 1
        )
        await drain(client)
        ((response, answers),) = recorder.calls
        assert response.status == "complete" and response.survey_version_id == version.id
        assert answers["score"] == 9


async def test_a_failing_transactional_callback_stores_nothing_of_the_last_step(client) -> None:
    async def broken(tx: Any, event: ResponseCompleted) -> None:
        raise RuntimeError("no case today")

    app_services(client).tx_listeners.response_completed[:] = [broken]
    token, _ = await setup_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "9"})
    await client.post(f"/s/{token}", data={"step": "right", "q_right": "ok"})
    failed = await client.post(f"/s/{token}", data={"step": "topics", "q_topics": "price"})
    assert failed.status_code == 500
    assert await db_count(client, "SELECT COUNT(*) FROM responses WHERE status = 'partial'") == 1
    assert await db_count(client, "SELECT COUNT(*) FROM answers WHERE question_id = 'topics'") == 0


async def test_expired_and_unknown_links_show_the_same_friendly_page(client) -> None:
    expired, _ = await setup_link(client, expires_in=timedelta(seconds=-1))
    gone = await client.get(f"/s/{expired}")
    unknown = await client.get("/s/" + "A" * 32)
    assert gone.status_code == unknown.status_code == 404
    assert "This link is not available" in gone.text
    assert gone.text == unknown.text
    posted = await client.post(f"/s/{expired}", data={"step": "score", "q_score": "5"})
    assert posted.status_code == 404
    assert await db_count(client, "SELECT COUNT(*) FROM responses") == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"step": "score", "q_score": "11"}, "from 0 to 10"),
        ({"step": "score", "q_score": "-1"}, "from 0 to 10"),
        ({"step": "score", "q_score": "7.5"}, "Choose a number"),
        ({"step": "score", "q_score": "seven"}, "Choose a number"),
        ({"step": "score", "q_score": ["3", "4"]}, "Choose one answer"),
        ({"step": "score"}, "needs an answer"),
        ({"step": "score", "q_score": "x" * 30_000}, "too long"),
    ],
)
async def test_bad_first_answers_are_refused_inline_and_store_nothing(
    client, form, message
) -> None:
    token, _ = await setup_link(client)
    response = await client.post(f"/s/{token}", data=form)
    assert response.status_code == 422
    assert message in response.text
    assert await db_count(client, "SELECT COUNT(*) FROM responses") == 0


async def test_a_choice_that_is_not_an_option_and_a_huge_comment_are_refused(client) -> None:
    token, _ = await setup_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "2"})
    huge = await client.post(f"/s/{token}", data={"step": "improve", "q_improve": "x" * 1_000_000})
    assert huge.status_code in (413, 422)
    long = await client.post(f"/s/{token}", data={"step": "improve", "q_improve": "x" * 6000})
    assert long.status_code == 422 and "under 5000 characters" in long.text
    await client.post(f"/s/{token}", data={"step": "improve", "q_improve": "fine"})
    bad = await client.post(f"/s/{token}", data={"step": "topics", "q_topics": "bribe"}, headers=HX)
    assert bad.status_code == 422 and "Choose among the options" in bad.text
    assert await db_count(client, "SELECT COUNT(*) FROM answers") == 2  # score and the fine comment
    assert await db_count(client, "SELECT COUNT(*) FROM responses WHERE status = 'complete'") == 0


async def test_a_step_that_is_not_visible_is_not_accepted(client) -> None:
    token, _ = await setup_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "2"})
    # "right" is only shown to promoters: a crafted post for it changes nothing.
    response = await client.post(f"/s/{token}", data={"step": "right", "q_right": "sneaky"})
    assert response.status_code == 409
    assert await db_count(client, "SELECT COUNT(*) FROM answers WHERE question_id = 'right'") == 0


async def test_typed_markup_and_htmx_attributes_come_back_inert(client) -> None:
    token, _ = await setup_link(client)
    await client.post(f"/s/{token}", data={"step": "score", "q_score": "2"})
    evil = '</textarea><b hx-get="/x" hx-trigger="load">{{7*7}}</b>'
    page = await client.post(
        f"/s/{token}", data={"step": "improve", "q_improve": evil + "x" * 6000}
    )
    assert page.status_code == 422
    assert "<b hx-get" not in page.text
    assert "&lt;/textarea&gt;&lt;b hx-get=&#34;/x&#34;" in page.text


async def test_the_locale_comes_from_the_invitation_then_accept_language(client) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db, nps_definition(locales=["en", "zh_Hans"]))
    token, _ = await in_app(client, lambda: invite(db, version, locale="zh_Hans"))
    page = await client.get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in page.text
    assert "下一步" in page.text  # the interface strings are translated
    other, _ = await in_app(client, lambda: invite(db, version, external_id="cust-2"))
    page = await client.get(f"/s/{other}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in page.text
    page = await client.get(f"/s/{other}", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in page.text


async def test_token_guessing_is_limited_even_with_rotating_forwarded_for(client) -> None:
    token, _ = await setup_link(client)
    limit, _ = TOKEN_MISSES
    for i in range(limit):
        miss = await client.get(
            f"/s/{'B' * 31}{i % 10}", headers={"X-Forwarded-For": f"10.0.0.{i}"}
        )
        assert miss.status_code == 404
    blocked = await client.get(f"/s/{'C' * 32}", headers={"X-Forwarded-For": "10.9.9.9"})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    # Only wrong guesses are refused (issue 18): a customer behind the same address with a
    # valid link still answers and can still unsubscribe.
    valid = await client.get(f"/s/{token}", headers={"X-Forwarded-For": "10.9.9.9"})
    assert valid.status_code == 200
    assert (await client.post(f"/u/{token}", data={"action": "unsubscribe"})).status_code == 200
    assert (await client.post(f"/u/{'D' * 32}", data={"action": "unsubscribe"})).status_code == 429


async def test_unsubscribe_is_one_confirmed_click_with_undo(client) -> None:
    token, _ = await setup_link(client)
    db = app_services(client).db
    page = await client.get(f"/u/{token}")
    assert page.status_code == 200 and "Unsubscribe" in page.text
    assert (await client.head(f"/u/{token}")).status_code == 200
    assert (
        await db_count(client, "SELECT COUNT(*) FROM contacts WHERE unsubscribed_at IS NULL") == 1
    )
    done = await client.post(f"/u/{token}", data={"action": "unsubscribe"})
    assert "You are unsubscribed" in done.text and "Undo" in done.text
    assert (
        await db_count(client, "SELECT COUNT(*) FROM contacts WHERE unsubscribed_at IS NOT NULL")
        == 1
    )
    undone = await client.post(f"/u/{token}", data={"action": "resubscribe"}, headers=HX)
    assert "receive surveys again" in undone.text
    assert (
        await db_count(client, "SELECT COUNT(*) FROM contacts WHERE unsubscribed_at IS NULL") == 1
    )
    await client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert (
        await db_count(client, "SELECT COUNT(*) FROM contacts WHERE unsubscribed_at IS NOT NULL")
        == 1
    )
    actions = await in_app(
        client,
        db.fetch_all,
        "SELECT action FROM audit_log WHERE target_type = 'contact' ORDER BY at",
    )
    assert [a["action"] for a in actions][-3:] == [
        "contact.unsubscribed",
        "contact.resubscribed",
        "contact.unsubscribed",
    ]
    assert (await client.get("/u/" + "C" * 32)).status_code == 404


async def test_public_links_keep_whitelisted_hidden_fields_and_resume(client) -> None:
    db = app_services(client).db
    definition = nps_definition(settings={"hidden_fields": ["plan"]})
    version = await in_app(client, published, db, definition)
    link = await in_app(
        client, lambda: store.create_public_link(db, version.survey_id, slug="feedback")
    )
    assert (await client.head(f"/p/{link.slug}")).status_code == 200
    page = await client.get(f"/p/{link.slug}?plan=pro&secret=x")
    assert 'name="h_plan" value="pro"' in page.text and "secret" not in page.text
    first = await client.post(
        f"/p/{link.slug}",
        data={"step": "score", "q_score": "8", "h_plan": "pro", "h_secret": "x"},
        follow_redirects=False,
    )
    assert first.status_code == 303
    resume = first.headers["location"]
    assert resume.startswith("/p/feedback?r=")
    page = await client.get(resume)
    assert step_of(page.text) == "higher"
    row = await in_app(client, db.fetch_one, "SELECT hidden, channel, invitation_id FROM responses")
    assert row["hidden"] == '{"plan":"pro"}' and row["channel"] == "public"
    assert (await client.get("/p/nope")).status_code == 404


async def test_public_links_limit_new_responses_per_client(client) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db)
    link = await in_app(client, lambda: store.create_public_link(db, version.survey_id))
    limit, _ = PUBLIC_STARTS
    for _ in range(limit):
        started = await client.post(
            f"/p/{link.slug}", data={"step": "score", "q_score": "9"}, follow_redirects=False
        )
        assert started.status_code == 303
    refused = await client.post(
        f"/p/{link.slug}",
        data={"step": "score", "q_score": "9"},
        headers={"X-Forwarded-For": "192.0.2.1"},
    )
    assert refused.status_code == 429
    # A respondent who already started continues: only starting a response is limited.
    resume = started.headers["location"].split("r=")[1]
    going_on = await client.post(
        f"/p/{link.slug}",
        data={"r": resume, "step": "right", "q_right": "ok"},
        follow_redirects=False,
    )
    assert going_on.status_code == 303
    assert await db_count(client, "SELECT COUNT(*) FROM responses") == limit


async def test_a_one_page_survey_completes_in_one_post_when_nothing_new_appears(client) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db, nps_definition(settings={"one_page": True}))
    token, _ = await in_app(client, lambda: invite(db, version))
    page = await client.get(f"/s/{token}")
    assert step_of(page.text) == "score,topics"
    again = await client.post(
        f"/s/{token}",
        data={"step": "score,topics", "q_score": "10", "q_topics": "ease"},
        headers=HX,
    )
    assert step_of(again.text) == "score,right,topics"  # the promoter question appeared
    done = await client.post(
        f"/s/{token}",
        data={"step": "score,right,topics", "q_score": "10", "q_right": "all", "q_topics": "ease"},
        headers=HX,
    )
    assert "Thank you for your feedback!" in done.text
    assert await db_count(client, "SELECT COUNT(*) FROM responses WHERE status = 'complete'") == 1


async def test_the_survey_list_counts_completed_responses_through_the_registry(client) -> None:
    token, version = await setup_link(client)
    counter = app_services(client).response_counts
    db = app_services(client).db
    assert await in_app(client, counter, db, [version.survey_id]) == {}
    await answer_all(client, token, 9, "ok")
    assert await in_app(client, counter, db, [version.survey_id]) == {version.survey_id: 1}
