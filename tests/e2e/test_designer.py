"""The survey designer in a real browser: from the NPS template to a published version 1,
with a conditional question and one translated string, all without full page loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import PHONE, Server, sign_in


def test_designer_builds_translates_and_publishes_an_nps_survey(
    server: Server, browser: Any, artifacts: Path
) -> None:
    designer = server.create_user("e2e-designer@example.com", "designer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, designer)
        page.goto(server.url("/surveys"))
        page.get_by_label("Name", exact=True).fill("E2E relationship NPS")
        page.get_by_label("Start from").select_option("nps")
        page.get_by_role("button", name="Create").click()
        page.wait_for_url("**/surveys/*")
        assert "How likely is it" in page.locator("#questions").inner_text()

        # Add a text question and make it conditional on the NPS score, all through htmx.
        page.evaluate("window.__marker = 'same page'")
        page.get_by_label("Add a question").select_option("text")
        page.get_by_role("button", name="Add", exact=True).click()
        editor = page.locator("form.question-editor")
        editor.wait_for()
        editor.get_by_label("Question text (en)").fill("What should we fix first?")
        editor.get_by_label("Show", exact=True).select_option("all")
        editor.get_by_label("Rule 1: question").select_option("score")
        editor.get_by_label("Rule 1: comparison").select_option("lte")
        editor.get_by_label("Rule 1: value").fill("6")
        editor.get_by_role("button", name="Save question").click()
        card = page.locator(".question-card", has_text="What should we fix first?")
        card.wait_for()
        assert "is at most 6" in card.inner_text()

        # Keyboard reorder: the new question moves up one place.
        card.get_by_role("button", name="Move up question 6").press("Enter")
        page.locator(".question-card").nth(4).filter(
            has_text="What should we fix first?"
        ).wait_for()
        assert page.evaluate("window.__marker") == "same page"  # no full page load so far

        # Translate one string into Simplified Chinese.
        page.get_by_role("link", name="Translations").click()
        page.get_by_label("Add a language (e.g. zh_Hans, fr, de)").fill("zh_Hans")
        page.get_by_role("button", name="Add language").click()
        page.get_by_label("$.questions[0].text (zh_Hans)").fill("您有多大可能向朋友推荐{brand}？")
        page.get_by_role("button", name="Save $.questions[0].text").click()
        page.get_by_text("saved", exact=True).wait_for()
        assert "strings missing" in page.locator("#zh_Hans h2").inner_text()

        # Publish and see version 1 in the history, inline.
        page.get_by_role("link", name="Editor").click()
        page.get_by_role("button", name="Publish", exact=True).click()
        page.get_by_text("Published as version 1.").wait_for()
        history = page.locator("#history")
        assert "Version 1" in history.inner_text()
        page.screenshot(path=str(artifacts / "designer-published.png"), full_page=True)

        # The live preview beside the editor uses the respondent templates.
        frame = page.frame_locator("iframe[title='Survey preview']")
        frame.locator("input[name='q_score']").first.wait_for()
    finally:
        context.close()


def test_designer_fits_a_phone(server: Server, phone: Any, artifacts: Path) -> None:
    designer = server.create_user("e2e-designer-phone@example.com", "designer")
    sign_in(phone, server, designer)
    phone.goto(server.url("/surveys"))
    phone.get_by_label("Start from").select_option("ces")
    phone.get_by_role("button", name="Create").click()
    phone.wait_for_url("**/surveys/*")
    phone.get_by_role("button", name="Desktop").click()
    phone.locator(".frame.desktop").wait_for()
    phone.locator(".question-card").first.get_by_role("link", name="Edit").click()
    phone.locator("form.question-editor").wait_for()
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide
    phone.screenshot(path=str(artifacts / "designer-phone.png"), full_page=True)


def endings_order(page: Any, server: Server, survey_url: str) -> list[str]:
    """The stored draft's ending ids, read through the export (what the server kept)."""
    exported = page.request.get(survey_url + "/export")
    assert exported.ok
    return [e["id"] for e in exported.json()["definition"].get("endings", [])]


