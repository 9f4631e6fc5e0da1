"""The plugin's extension of the response records: sentiment and themes on the response
API and in its exports, and the feed filtered by theme and sentiment (page and API)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.conftest import api_key, drain, login, make_user
from tests.text.test_plugin import respond


async def test_the_response_api_and_exports_carry_sentiment_and_themes(client: Any) -> None:
    _, angry = await respond(client, 3, "The app crashes all the time. Terrible, I am angry.")
    _, happy = await respond(client, 10, "Great support, the staff were friendly and helpful.")
    _, silent = await respond(client, 9, "")
    await drain(client)
    read = await api_key(client, "read")

    one = await client.get(f"/api/v1/responses/{angry.id}", headers=read)
    assert one.status_code == 200, one.text
    text = one.json()["extras"]["text"]
    assert text["label"] == "negative" and -1 <= text["sentiment"] < 0
    assert text["language"] == "en" and "reliability" in text["themes"]
    none = await client.get(f"/api/v1/responses/{silent.id}", headers=read)
    assert none.json()["extras"] == {}

    exported = await client.get("/api/v1/responses/export?format=json", headers=read)
    assert exported.status_code == 200, exported.text
    by_id = {item["response_id"]: item for item in exported.json()}
    assert by_id[happy.id]["extras"]["text"]["label"] == "positive"
    assert "support" in by_id[happy.id]["extras"]["text"]["themes"]
    assert by_id[silent.id]["extras"] == {}

    sheet = await client.get("/api/v1/responses/export?format=csv", headers=read)
    rows = {r["response_id"]: r for r in csv.DictReader(io.StringIO(sheet.text.lstrip("\ufeff")))}
    assert rows[angry.id]["text_label"] == "negative"
    assert "reliability" in rows[angry.id]["text_themes"].split("; ")
    assert rows[angry.id]["text_language"] == "en"
    assert float(rows[angry.id]["text_sentiment"]) < 0
    assert rows[silent.id]["text_label"] == "" and rows[silent.id]["text_themes"] == ""


async def test_the_feed_filters_by_theme_and_sentiment(client: Any) -> None:
    _, angry = await respond(client, 3, "The app crashes all the time. Terrible, I am angry.")
    _, happy = await respond(client, 10, "Great support, the staff were friendly and helpful.")
    await drain(client)
    read = await api_key(client, "read")

    async def ids(query: str) -> set[str]:
        found = await client.get(f"/api/v1/responses?{query}", headers=read)
        assert found.status_code == 200, found.text
        return {item["id"] for item in found.json()["items"]}

    assert await ids("sentiment=negative") == {angry.id}
    assert await ids("sentiment=positive") == {happy.id}
    assert await ids("theme=support") == {happy.id}
    assert await ids("theme=reliability&sentiment=negative") == {angry.id}
    assert await ids("theme=reliability&sentiment=positive") == set()
    assert await ids("theme=nothing-like-this") == set()
    sheet = await client.get(
        "/api/v1/responses/export?format=json&sentiment=negative", headers=read
    )
    assert [item["response_id"] for item in sheet.json()] == [angry.id]

    for bad, field in (("sentiment=angry", "sentiment"), ("theme=" + "x" * 101, "theme")):
        answer = await client.get(f"/api/v1/responses?{bad}", headers=read)
        assert answer.status_code == 400 and field in answer.text, answer.text
        answer = await client.get(f"/api/v1/responses/export?{bad}", headers=read)
        assert answer.status_code == 400 and field in answer.text, answer.text

    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    page = await client.get("/responses?theme=support")
    assert page.status_code == 200
    assert '<select name="theme">' in page.text
    assert '<option value="support" selected>support</option>' in page.text
    assert happy.id in page.text and angry.id not in page.text
    page = await client.get("/responses?sentiment=negative")
    assert '<option value="negative" selected>' in page.text
    assert angry.id in page.text and happy.id not in page.text
    assert (await client.get("/responses?sentiment=angry")).status_code == 400
    saved = await client.post(
        "/responses/filters",
        data={"_csrf": csrf, "name": "Angry", "query": "sentiment=negative&theme=billing"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert "sentiment=negative" in saved.headers["location"]
    assert "theme=billing" in saved.headers["location"]
    refused = await client.post(
        "/responses/filters",
        data={"_csrf": csrf, "name": "Bad", "query": "sentiment=awful"},
        follow_redirects=False,
    )
    assert refused.status_code == 400 and "sentiment" in refused.text
