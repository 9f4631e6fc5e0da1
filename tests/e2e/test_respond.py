"""A customer answers on a 360 × 740 phone: with htmx, without JavaScript, after closing
the tab, and twice. Every step is screenshotted to test-artifacts/ and checked by axe-core."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from surveyor.app import build_services, start_services
from surveyor.settings import load_settings
from tests.e2e.conftest import PHONE, Server
from tests.respond.helpers import invite, published

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


@pytest.fixture(scope="module")
def new_link(server: Server) -> Iterator[Callable[[], str]]:
    """Mint personal links to a published NPS survey in the running server's database."""
    settings = load_settings(environ=server.env)
    state: dict[str, Any] = {}
    counter = iter(range(1_000_000))

    async def make() -> str:
        svc = build_services(settings)
        await start_services(svc)
        try:
            if "version" not in state:
                state["version"] = await published(svc.db)
            token, _ = await invite(svc.db, state["version"], external_id=f"e2e-{next(counter)}")
            return token
        finally:
            await svc.db.close()

    def link() -> str:
        # Playwright's sync API keeps an event loop running in this thread: use another.
        with ThreadPoolExecutor(1) as pool:
            return server.url("/s/" + pool.submit(asyncio.run, make()).result())

    yield link


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def check(page: Any, artifacts: Path, name: str, *, axe: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"respond-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    if axe:  # axe needs page scripts; without JavaScript the markup is the same as with it
        assert axe_violations(page) == [], name


def choose(page: Any, score: int) -> None:
    page.get_by_role("group").get_by_text(str(score), exact=True).click()


def answer_detractor(page: Any, artifacts: Path, prefix: str, *, axe: bool = True) -> None:
    """Without JavaScript one question per page; with it (``axe``: scripts run) the optional
    questions after the score come on one page, sent with one POST."""
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text(
        "Question 1 of 3"
    ).is_visible()  # the reason question counts from the start
    check(page, artifacts, axe=axe, name=f"{prefix}-1-score")
    choose(page, 3)
    page.get_by_role("button", name="Next").click()
    reason = page.get_by_label("What could we do better?")
    reason.wait_for()
    check(page, artifacts, axe=axe, name=f"{prefix}-2-reason")
    reason.fill("The parcel came <b>late</b>")
    if not axe:
        page.get_by_role("button", name="Next").click()
    page.get_by_text("Which of these mattered most?").wait_for()
    check(page, artifacts, axe=axe, name=f"{prefix}-3-topics")
    page.get_by_text("Customer support").click()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert page.get_by_text("sorry we fell short").is_visible()
    check(page, artifacts, axe=axe, name=f"{prefix}-4-thanks")


def test_a_detractor_answers_with_htmx(
    new_link: Callable[[], str], phone: Any, artifacts: Path
) -> None:
    link = new_link()
    phone.goto(link)
    answer_detractor(phone, artifacts, "htmx")
    assert phone.url == link  # htmx swapped the steps in place


def test_the_same_flow_without_javascript(
    new_link: Callable[[], str], browser: Any, artifacts: Path
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(new_link())
        answer_detractor(page, artifacts, "nojs", axe=False)
    finally:
        context.close()


def test_keyboard_alone_can_pick_a_score(new_link: Callable[[], str], phone: Any) -> None:
    phone.goto(new_link())
    phone.locator("#q_score-0").focus()
    phone.keyboard.press("ArrowRight")  # radios move with the arrow keys
    phone.keyboard.press("ArrowRight")
    assert phone.locator("#q_score-2").is_checked()
    outline = phone.evaluate(
        "getComputedStyle(document.querySelector('label[for=\"q_score-2\"]')).outlineStyle"
    )
    assert outline != "none"  # visible focus on the label of the focused radio


def test_resume_after_closing_the_tab(
    new_link: Callable[[], str], browser: Any, artifacts: Path
) -> None:
    link = new_link()
    first = browser.new_context(viewport=PHONE)
    page = first.new_page()
    page.goto(link)
    choose(page, 10)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("What did we get right?").wait_for()
    first.close()  # the customer closes the tab

    later = browser.new_context(viewport=PHONE)
    try:
        page = later.new_page()
        page.goto(link)
        assert page.get_by_label("What did we get right?").is_visible()
        assert page.get_by_text("Question 2 of 3").is_visible()
        page.screenshot(path=str(artifacts / "respond-resumed.png"), full_page=True)
    finally:
        later.close()


def test_a_second_completion_is_refused_politely(
    new_link: Callable[[], str], browser: Any, artifacts: Path
) -> None:
    link = new_link()
    context = browser.new_context(viewport=PHONE)
    try:
        one, two = context.new_page(), context.new_page()
        one.goto(link + "?score=9")
        two.goto(link + "?score=9")
        one.get_by_role("button", name="Confirm").click()
        one.get_by_label("What did we get right?").wait_for()
        one.get_by_role("button", name="Send").click()  # the optional rest is on one page
        one.get_by_role("heading", name="Thank you!").wait_for()
        # The second tab still shows the first question; sending it changes nothing.
        two.get_by_role("button", name="Confirm").click()
        two.get_by_text("You have already answered this survey").wait_for()
        check(two, artifacts, "already-answered")
    finally:
        context.close()


def test_a_page_left_before_it_is_sent_keeps_what_was_typed(
    new_link: Callable[[], str], browser: Any, artifacts: Path
) -> None:
    link = new_link()
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(link)
        choose(page, 9)
        page.get_by_role("button", name="Next").click()
        reason = page.get_by_label("What did we get right?")
        reason.fill("Friendly driver")
        assert page.get_by_text("Which of these mattered most?").is_visible()
        page.goto("about:blank")  # the customer leaves: respond.js saves what was typed
        deadline = time.monotonic() + 30
        while True:  # the beacon may land after the next page's GET: poll, with a deadline
            page.goto(link)
            resumed = page.get_by_label("What did we get right?")
            if resumed.input_value() == "Friendly driver" or time.monotonic() > deadline:
                break
        assert resumed.input_value() == "Friendly driver"
        page.screenshot(path=str(artifacts / "respond-left-and-back.png"), full_page=True)
        page.get_by_role("button", name="Next").click()
        page.get_by_text("Which of these mattered most?").wait_for()
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Thank you!").wait_for()
    finally:
        context.close()


# -- every built-in kind on small phones, and the brand (issue 19) --------------------

WIDTHS = (320, 360, 414)
KIND_QUESTIONS: dict[str, dict[str, Any]] = {
    "nps": {
        "kind": "nps",
        "text": {"en": "How likely are you to recommend us to a friend or colleague?"},
    },
    "ces": {"kind": "ces", "text": {"en": "It was easy for me to handle my issue."}},
    "csat": {"kind": "csat", "text": {"en": "How satisfied were you with your purchase?"}},
    "emotion": {"kind": "emotion", "text": {"en": "How did your delivery make you feel?"}},
    "rating": {
        "kind": "rating",
        "scale_max": 10,
        "text": {"en": "How would you rate the checkout?"},
    },
    "single_choice": {
        "kind": "single_choice",
        "text": {"en": "Was your issue resolved?"},
        "options": [
            {"id": "yes", "label": {"en": "Yes"}},
            {"id": "partly", "label": {"en": "Partly, after a long wait on the telephone"}},
            {"id": "no", "label": {"en": "No"}},
        ],
    },
    "multi_choice": {
        "kind": "multi_choice",
        "text": {"en": "Which of these mattered most?"},
        "options": [{"id": o, "label": {"en": o.title()}} for o in ("product", "support", "price")],
    },
    "text": {"kind": "text", "multiline": True, "text": {"en": "What could we do better?"}},
}


def one_question(kind: str, **settings: Any) -> Any:
    import msgspec

    from surveyor.surveys.models import SurveyDefinition

    question = {"id": "q", "required": True, **KIND_QUESTIONS[kind]}
    return msgspec.convert(
        {
            "title": {"en": "Your order"},
            "questions": [
                question,
                {"id": "more", "kind": "text", "text": {"en": "Anything else?"}},
            ],
            "settings": settings,
        },
        SurveyDefinition,
    )


@pytest.fixture(scope="module")
def mint(server: Server) -> Iterator[Callable[..., str]]:
    """A personal link to a new published survey (and, if given, its brand override)."""
    settings = load_settings(environ=server.env)
    counter = iter(range(1_000_000))

    async def make(definition: Any, brand: Any, locale: str) -> str:
        from surveyor.branding import store as brands
        from surveyor.branding.resolve import check_logo
        from tests.respond.test_branding import png

        svc = build_services(settings)
        await start_services(svc)
        try:
            version = await published(svc.db, definition)
            if brand is not None:
                logo, _ = check_logo(png(width=120, height=40))
                assert logo is not None
                chosen = brand(version.survey_id, logo.id)

                async def unit(tx: Any) -> None:
                    await brands.save_logo(tx, logo)
                    await brands.save_brand(tx, chosen, actor=None)

                await svc.db.write(unit)
            token, _ = await invite(
                svc.db, version, external_id=f"kind-{next(counter)}", locale=locale
            )
            return token
        finally:
            await svc.db.close()

    def link(definition: Any, brand: Any = None, locale: str = "") -> str:
        with ThreadPoolExecutor(1) as pool:
            made = pool.submit(asyncio.run, make(definition, brand, locale)).result()
            return server.url("/s/" + made)

    yield link


LAYOUT = """() => {
  const card = document.querySelector('#survey').getBoundingClientRect();
  const outside = [];
  for (const el of document.querySelectorAll('#survey legend, #survey label, #survey .ends span, #survey button, #survey textarea, #survey input[type=text], #survey .progress')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.left < card.left - 0.5 || box.right > card.right + 0.5)
      outside.push(`${el.tagName}.${el.className} ${box.left}-${box.right} not in ${card.left}-${card.right}`);
  }
  const points = [...document.querySelectorAll('.points label')].map(l => l.getBoundingClientRect());
  return {
    outside,
    tops: [...new Set(points.map(b => Math.round(b.top)))],
    smallest: points.length ? Math.min(...points.flatMap(b => [b.width, b.height])) : null,
    overlap: points.some((b, i) => i > 0 && b.left < points[i - 1].right - 0.5),
    scroll: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("kind", sorted(KIND_QUESTIONS))
def test_every_kind_fits_small_phones_on_one_row(
    kind: str, mint: Callable[..., str], browser: Any, artifacts: Path
) -> None:
    link = mint(one_question(kind))
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 740})
        try:
            page = context.new_page()
            page.goto(link)
            page.locator("#survey form").wait_for()
            page.screenshot(path=str(artifacts / f"respond-{kind}-{width}.png"), full_page=True)
            layout = page.evaluate(LAYOUT)
            assert layout["outside"] == [], (kind, width, layout["outside"])
            assert layout["scroll"] <= width, (kind, width)
            if layout["smallest"] is not None:  # a scale: one row, no overlap, 24 px targets
                assert len(layout["tops"]) == 1, (kind, width, layout["tops"])
                assert not layout["overlap"], (kind, width)
                assert layout["smallest"] >= 24, (kind, width, layout["smallest"])
            assert page.get_by_text("Question 1 of 2").is_visible()
            assert axe_violations(page) == [], (kind, width)
        finally:
            context.close()


def test_the_progress_label_keeps_its_total_to_the_end(
    new_link: Callable[[], str], browser: Any
) -> None:
    """One question per page (no JavaScript): the total stays the same from first to last
    page. With JavaScript the optional questions after the score share one page."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        phone = context.new_page()
        phone.goto(new_link())
        labels = []
        for step in ("score", "reason", "topics"):
            labels.append(phone.locator(".progress label").inner_text())
            if step == "score":
                choose(phone, 8)
            elif step == "reason":
                phone.get_by_label("What would make you rate us higher?").fill("Faster delivery")
            else:
                phone.get_by_text("Price").click()
            phone.get_by_role("button", name="Send" if step == "topics" else "Next").click()
            if step != "topics":
                phone.get_by_text(f"Question {len(labels) + 1} of").wait_for()
        phone.get_by_role("heading", name="Thank you!").wait_for()
    finally:
        context.close()
    assert labels == ["Question 1 of 3", "Question 2 of 3", "Question 3 of 3"]


def test_the_brand_shows_on_the_respondent_page(
    mint: Callable[..., str], browser: Any, artifacts: Path
) -> None:
    from surveyor.branding.models import BrandSettings

    definition = one_question("nps", brand={"en": "Acme Coffee"})
    link = mint(
        definition,
        lambda survey_id, logo_id: BrandSettings(
            scope=survey_id, primary_color="#1a7f37", logo_id=logo_id
        ),
    )
    for width in (*WIDTHS, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = context.new_page()
            page.goto(link)
            assert page.locator(".brand-name").inner_text() == "Acme Coffee"
            logo = page.locator("img.brand-logo")
            assert logo.evaluate("img => img.complete && img.naturalWidth") == 120
            page.locator("label[for='q_q-9']").click()
            colour = page.evaluate(
                "getComputedStyle(document.querySelector(\"label[for='q_q-9']\")).backgroundColor"
            )
            assert colour == "rgb(26, 127, 55)"  # #1a7f37, the survey's colour
            button = page.evaluate(
                "getComputedStyle(document.querySelector('button.primary')).backgroundColor"
            )
            assert button == "rgb(26, 127, 55)"
            page.locator("#q_q-9").focus()
            page.keyboard.press("ArrowRight")
            ring = page.evaluate(
                "getComputedStyle(document.querySelector(\"label[for='q_q-10']\")).outlineColor"
            )
            assert ring == "rgb(26, 127, 55)"  # the focus ring in the brand's colour
            assert axe_violations(page) == [], width
            page.screenshot(path=str(artifacts / f"respond-brand-{width}.png"), full_page=True)
        finally:
            context.close()


def test_a_chinese_respondent_on_a_phone(
    mint: Callable[..., str], browser: Any, artifacts: Path
) -> None:
    from tests.respond.test_branding import bilingual

    link = mint(bilingual("ces"), locale="zh_Hans")
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 740})
        try:
            page = context.new_page()
            page.goto(link)
            assert page.locator("html").get_attribute("lang") == "zh-Hans"
            assert page.get_by_text("第 1 题，最多 3 题").is_visible()
            assert page.get_by_text("1 = 非常不同意").is_visible()
            layout = page.evaluate(LAYOUT)
            assert layout["outside"] == [] and len(layout["tops"]) == 1, layout
            assert axe_violations(page) == [], width
            page.screenshot(path=str(artifacts / f"respond-zh-{width}.png"), full_page=True)
        finally:
            context.close()


def test_an_admin_sets_the_brand_in_the_browser(
    server: Server, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    from tests.e2e.conftest import PASSWORD
    from tests.respond.test_branding import png

    email = server.create_user("e2e-brand@example.com", "admin")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(width=120, height=40))
    for width in (1280, 360):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.goto(server.url("/login"))
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/dashboard*")
            page.goto(server.url("/settings/brand"))
            page.get_by_label("Brand name").fill("Acme Coffee")
            page.get_by_label("Primary colour").fill("#ffcc00")
            page.get_by_role("button", name="Save brand").click()
            page.get_by_text("primary_color: this colour has a contrast of 1.5:1").first.wait_for()
            assert page.get_by_label("Primary colour").get_attribute("aria-invalid") == "true"
            assert axe_violations(page) == [], width
            page.screenshot(
                path=str(artifacts / f"respond-brand-refused-{width}.png"), full_page=True
            )
            page.get_by_label("Primary colour").fill("#1a7f37")
            page.get_by_label("Logo (PNG").set_input_files(str(logo))
            page.get_by_role("button", name="Save brand").click()
            page.get_by_text("Saved: survey pages and new emails use this brand.").wait_for()
            assert page.get_by_alt_text("Current logo").is_visible()
            assert axe_violations(page) == [], width
            page.screenshot(
                path=str(artifacts / f"respond-brand-settings-{width}.png"), full_page=True
            )
        finally:
            context.close()
