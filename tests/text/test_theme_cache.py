"""The dashboards' themes panel, cached per scope and data version (issue 17), is exactly
the row computation on both engines: after new responses, analyses landing later (the
worker), a re-index with a new dictionary, an erased contact and a deleted response the
cached report is compared with ``themes_report`` (the rows) with ``==``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from surveyor_text.themes import cached_report, themes_report

from surveyor.ids import utcnow
from surveyor.metrics import driver_cache
from surveyor.metrics.queries import Scope
from surveyor.records.erasure import erase_contact
from tests.conftest import api_key, app_services, drain, in_app, login, make_user
from tests.followups.helpers import answer, contact
from tests.text.test_plugin import respond


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    driver_cache.clear()
    yield
    driver_cache.clear()


def _scopes() -> list[tuple[Scope, str, int]]:
    now = utcnow()
    wide = Scope(start=now - timedelta(days=30), end=now + timedelta(days=1))
    cp = wide.with_checkpoint("order_delivered")
    return [
        (cp, "day", 10),
        (cp, "month", 100),
        (
            Scope(
                start=cp.start,
                end=cp.end,
                checkpoint_key="order_delivered",
                segment=("tier", "gold"),
            ),
            "week",
            10,
        ),
        (wide, "month", 100),
    ]


async def _assert_exact(client: Any, scopes: list[tuple[Scope, str, int]]) -> list[Any]:
    """Every scope's cached report equals the rows' (and is cached afterwards)."""
    db = app_services(client).db

    async def check() -> list[Any]:
        found = []
        for scope, bucket, top in scopes:
            cached = await cached_report(db, scope, bucket, top=top)  # type: ignore[arg-type]
            assert cached == await themes_report(db, scope, bucket, top=top)  # type: ignore[arg-type]
            found.append(cached)
        return found

    return await in_app(client, check)


async def test_the_cached_themes_panel_is_the_row_computation(client: Any) -> None:
    scopes = _scopes()
    await respond(client, 3, "The delivery was late and the driver was rude.", tier="gold")
    await respond(client, 9, "Great price, fast delivery.", tier="silver")
    await drain(client)
    first = await _assert_exact(client, scopes)
    assert first[0]["analysed"] == 2 and first[0]["themes"]
    # Served from the cache while nothing changed: the very same objects.
    again = await _assert_exact(client, scopes)
    assert all(a is b for a, b in zip(first, again, strict=True))

    # A new response: the panel counts it at once, its analysis lands later (the worker).
    _, late = await respond(client, 5, "There is never any parking near the store.", tier="gold")
    counted = await _assert_exact(client, scopes)
    assert counted[0]["responses"] == 3 and counted[0]["analysed"] == 2
    await drain(client)
    landed = await _assert_exact(client, scopes)
    assert landed[0]["analysed"] == 3

    # A re-index with a new theme rewrites the old analyses.
    read, admin = await api_key(client, "read"), await api_key(client, "admin")
    current = (await client.get("/api/v1/text/dictionary", headers=read)).json()
    themes = [*current["themes"], {"name": "parking", "en": ["parking"], "zh": ["停车"]}]
    saved = await client.put("/api/v1/text/dictionary", json={"themes": themes}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert (await client.post("/api/v1/text/reindex", headers=admin)).status_code == 202
    await drain(client)
    reindexed = await _assert_exact(client, scopes)
    assert any(t["theme"] == "parking" for t in reindexed[0]["themes"])

    # An erased contact leaves its segment; a deleted response (and its analysis) goes.
    svc = app_services(client)

    async def erase_gold() -> None:
        who = await svc.db.fetch_val("SELECT contact_id FROM responses WHERE id = ?", (late.id,))
        await erase_contact(svc, who, actor_label="test")

    await in_app(client, erase_gold)
    erased = await _assert_exact(client, scopes)
    assert erased[2]["responses"] == 1

    async def delete_one() -> None:
        await svc.db.write(lambda tx: tx.execute("DELETE FROM responses WHERE id = ?", (late.id,)))

    await in_app(client, delete_one)
    deleted = await _assert_exact(client, scopes)
    assert deleted[0]["responses"] == 2 and deleted[0]["analysed"] == 2


async def test_erasing_a_contact_forgets_the_comment_its_analysis_kept(client: Any) -> None:
    _, kept = await respond(client, 9, "Lovely staff, thanks Jane from the Hill Street store.")
    _, erased = await respond(client, 2, "Call me on 555 0100, the parcel never came.", tier="gold")
    await drain(client)
    svc = app_services(client)

    async def analyses() -> dict[str, dict[str, Any]]:
        rows = await svc.db.fetch_all(
            "SELECT response_id, comment, key_phrases, sentiment_label, themes FROM text_analyses"
        )
        return {row["response_id"]: row for row in rows}

    before = await in_app(client, analyses)
    assert "555 0100" in before[erased.id]["comment"]
    assert before[erased.id]["key_phrases"] != "[]"

    async def erase() -> None:
        who = await svc.db.fetch_val("SELECT contact_id FROM responses WHERE id = ?", (erased.id,))
        await erase_contact(svc, who, actor_label="test")

    await in_app(client, erase)
    after = await in_app(client, analyses)
    assert after[erased.id]["comment"] == "" and after[erased.id]["key_phrases"] == "[]"
    # What is not the customer's words stays, like the response's scores.
    for field in ("sentiment_label", "themes"):
        assert after[erased.id][field] == before[erased.id][field]
    assert after[kept.id] == before[kept.id]


async def respond_to(client: Any, version: Any, score: int, comment: str) -> None:
    """One more completed response to the same survey version (``respond`` makes a survey)."""
    svc = app_services(client)

    async def go() -> None:
        on_complete = list(svc.tx_listeners.response_completed)
        await answer(svc, version, await contact(svc.db), score, comment, on_complete=on_complete)

    await in_app(client, go)


async def test_after_a_write_the_panel_is_shown_as_of_its_time_then_updates(client: Any) -> None:
    await login(client, await make_user(client, "manager"))
    version, _ = await respond(client, 3, "The delivery was late and the driver was rude.")
    await drain(client)
    url = f"/dashboard/surveys/{version.survey_id}"
    first = await client.get(url)
    assert first.status_code == 200 and 'id="themes-panel"' in first.text
    assert 'id="themes-as-of"' not in first.text and "1 of 1 responses" in first.text

    # A new response and its analysis: the next view shows the last panel "as of" its
    # time (no row scan in the request) and recomputes it after answering ...
    await respond_to(client, version, 9, "Great price, fast delivery.")
    await drain(client)
    stale = await client.get(url)
    assert 'id="themes-as-of"' in stale.text and "1 of 1 responses" in stale.text
    # ... so the view after that is current, and exactly the rows' report.
    await in_app(client, driver_cache.settled)
    fresh = await client.get(url)
    assert 'id="themes-as-of"' not in fresh.text and "2 of 2 responses" in fresh.text
    db = app_services(client).db
    now = utcnow()
    scope = Scope(start=now - timedelta(days=90), end=now, survey_id=version.survey_id)

    async def same() -> bool:
        cached = await driver_cache.reuse_as_of(
            db, scope, ("check",), lambda: themes_report(db, scope, "week", top=10)
        )
        return cached.result == await themes_report(db, scope, "week", top=10)

    assert await in_app(client, same)


async def test_the_as_of_label_is_translated(client: Any) -> None:
    manager = await make_user(client, "manager")
    db = app_services(client).db
    await in_app(
        client,
        lambda: db.write(
            lambda tx: tx.execute("UPDATE users SET locale = 'zh_Hans' WHERE id = ?", (manager.id,))
        ),
    )
    await login(client, manager)
    version, _ = await respond(client, 3, "The delivery was late and the driver was rude.")
    await drain(client)
    url = f"/dashboard/surveys/{version.survey_id}"
    await client.get(url)
    await respond_to(client, version, 9, "Great price, fast delivery.")
    await drain(client)
    page = await client.get(url)
    assert 'id="themes-as-of"' in page.text and "正在纳入较新的评论" in page.text
