"""Issue 19 (designer fixes): a new question or ending is stored only when saved; a
published survey that is edited says "draft changes since vN", lists them and can
discard them; endings reorder, and the order is what respondents get."""

from __future__ import annotations

from surveyor.surveys import store
from surveyor.surveys.draftdiff import draft_changes
from surveyor.surveys.edit import EditError, move_ending
from surveyor.surveys.templates_lib import template_definition
from tests.conftest import app_services, in_app
from tests.respond.helpers import invite
from tests.respond.test_respond_http import answer_all
from tests.surveys.test_views import HTMX, Client, designer, draft, new_survey


def test_draft_changes_name_what_differs_from_the_published_version() -> None:
    published = template_definition("nps")
    assert draft_changes(published, published) == []
    changed = move_ending(published, "thanks", 0)
    found = draft_changes(published, changed)
    assert [(c.action, c.part) for c in found] == [("reordered", "endings")]


def test_move_ending_clamps_and_refuses_unknown_endings() -> None:
    definition = template_definition("nps")
    assert [e.id for e in move_ending(definition, "sorry", 9).endings] == ["thanks", "sorry"]
    try:
        move_ending(definition, "nope", 0)
    except EditError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("an unknown ending must be refused")


async def test_adding_a_question_stores_nothing_until_it_is_saved(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    before = await draft(client, sid)
    added = await client.post(
        f"/surveys/{sid}/questions", data={"kind": "text"}, headers=headers | HTMX
    )
    assert added.status_code == 200, added.text
    assert "not saved yet" in added.text and "hx-trigger" not in added.headers
    assert await draft(client, sid) == before  # leaving now changes nothing
    new_id = f"q{len(before.questions) + 1}"
    assert f'id="q-{new_id}"' in added.text and 'name="new_kind" value="text"' in added.text

    saved = await client.post(
        f"/surveys/{sid}/questions/{new_id}",
        data={"text": "Anything else?", "new_kind": "text", "match": "always"},
        headers=headers | HTMX,
    )
    assert saved.status_code == 200, saved.text
    after = await draft(client, sid)
    assert [q.id for q in after.questions] == [*(q.id for q in before.questions), new_id]
    assert after.questions[-1].text == {"en": "Anything else?"}

    # Without JavaScript the same: the editor opens on a page, nothing is stored.
    plain = await client.post(
        f"/surveys/{sid}/questions",
        data={"kind": "text", "_csrf": headers["X-CSRF-Token"]},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and "?add=text" in plain.headers["location"]
    page = await client.get(plain.headers["location"].split("#")[0])
    assert "not saved yet" in page.text
    assert await draft(client, sid) == after


async def test_adding_an_ending_stores_nothing_until_it_is_saved(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    before = await draft(client, sid)
    added = await client.post(f"/surveys/{sid}/endings", headers=headers | HTMX)
    assert added.status_code == 200 and "not saved yet" in added.text
    assert await draft(client, sid) == before
    saved = await client.post(
        f"/surveys/{sid}/endings/end3",
        data={"text": "See you soon", "new_ending": "1", "match": "always"},
        headers=headers | HTMX,
    )
    assert saved.status_code == 200, saved.text
    assert "See you soon" in [e.text["en"] for e in (await draft(client, sid)).endings]


async def test_an_edited_published_survey_shows_its_draft_changes_and_can_discard_them(
    client: Client,
) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    published = await client.post(f"/surveys/{sid}/publish", headers=headers | HTMX)
    assert "Published as version 1." in published.text
    page = await client.get(f"/surveys/{sid}")
    assert "published v1" in page.text and "draft changes since v1" not in page.text

    edited = await client.post(
        f"/surveys/{sid}/questions/score",
        data={"text": "Would you recommend us?", "match": "always"},
        headers=headers | HTMX,
    )
    assert edited.status_code == 200
    assert "draft changes since v1" in edited.text  # the badge, swapped out of band
    page = await client.get(f"/surveys/{sid}")
    assert "draft changes since v1" in page.text
    assert "Question changed: Would you recommend us?" in page.text
    assert "Discard draft changes" in page.text

    discarded = await client.post(
        f"/surveys/{sid}/discard", headers=headers, follow_redirects=False
    )
    assert discarded.status_code == 303
    assert (await draft(client, sid)).questions[0].text["en"].startswith("How likely")
    page = await client.get(f"/surveys/{sid}")
    assert "draft changes since v1" not in page.text

    never = await new_survey(client, headers)
    refused = await client.post(f"/surveys/{never}/discard", headers=headers)
    assert refused.status_code == 404 and "survey" in refused.text


async def test_endings_reorder_is_stored_and_the_first_matching_ending_wins_when_answering(
    client: Client,
) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    assert [e.id for e in (await draft(client, sid)).endings] == ["sorry", "thanks"]
    moved = await client.post(
        f"/surveys/{sid}/endings/thanks/move", data={"to": "up"}, headers=headers | HTMX
    )
    assert moved.status_code == 200, moved.text
    assert "Ending moved to position 1 of 2." in moved.text
    assert [e.id for e in (await draft(client, sid)).endings] == ["thanks", "sorry"]
    back = await client.post(
        f"/surveys/{sid}/endings/thanks/move", data={"to": "2"}, headers=headers | HTMX
    )
    assert back.status_code == 200
    assert [e.id for e in (await draft(client, sid)).endings] == ["sorry", "thanks"]
    bad = await client.post(
        f"/surveys/{sid}/endings/thanks/move", data={"to": "7"}, headers=headers | HTMX
    )
    assert bad.status_code == 422 and "to:" in bad.text

    # Two endings that both hold for a score of 3: whichever is first wins. Publishing
    # refuses an ending that can never be reached (after the catch-all), so the new one
    # goes between the others, then up to the top.
    await client.post(
        f"/surveys/{sid}/endings/end3",
        data={
            "text": "We hear you: a manager will call.",
            "new_ending": "1",
            "match": "all",
            "rule_question_0": "score",
            "rule_op_0": "lte",
            "rule_value_0": "3",
        },
        headers=headers | HTMX,
    )
    assert [e.id for e in (await draft(client, sid)).endings] == ["sorry", "end3", "thanks"]
    await client.post(
        f"/surveys/{sid}/endings/end3/move", data={"to": "up"}, headers=headers | HTMX
    )
    published = await client.post(f"/surveys/{sid}/publish", headers=headers | HTMX)
    assert "Published as version 1." in published.text, published.text
    db = app_services(client).db
    version = await in_app(client, store.get_published_version, db, sid)
    assert [e.id for e in version.definition.endings] == ["end3", "sorry", "thanks"]
    token, _ = await in_app(client, lambda: invite(db, version))
    done = await answer_all(client, token, 3, "Too slow")
    assert "We hear you: a manager will call." in done.text
    assert "sorry we fell short" not in done.text
