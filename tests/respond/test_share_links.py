"""Share links: CRUD in the API, limits (pause, expiry, cap, checkpoint), QR codes that
decode back to the link, snippets, and score links that record nothing when prefetched."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import msgspec
import zxingcpp

from surveyor.respond import links
from tests.conftest import api_key, app_services, in_app
from tests.respond.helpers import invite, nps_definition, published


def one_question():
    data = msgspec.to_builtins(nps_definition())
    data["questions"] = data["questions"][:1]
    data["endings"] = []
    return msgspec.convert(data, type(nps_definition()))


async def survey(client, definition=None) -> str:
    db = app_services(client).db
    version = await in_app(client, published, db, definition or nps_definition())
    return version.survey_id


async def test_links_are_created_listed_paused_and_deleted(client) -> None:
    admin = await api_key(client, "admin")
    survey_id = await survey(client)
    created = await client.post(
        f"/api/v1/surveys/{survey_id}/links",
        json={"slug": "spring", "hidden_fields": ["plan"], "max_responses": 100},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["id"] == "spring"
    assert link["url"] == "http://surveyor.test/p/spring"
    assert link["qr_svg_url"] == "http://surveyor.test/p/spring/qr.svg"
    assert link["embed_html"].startswith('<iframe src="http://surveyor.test/p/spring?embed=1"')
    assert "http://surveyor.test/p/spring?score=0" in link["email_html"]
    assert "http://surveyor.test/p/spring?score=10" in link["email_html"]
    # The NPS template names {brand}; the snippet's customers never see the placeholder.
    assert "{brand}" not in link["email_html"]
    assert "How likely are you to recommend us to a friend or colleague?" in link["email_html"]
    assert link["hidden_fields"] == ["plan"] and link["max_responses"] == 100
    made_up = await client.post(f"/api/v1/surveys/{survey_id}/links", json={}, headers=admin)
    assert made_up.status_code == 201 and len(made_up.json()["slug"]) >= 9
    listed = await client.get(f"/api/v1/surveys/{survey_id}/links", headers=admin)
    assert next(item["slug"] for item in listed.json()["items"]) == "spring"
    assert (await client.get("/p/spring")).status_code == 200
    paused = await client.patch("/api/v1/links/spring", json={"active": False}, headers=admin)
    assert paused.status_code == 200 and paused.json()["active"] is False
    assert (await client.get("/p/spring")).status_code == 404
    resumed = await client.patch("/api/v1/links/spring", json={"active": True}, headers=admin)
    assert resumed.json()["active"] is True
    assert (await client.delete("/api/v1/links/spring", headers=admin)).status_code == 204
    assert (await client.get("/api/v1/links/spring", headers=admin)).status_code == 404
    assert (await client.delete("/api/v1/links/spring", headers=admin)).status_code == 404


async def test_link_input_is_checked_field_by_field(client) -> None:
    admin = await api_key(client, "admin")
    survey_id = await survey(client)
    url = f"/api/v1/surveys/{survey_id}/links"
    for body, field in [
        ({"slug": "no spaces"}, "slug"),
        ({"max_responses": 0}, "max_responses"),
        ({"hidden_fields": "plan"}, "hidden_fields"),
        ({"colour": "red"}, "colour"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"checkpoint": "nope"}, "checkpoint"),
    ]:
        response = await client.post(url, json=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text, (body, response.text)
    assert (await client.post(url, json={"slug": "a"}, headers=admin)).status_code == 201
    assert (await client.post(url, json={"slug": "a"}, headers=admin)).status_code == 409
    assert (
        await client.post("/api/v1/surveys/nope/links", json={}, headers=admin)
    ).status_code == 404
    bad = await client.patch("/api/v1/links/a", json={"active": "yes"}, headers=admin)
    assert bad.status_code == 400 and "active" in bad.text
    reader = await api_key(client, "read")
    assert (await client.get(url, headers=reader)).status_code == 200
    assert (await client.post(url, json={}, headers=reader)).status_code == 403
    assert (await client.patch("/api/v1/links/a", json={}, headers=reader)).status_code == 403
    assert (await client.delete("/api/v1/links/a", headers=reader)).status_code == 403
    assert (await client.get(url)).status_code == 401


async def test_expired_and_full_links_take_no_new_responses(client) -> None:
    admin = await api_key(client, "admin")
    survey_id = await survey(client, one_question())
    url = f"/api/v1/surveys/{survey_id}/links"
    await client.post(
        url, json={"slug": "old", "expires_at": "2020-01-01T00:00:00Z"}, headers=admin
    )
    assert (await client.get("/p/old")).status_code == 404
    await client.post(url, json={"slug": "two", "max_responses": 2}, headers=admin)
    for score in ("9", "3"):
        done = await client.post("/p/two", data={"step": "score", "q_score": score})
        assert done.status_code == 200 and "Thank you" in done.text
    assert (await client.get("/p/two")).status_code == 404
    assert (await client.get("/api/v1/links/two", headers=admin)).json()["responses"] == 2


async def test_a_link_with_a_checkpoint_puts_its_answers_on_the_journey(client) -> None:
    from tests.checkpoints.test_checkpoints_api import CHECKPOINT

    admin = await api_key(client, "admin")
    survey_id = await survey(client, one_question())
    body = {**CHECKPOINT, "survey_id": survey_id, "channels": ["email"]}
    assert (await client.post("/api/v1/checkpoints", json=body, headers=admin)).status_code == 201
    made = await client.post(
        f"/api/v1/surveys/{survey_id}/links",
        json={"slug": "journey", "checkpoint": "order_delivered"},
        headers=admin,
    )
    assert made.json()["checkpoint"] == "order_delivered"
    await client.post("/p/journey", data={"step": "score", "q_score": "7"})
    db = app_services(client).db
    row = await in_app(client, db.fetch_one, "SELECT checkpoint_key, public_slug FROM responses")
    assert row == {"checkpoint_key": "order_delivered", "public_slug": "journey"}


def png_pixels(data: bytes) -> tuple[bytes, int, int]:
    """The luminance of a greyscale or palette PNG as segno writes it (8-bit out)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, palette = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, _colour = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"PLTE":
            palette = [chunk[i : i + 3] for i in range(0, len(chunk), 3)]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        if kind == 2:  # "up" filter
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        assert kind in (0, 2), f"filter {kind}"
        prev = line
        for x in range(width):
            bit = (line[(x * depth) // 8] >> (8 - depth - (x * depth) % 8)) & ((1 << depth) - 1)
            if palette is not None:
                out.append(palette[bit][0])
            else:
                out.append(255 if bit else 0)
    return bytes(out), width, height


async def test_qr_codes_decode_back_to_the_link(client) -> None:
    admin = await api_key(client, "admin")
    survey_id = await survey(client)
    link = (
        await client.post(f"/api/v1/surveys/{survey_id}/links", json={"slug": "qr"}, headers=admin)
    ).json()
    png = await client.get(link["qr_png_url"].replace("http://surveyor.test", ""))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    pixels, width, height = png_pixels(png.content)
    view = zxingcpp.ImageView(pixels, width, height, zxingcpp.ImageFormat.Lum)
    assert [code.text for code in zxingcpp.read_barcodes(view)] == [link["url"]]
    svg = await client.get("/p/qr/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    assert svg.content == links.qr_svg(link["url"])  # the same matrix as the decoded PNG
    assert (await client.get("/p/nope/qr.png")).status_code == 404


async def test_prefetching_all_eleven_score_links_records_nothing(client) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db)
    token, _ = await in_app(client, invite, db, version)
    for score in range(11):
        page = await client.get(f"/s/{token}?score={score}")
        assert page.status_code == 200
        assert 'data-autosave="1" hx-post=' in page.text  # a person's browser saves it by POST
        head = await client.head(f"/s/{token}?score={score}")
        assert head.status_code == 200
    assert await in_app(client, db.fetch_val, "SELECT count(*) FROM responses", ()) == 0
    assert await in_app(client, db.fetch_val, "SELECT count(*) FROM answers", ()) == 0
    status = await in_app(client, db.fetch_val, "SELECT status FROM invitations", ())
    assert status != "answered"


async def test_designers_manage_links_on_a_page_with_sentences_and_a_confirmation(client) -> None:
    from tests.conftest import login, make_user

    survey_id = await survey(client)
    token = await login(client, await make_user(client, "designer"))
    page = await client.get(f"/surveys/{survey_id}/links")
    assert page.status_code == 200 and "No share link yet." in page.text
    bad = await client.post(
        f"/surveys/{survey_id}/links",
        data={"_csrf": token, "slug": "a b", "max_responses": "0", "checkpoint": "nope"},
    )
    assert bad.status_code == 422
    assert "The short name may use only letters, digits, - and _ (at most 64)." in bad.text
    assert "The response limit must be a whole number of at least 1." in bad.text
    assert "There is no checkpoint called nope." in bad.text
    made = await client.post(
        f"/surveys/{survey_id}/links",
        data={"_csrf": token, "slug": "stand", "hidden_fields": "plan, region"},
        follow_redirects=True,
    )
    assert made.status_code == 200
    assert "Saved: the link stand is ready to share." in made.text
    assert 'src="http://surveyor.test/p/stand/qr.svg"' in made.text
    assert "surveyor:response-completed" in made.text
    fragment = await client.get(f"/surveys/{survey_id}/links", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="share-links">')
    toggled = await client.post(
        f"/surveys/{survey_id}/links/stand/toggle", data={"_csrf": token}, follow_redirects=True
    )
    assert "paused" in toggled.text
    gone = await client.post(
        f"/surveys/{survey_id}/links/stand/delete", data={"_csrf": token}, follow_redirects=True
    )
    assert "No share link yet." in gone.text
    client.cookies.clear()
    await login(client, await make_user(client, "manager"))
    assert (await client.get(f"/surveys/{survey_id}/links")).status_code == 403


def test_the_command_line_manages_share_links(tmp_path: Any, monkeypatch: Any, capsys: Any) -> None:
    import asyncio
    import os

    from surveyor.app import build_services, start_services
    from surveyor.cli import main
    from surveyor.settings import load_settings

    for name in list(os.environ):
        if name.startswith("SURVEYOR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SURVEYOR_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("SURVEYOR_BASE_URL", "http://feedback.example:8080")
    monkeypatch.chdir(tmp_path)

    async def make() -> str:
        svc = build_services(load_settings())
        await start_services(svc)
        try:
            return (await published(svc.db)).survey_id
        finally:
            await svc.db.close()

    survey_id = asyncio.run(make())
    assert main(["links", "create", survey_id, "--slug", "desk", "--hidden", "plan"]) == 0
    out = capsys.readouterr().out
    assert "desk  active  http://feedback.example:8080/p/desk" in out
    assert "/p/desk/qr.svg" in out
    assert main(["links", "pause", "desk"]) == 0
    assert "desk  paused" in capsys.readouterr().out
    assert main(["links", "list", survey_id]) == 0
    assert "desk  paused" in capsys.readouterr().out
    assert main(["links", "create", survey_id, "--slug", "desk"]) != 0
    assert "--slug: a link 'desk' exists already" in capsys.readouterr().err
    assert main(["links", "delete", "desk"]) == 0
    assert main(["links", "list", survey_id]) == 0
    assert capsys.readouterr().out == ""
    assert main(["links", "pause", "nope"]) != 0


async def test_a_score_left_behind_closes_as_partial_counts_and_opens_a_case(client) -> None:
    from datetime import timedelta

    from surveyor.ids import utcnow
    from surveyor.respond.abandoned import close_abandoned_responses

    svc = app_services(client)
    db = svc.db
    version = await in_app(client, published, db)
    token, _ = await in_app(client, invite, db, version)
    page = await client.get(f"/s/{token}?score=2")
    assert 'data-autosave="1" hx-post=' in page.text
    # What the page's load trigger posts: the preselected score, then the customer leaves.
    saved = await client.post(f"/s/{token}", data={"step": "score", "q_score": "2"})
    assert saved.status_code in (200, 303)
    sweeps = await in_app(
        client, db.fetch_val, "SELECT count(*) FROM jobs WHERE kind = 'respond.close_abandoned'", ()
    )
    assert sweeps == 1
    assert await in_app(client, close_abandoned_responses, svc) == 0  # not abandoned yet
    later = utcnow() + timedelta(hours=25)
    assert await in_app(client, lambda: close_abandoned_responses(svc, now=later)) == 1
    row = await in_app(client, db.fetch_one, "SELECT status, current_step, nps FROM responses", ())
    assert row == {"status": "complete", "current_step": "(abandoned)", "nps": 2}
    assert await in_app(client, db.fetch_val, "SELECT count(*) FROM followups", ()) == 1
    assert await in_app(client, lambda: close_abandoned_responses(svc, now=later)) == 0
