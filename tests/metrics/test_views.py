"""Dashboards, journey map, before/after markers and the response page, with demo data."""

from __future__ import annotations

import re
from datetime import timedelta

from surveyor.demo.checkpoints import seed_journey
from surveyor.demo.metrics import seed_metrics
from surveyor.ids import utcnow
from tests.conftest import app_services, in_app, login, make_user


async def _demo(client):
    svc = app_services(client)
    lines: list[str] = []

    async def seed():
        await seed_journey(svc, lines.append)
        await seed_metrics(svc, lines.append)

    await in_app(client, seed)
    return lines


async def test_dashboard_overview_lists_checkpoints_in_journey_order_with_n_and_interval(client):
    await _demo(client)
    await login(client, await make_user(client, "manager"))
    page = await client.get("/dashboard")
    assert page.status_code == 200, page.text
    names = re.findall(r'href="/dashboard/checkpoints/([a-z_]+)\?', page.text)
    assert names[:3] == ["signed_up", "onboarding_done", "order_delivered"]
    assert "n = " in page.text and "Journey pulse (demo)" in page.text


async def test_checkpoint_dashboard_shows_charts_badges_funnel_and_before_after(client):
    await _demo(client)
    await login(client, await make_user(client, "designer"))
    page = await client.get("/dashboard/checkpoints/support_case_closed?days=365")
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count("<svg") >= 4  # trend, distribution, funnel, channels
    assert "Self-service returns launched" in html
    assert "marker marker-accelerator" in html  # the marker drawn on the trend
    assert "vs previous period" in html
    assert "significant" in html  # the demo's effect is large enough to be significant
    assert "Response rate" in html and 'href="/responses/' in html
    assert "/dashboard/export?format=csv&amp;checkpoint=support_case_closed" in html
    # htmx asks for the body only.
    part = await client.get(
        "/dashboard/checkpoints/support_case_closed?days=90&metric=emotion&segment_key=tier&segment_value=vip",
        headers={"HX-Request": "true"},
    )
    assert part.status_code == 200
    assert "<html" not in part.text and "<svg" in part.text


async def test_journey_map_shows_every_checkpoint_side_by_side_and_the_emotion_curve(client):
    await _demo(client)
    await login(client, await make_user(client, "manager"))
    page = await client.get("/journey/map")
    assert page.status_code == 200, page.text
    assert page.text.count('class="card stop"') == 6
    assert "Emotion curve" in page.text and "<svg" in page.text
    for label in ("NPS", "CES (mean, 1–7)", "Emotion (mean, 1–10)"):
        assert label in page.text


async def test_staff_mark_a_change_and_see_it_compared_before_and_after(client):
    await _demo(client)
    token = await login(client, await make_user(client, "manager"))
    day = (utcnow() - timedelta(days=30)).date().isoformat()
    answer = await client.post(
        "/dashboard/checkpoints/renewal/annotations",
        data={"_csrf": token, "kind": "blocker", "title": "Price rise", "happened_on": day},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = await client.get("/dashboard/checkpoints/renewal")
    assert "Price rise" in page.text and "30 days after against the 30 days before" in page.text
    bad = await client.post(
        "/dashboard/checkpoints/renewal/annotations",
        data={"_csrf": token, "kind": "blocker", "title": "x", "happened_on": "soon"},
    )
    assert bad.status_code == 400 and "happened_on" in bad.text


async def test_response_page_shows_labelled_answers(client):
    await _demo(client)
    # Designers see every response; a manager only their own accounts' (tests/records).
    await login(client, await make_user(client, "designer"))
    db = app_services(client).db
    response_id = await in_app(
        client,
        db.fetch_val,
        "SELECT response_id FROM answers WHERE question_id = 'reason' LIMIT 1",
    )
    page = await client.get(f"/responses/{response_id}")
    assert page.status_code == 200, page.text
    assert "What is the main reason for your score?" in page.text


async def test_staff_download_button_streams_a_csv(client):
    await _demo(client)
    # Exports are for designers and admins (#12); a manager gets 403 (tests/records).
    await login(client, await make_user(client, "designer"))
    answer = await client.get("/dashboard/export?format=csv&checkpoint=renewal&days=90")
    assert answer.status_code == 200
    lines = answer.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("response_id,")
    # The download holds what the dashboard shows: this checkpoint, these 90 days.
    db = app_services(client).db
    since = (utcnow() - timedelta(days=90)).isoformat()
    expected = await in_app(
        client,
        db.fetch_val,
        "SELECT count(*) FROM responses WHERE checkpoint_key = 'renewal' AND completed_at >= ?",
        (since[:19],),
    )
    assert abs(len(lines) - 1 - expected) <= 1  # a response may sit on the boundary second
    segment = await client.get(
        "/dashboard/export?format=csv&checkpoint=renewal&days=90&segment_key=tier&segment_value=vip"
    )
    assert 1 < len(segment.text.splitlines()) < len(lines)


async def test_dashboards_need_a_sign_in(client):
    answer = await client.get("/dashboard", follow_redirects=False)
    assert answer.status_code in (302, 303, 401)


async def test_a_survey_dashboard_draws_the_markers_of_the_checkpoints_that_send_it(client):
    """Issue 19: change markers on every trend chart, a survey's too (with the survey's
    own before/after delta)."""
    from surveyor.checkpoints.store import get_checkpoint

    await _demo(client)
    await login(client, await make_user(client, "manager"))
    checkpoint = await in_app(
        client, get_checkpoint, app_services(client).db, "support_case_closed"
    )
    page = await client.get(f"/dashboard/surveys/{checkpoint.survey_id}?days=365&metric=ces")
    assert page.status_code == 200, page.text
    assert 'class="marker marker-accelerator" data-delta="CES ' in page.text
    assert "Self-service returns launched" in page.text
