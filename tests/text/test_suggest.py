"""Suggested themes: key phrases no theme matches, grouped by shared words, shown on the
Themes page and accepted into the dictionary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from surveyor_text.analyze import Dictionary, Theme
from surveyor_text.suggest import jaccard, suggest, tokens, unmatched

from tests.conftest import api_key, login, make_user
from tests.text.test_plugin import respond


def test_alike_phrases_are_grouped_and_matched_ones_left_out() -> None:
    dictionary = Dictionary([Theme(name="billing", en=("invoice*",), zh=("账单",))])
    counts = unmatched(
        [
            "parking spaces",
            "Parking space",
            "parking",
            "invoice errors",
            "账单",
            "停车位",
            "停车",
            "lonely phrase",
        ],
        dictionary,
    )
    assert "invoice errors" not in counts and "账单" not in counts
    assert counts["parking space"] == 1 and counts["parking spaces"] == 1
    assert tokens("parking spaces") == tokens("Parking space".lower())
    assert jaccard(tokens("停车位"), tokens("停车")) >= 0.5
    found = suggest(counts)
    names = {s.name: s for s in found}
    parking = next(s for s in found if "parking" in s.name)
    assert parking.mentions == 3 and set(parking.en) == {
        "parking",
        "parking space",
        "parking spaces",
    }
    assert any(s.zh == ["停车", "停车位"] or set(s.zh) == {"停车", "停车位"} for s in found)
    assert "lonely phrase" not in names  # mentioned once: not a suggestion
    assert suggest(Counter({"a b": 5, "c d": 5}), top=1)[0].mentions == 5


async def test_the_themes_page_suggests_and_accepts_a_theme(client: Any) -> None:
    from tests.conftest import drain

    for comment in (
        "There is never any parking near the store.",
        "Parking is impossible, no parking spaces at all.",
    ):
        await respond(client, 5, comment)
    await drain(client)
    designer = await make_user(client, "designer")
    csrf = await login(client, designer)
    page = await client.get("/text/themes")
    assert page.status_code == 200 and 'id="suggested"' in page.text
    assert 'value="parking"' in page.text

    added = await client.post(
        "/text/themes/accept",
        data={"_csrf": csrf, "name": "parking", "en": "parking, parking spaces", "zh": "停车"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    read = await api_key(client, "read")
    themes = (await client.get("/api/v1/text/dictionary", headers=read)).json()["themes"]
    parking = next(t for t in themes if t["name"] == "parking")
    assert parking["en"] == ["parking", "parking spaces"] and parking["zh"] == ["停车"]
    bad = await client.post(
        "/text/themes/accept", data={"_csrf": csrf, "name": "", "en": "x"}, follow_redirects=False
    )
    assert bad.status_code == 422 and "name" in bad.text
