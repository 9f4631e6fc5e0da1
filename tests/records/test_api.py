"""``/api/v1/responses`` and ``/api/v1/contacts``: filters, search, pages, bad input.
Runs on SQLite (FTS5) and PostgreSQL (tsvector) alike."""

from __future__ import annotations

import pytest

from tests.conftest import api_key
from tests.records.helpers import CJK_COMMENT, ERIN, seed


async def ids(client, key, **params) -> list[str]:
    answer = await client.get("/api/v1/responses", params=params, headers=key)
    assert answer.status_code == 200, answer.text
    return [r["id"] for r in answer.json()["items"]]


async def test_the_feed_filters_searches_and_pages(client) -> None:
    world = await seed(client)
    r = world.responses
    key = await api_key(client, "read")
    everything = await ids(client, key)
    assert set(everything) == {x.id for x in r.values()}
    assert set(await ids(client, key, nps="detractor")) == {r["erin_late"].id}
    assert set(await ids(client, key, nps="promoter")) == {r["erin_plain"].id, r["bob_happy"].id}
    assert set(await ids(client, key, has_comment="false")) == {r["erin_plain"].id}
    assert set(await ids(client, key, q="parcel LATE")) == {r["erin_late"].id}
    assert set(await ids(client, key, q="parc")) == {r["erin_late"].id}  # prefixes match
    assert set(await ids(client, key, q="包装")) == {r["erin_cjk"].id}
    assert set(await ids(client, key, segment="tier:gold")) == {
        r["bob_happy"].id,
        r["bob_meh"].id,
    }
    assert set(await ids(client, key, contact_id=world.bob.id, nps="passive")) == {r["bob_meh"].id}
    assert await ids(client, key, status="partial") == []
    assert set(await ids(client, key, checkpoint="order_delivered", channel="email")) == set(
        everything
    )
    assert await ids(client, key, to="2000-01-01") == []
    # Pages: every response once, newest first, in the shape of the other lists.
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/responses", params=params, headers=key)).json()
        assert set(page) == {"items", "next_cursor"}
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(seen) == 5
    first = (await client.get("/api/v1/responses", headers=key)).json()["items"]
    late = next(item for item in first if item["id"] == r["erin_late"].id)
    assert late["contact_external_id"] == "cus_erin"
    assert "parcel came late" in late["comment"]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'; DROP TABLE responses; --",
        'parcel" OR "x',
        "NEAR(a b) AND NOT c*",
        "col:value ^x -y +z (",
        "a & b | !c <-> d:*",
        "%",
        "_",
        "\\",
        "***",
    ],
)
async def test_search_operators_and_wildcards_are_plain_text(client, q) -> None:
    world = await seed(client)
    key = await api_key(client, "read")
    answer = await client.get("/api/v1/responses", params={"q": q}, headers=key)
    assert answer.status_code == 200, answer.text
    found = {item["id"] for item in answer.json()["items"]}
    # Nothing typed here is a word of every comment: no wildcard matched everything.
    assert found != {x.id for x in world.responses.values()}
    if q in ("%", "_"):
        assert found == set()