def test_endings_reorder_by_keyboard_and_drag_and_drafts_show_their_changes(
    server: Server, browser: Any, artifacts: Path
) -> None:
    """Issue 19: endings reorder by the arrow keys on a handle (announced), by buttons and by
    drag and drop; a new question is not stored until saved; an edited published survey
    says "draft changes since v1" and can discard them."""
    designer = server.create_user("e2e-designer-endings@example.com", "designer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, designer)
        page.goto(server.url("/surveys"))
        page.get_by_label("Name", exact=True).fill("E2E endings")
        page.get_by_label("Start from").select_option("nps")
        page.get_by_role("button", name="Create").click()
        page.wait_for_url("**/surveys/*")
        survey_url = page.url.split("?")[0].split("#")[0]
        assert endings_order(page, server, survey_url) == ["sorry", "thanks"]

        # Keyboard: arrow up on the second ending's handle; focus stays on it, announced.
        handle = page.get_by_role("button", name="Reorder ending 2 of 2")
        handle.focus()
        page.keyboard.press("ArrowUp")
        page.locator("#endings li.ending-card").first.filter(
            has_text="Thank you for your feedback!"
        ).wait_for()
        assert page.locator("#designer-announce").inner_text() == "Ending moved to position 1 of 2."
        page.wait_for_function("document.activeElement.classList.contains('drag-handle')")
        assert endings_order(page, server, survey_url) == ["thanks", "sorry"]

        # The buttons, by keyboard too.
        page.get_by_role("button", name="Move down ending 1").press("Enter")
        page.locator("#endings li.ending-card").first.filter(
            has_text="sorry we fell short"
        ).wait_for()
        assert endings_order(page, server, survey_url) == ["sorry", "thanks"]

        # Drag and drop: the second card onto the top half of the first. The card moves in
        # the page while it is dragged and the move is posted on drop, so wait for the answer.
        with page.expect_response(
            lambda r: r.url.endswith("/endings/thanks/move") and r.request.method == "POST"
        ) as moved:
            page.locator("#end-thanks").drag_to(
                page.locator("#end-sorry"), target_position={"x": 40, "y": 4}
            )
        assert moved.value.ok
        page.locator("#endings li.ending-card").first.filter(
            has_text="Thank you for your feedback!"
        ).wait_for()
        assert endings_order(page, server, survey_url) == ["thanks", "sorry"]
        page.locator("#endings").screenshot(path=str(artifacts / "designer-endings-1280.png"))

        # Adding a question opens its editor; leaving without saving stores nothing.
        questions = page.request.get(survey_url + "/export").json()["definition"]["questions"]
        page.get_by_label("Add a question").select_option("text")
        page.get_by_role("button", name="Add", exact=True).click()
        page.get_by_text("New question, not saved yet").wait_for()
        page.screenshot(path=str(artifacts / "designer-new-question-1280.png"), full_page=True)
        page.goto(server.url("/surveys"))
        page.goto(survey_url)
        assert (
            page.request.get(survey_url + "/export").json()["definition"]["questions"] == questions
        )

        # Publish (endings back in a publishable order), then edit: the draft differs.
        page.get_by_role("button", name="Move down ending 1").click()
        page.locator("#endings li.ending-card").first.filter(
            has_text="sorry we fell short"
        ).wait_for()
        page.get_by_role("button", name="Publish", exact=True).click()
        page.get_by_text("Published as version 1.").wait_for()
        assert page.locator(".draft-badge").count() == 0
        page.get_by_role("button", name="Move down ending 1").click()
        badge = page.get_by_role("link", name="draft changes since v1")
        badge.wait_for()
        badge.click()
        changes = page.locator("#draft-changes")
        assert "Endings reordered" in changes.inner_text()
        page.screenshot(path=str(artifacts / "designer-draft-changes-1280.png"), full_page=True)
        changes.get_by_role("button", name="Discard draft changes").click()
        page.locator("#confirm-dialog #confirm-ok").click()  # the page's confirm dialog
        page.locator(".draft-badge").wait_for(state="detached")
        page.locator("h1 .badge.ok").wait_for()
        assert page.locator(".draft-badge").count() == 0
        assert endings_order(page, server, survey_url) == ["sorry", "thanks"]

        # The same page on a phone: nothing wider than the screen.
        phone = browser.new_context(viewport=PHONE)
        small = phone.new_page()
        sign_in(small, server, designer)
        small.goto(survey_url + "#endings")
        assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        small.screenshot(path=str(artifacts / "designer-360.png"), full_page=True)
        small.locator("#endings").screenshot(path=str(artifacts / "designer-endings-360.png"))
        phone.close()
    finally:
        context.close()
