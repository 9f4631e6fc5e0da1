"""The respondent page memo (issue 17): a sheet rendered before from the same inputs is
reused, with the customer's own link put in. What comes from the memo must be exactly the
page rendered afresh, and a text recalled per customer must never be shown to another."""

from __future__ import annotations

import msgspec

from surveyor.respond.pages import BUILTIN, PAGES
from surveyor.surveys.models import SurveyDefinition
from tests.conftest import app_services, in_app
from tests.respond.helpers import invite, nps_definition, published

HX = {"HX-Request": "true"}


async def links(client, n: int, definition: SurveyDefinition | None = None) -> list[str]:
    db = app_services(client).db
    version = await in_app(client, published, db, definition)
    names = ["Ada", "Grace", "Linus", "Barbara"]
    tokens = []
    for i in range(n):
        token, _ = await in_app(
            client, lambda i=i: invite(db, version, external_id=f"m-{i}", name=names[i])
        )
        tokens.append(token)
    return tokens


async def path(client, token: str) -> list[str]:
    """The page, the htmx answer to the score, and the thank-you part, as HTML."""
    pages = [(await client.get(f"/s/{token}")).text]
    pages.append(
        (await client.post(f"/s/{token}", data={"step": "score", "q_score": "4"}, headers=HX)).text
    )
    pages.append(
        (
            await client.post(
                f"/s/{token}",
                data={"step": "improve,topics", "q_improve": "Faster", "q_topics": "price"},
                headers=HX,
            )
        ).text
    )
    return pages


async def test_a_page_from_the_memo_is_the_page_rendered_afresh(client) -> None:
    first, second, third = await links(client, 3)
    caches = app_services(client).caches.respond
    await path(client, first)  # renders and remembers each page
    remembered = await path(client, second)  # each page from the memo
    assert caches[PAGES]
    caches[BUILTIN] = False  # from now on every page is rendered afresh
    fresh = await path(client, third)
    assert [page.replace(third, second) for page in fresh] == remembered
    assert f'hx-post="/s/{second}"' in remembered[0] and first not in "".join(remembered)


async def test_a_text_recalled_per_customer_is_never_shown_to_another(client) -> None:
    raw = msgspec.to_builtins(nps_definition())
    raw["questions"][0]["text"] = {"en": "{contact.name}, would you recommend us?"}
    ada, grace = await links(client, 2, msgspec.convert(raw, SurveyDefinition))
    assert "Ada, would you recommend us?" in (await client.get(f"/s/{ada}")).text
    page = (await client.get(f"/s/{grace}")).text
    assert "Grace, would you recommend us?" in page and "Ada" not in page


async def test_a_property_recalled_in_the_ending_is_the_customers_own(client) -> None:
    """A page is keyed on its inputs, not on its HTML: a text that recalls a link's
    property (here only in the thank-you) makes the link's properties part of the key."""
    raw = msgspec.to_builtins(nps_definition())
    for ending in raw["endings"]:
        ending["text"] = {"en": "Thanks about order {properties.order}."}
    version = await in_app(
        client, published, app_services(client).db, msgspec.convert(raw, SurveyDefinition)
    )
    db = app_services(client).db
    pages = []
    for i, order in enumerate(["A-1", "B-2"]):
        token, _ = await in_app(
            client,
            lambda i=i, order=order: invite(
                db, version, external_id=f"p-{i}", properties={"order": order}
            ),
        )
        pages.append(await path(client, token))
    assert "Thanks about order A-1." in pages[0][2]
    assert "Thanks about order B-2." in pages[1][2] and "A-1" not in pages[1][2]


async def test_the_thank_you_follows_each_customers_answers(client) -> None:
    """The ending is chosen by the answers: a detractor's thank-you page from the memo is
    never shown to a promoter."""
    detractor, promoter = await links(client, 2)
    await path(client, detractor)  # score 4: "sorry we fell short" remembered
    await client.post(f"/s/{promoter}", data={"step": "score", "q_score": "10"}, headers=HX)
    done = await client.post(f"/s/{promoter}", data={"step": "right,topics"}, headers=HX)
    assert "Thank you for your feedback!" in done.text and "fell short" not in done.text
    again = await client.get(f"/s/{detractor}")
    assert "fell short" in again.text