async def test_search_words_with_percent_and_underscore_match_as_words(client) -> None:
    world = await seed(client)
    key = await api_key(client, "read")
    assert set(await ids(client, key, q="100%")) == {world.responses["bob_happy"].id}
    assert set(await ids(client, key, q="happy_customer")) == {world.responses["bob_happy"].id}
    assert set(await ids(client, key, q='"like this"')) == {world.responses["bob_meh"].id}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 10_000}, "q"),
        ({"nps": "awesome"}, "nps"),
        ({"ces": "promoter"}, "ces"),
        ({"status": "done"}, "status"),
        ({"has_comment": "maybe"}, "has_comment"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"segment": "no-colon"}, "segment"),
        ({"survey": "a b"}, "survey"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_filters_are_a_400_naming_the_field(client, params, field) -> None:
    key = await api_key(client, "read")
    answer = await client.get("/api/v1/responses", params=params, headers=key)
    assert answer.status_code == 400, answer.text
    assert field in answer.text


async def test_one_response_has_labels_contact_invitation_and_case(client) -> None:
    world = await seed(client)
    key = await api_key(client, "read")
    late = world.responses["erin_late"]
    answer = await client.get(f"/api/v1/responses/{late.id}", headers=key)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["contact_external_id"] == "cus_erin"
    assert body["invitation"]["id"] == late.invitation_id
    labels = {a["question_id"]: a["label"] for a in body["answers"]}
    assert labels["score"] and labels["score"] != "score"
    assert body["nps"] == 2
    missing = await client.get("/api/v1/responses/nope", headers=key)
    assert missing.status_code == 404
    assert (await client.get(f"/api/v1/responses/{late.id}")).status_code == 401
    assert "/api/v1/responses" in (await client.get("/schema/openapi.json")).text


async def test_contacts_search_and_history(client) -> None:
    world = await seed(client)
    key = await api_key(client, "read")
    found = await client.get("/api/v1/contacts", params={"q": "erin.priv"}, headers=key)
    assert [c["external_id"] for c in found.json()["items"]] == ["cus_erin"]
    by_name = await client.get("/api/v1/contacts", params={"q": "builder"}, headers=key)
    assert [c["external_id"] for c in by_name.json()["items"]] == ["cus_bob"]
    by_attr = await client.get("/api/v1/contacts", params={"attribute": "tier:gold"}, headers=key)
    assert [c["external_id"] for c in by_attr.json()["items"]] == ["cus_bob"]
    for q in ("%", "_", "a\x00", "x" * 10_000):
        odd = await client.get("/api/v1/contacts", params={"q": q}, headers=key)
        assert odd.status_code in (200, 400), odd.text
        if odd.status_code == 200:
            assert odd.json()["items"] == []
    assert (
        await client.get("/api/v1/contacts", params={"attribute": "x"}, headers=key)
    ).status_code == 400
    history = (await client.get(f"/api/v1/contacts/{world.erin.id}", headers=key)).json()
    assert history["email"] == ERIN["email"]
    assert [e["decision"] for e in history["events"]] == ["scheduled"]
    assert history["invitations"][0]["delivery_status"] == "queued"
    assert len(history["responses"]) == 3
    kinds = {entry["kind"] for entry in history["timeline"]}
    assert {"event", "invitation", "response"} <= kinds
    assert any(r["comment"] == CJK_COMMENT for r in history["responses"])
    assert (await client.get("/api/v1/contacts/nope", headers=key)).status_code == 404


async def test_subject_access_export_holds_everything_and_needs_admin(client) -> None:
    world = await seed(client)
    read = await api_key(client, "read")
    admin = await api_key(client, "admin")
    url = f"/api/v1/contacts/{world.erin.id}/export"
    assert (await client.get(url, headers=read)).status_code == 403
    answer = await client.get(url, headers=admin)
    assert answer.status_code == 200
    data = answer.json()
    assert data["contact"]["email"] == ERIN["email"]
    assert data["events"][0]["properties"] == {"note": ERIN["name"]}
    texts = [a["text"] for r in data["responses"] for a in r["answers"]]
    assert CJK_COMMENT in texts
    assert (await client.get("/api/v1/contacts/nope/export", headers=admin)).status_code == 404


async def exported(client, key, **params) -> list[str]:
    answer = await client.get(
        "/api/v1/responses/export", params={"format": "json", **params}, headers=key
    )
    assert answer.status_code == 200, answer.text
    return [item["response_id"] for item in answer.json()]


async def test_the_export_api_honours_the_feeds_filters(client) -> None:
    world = await seed(client)
    r = world.responses
    key = await api_key(client, "read")
    assert set(await exported(client, key)) == {x.id for x in r.values()}
    assert await exported(client, key, q="parcel") == [r["erin_late"].id]
    assert set(await exported(client, key, nps="promoter")) == {
        r["erin_plain"].id,
        r["bob_happy"].id,
    }
    # Combined filters, and the export lists exactly what the feed lists.
    for params in (
        {"nps": "promoter", "q": "Quixotic"},
        {"has_comment": "true"},
        {"q": CJK_COMMENT[:2]},
    ):
        assert set(await exported(client, key, **params)) == set(await ids(client, key, **params))
    csv = await client.get("/api/v1/responses/export", params={"q": "parcel"}, headers=key)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert r["erin_late"].id in csv.text and r["bob_happy"].id not in csv.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"nps": "fans"}, "nps"),
        ({"status": "done"}, "status"),
        ({"from": "yesterday"}, "from"),
        ({"q": "a\x00b"}, "q"),
        ({"segment": "tier"}, "segment"),
        ({"format": "xlsx"}, "format"),
        ({"cursor": "abc"}, "cursor"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_the_export_api_refuses_a_bad_filter_naming_it(client, params, field) -> None:
    key = await api_key(client, "read")
    answer = await client.get("/api/v1/responses/export", params=params, headers=key)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["field"] == field
