"""Branding (issue 19): WCAG contrast rules, the brand forms (bad input names the field,
nothing is saved), logos, the brand on respondent pages and in a real email (aiosmtpd),
and a Chinese respondent who sees no English from the built-in kinds."""

from __future__ import annotations

import email
import email.policy
import re
import struct
import zlib
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.branding import contrast, resolve
from surveyor.branding.models import WORKSPACE, BrandSettings
from surveyor.settings import load_settings
from surveyor.surveys.models import SurveyDefinition
from surveyor.surveys.templates_lib import template_definition
from surveyor.surveys.wording import SHIPPED
from tests.conftest import app_services, drain, in_app, login, make_user
from tests.delivery.servers import smtp_server
from tests.respond.helpers import invite, published


def png(width: int = 2, height: int = 1, extra: int = 0) -> bytes:
    """A real PNG (``extra`` bytes of padding in a text chunk make it as big as needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    text = chunk(b"tEXt", b"pad\x00" + b"x" * extra) if extra else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + text
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# -- contrast (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other", "ratio"),
    [
        ("#ffffff", "#000000", 21.0),
        ("#000000", "#000000", 1.0),
        ("#0b5cad", "#ffffff", 6.67),
        ("#777777", "#ffffff", 4.48),
        ("#ffcc00", "#ffffff", 1.51),
    ],
)
def test_contrast_ratios_follow_wcag(one: str, other: str, ratio: float) -> None:
    assert contrast.contrast_ratio(one, other) == pytest.approx(ratio, abs=0.05)


@pytest.mark.parametrize(
    ("color", "problem", "text"),
    [
        ("#0b5cad", False, "#ffffff"),
        ("#0B5CAD", False, "#ffffff"),
        ("#07f", False, "#111111"),  # 3 digits: #0077ff, 4.1:1 with white, 4.6:1 with ink
        ("#1a7f37", False, "#ffffff"),
        ("#e07000", False, "#111111"),  # 3.3:1 on white passes; white text would not
        ("#ffcc00", True, ""),  # yellow: 1.5:1 on white, focus ring invisible
        ("#f0f0f0", True, ""),
        ("blue", True, ""),
        ("#12345", True, ""),
    ],
)
def test_a_primary_colour_needs_3_to_1_and_gets_a_readable_text_colour(
    color: str, problem: bool, text: str
) -> None:
    assert (contrast.primary_problem(color) is not None) is problem
    if not problem:
        normal = contrast.normalize_hex(color)
        assert normal is not None
        assert contrast.text_on(normal) == text
        assert contrast.contrast_ratio(normal, contrast.text_on(normal)) >= 4.5


def test_merge_prefers_the_survey_then_the_workspace_then_defaults() -> None:
    workspace = BrandSettings(
        scope=WORKSPACE, name="Acme", primary_color="#1a7f37", logo_url="https://cdn.example/a.png"
    )
    survey = BrandSettings(scope="s1", primary_color="#e07000")
    look = resolve.merge_look(workspace, survey)
    assert (look.name, look.primary, look.on_primary, look.logo_src) == (
        "Acme",
        "#e07000",
        "#111111",
        "https://cdn.example/a.png",
    )
    assert look.link == "#1b1f24"  # #e07000 text on white would fail 4.5:1
    assert resolve.merge_look(None).primary == "#0b5cad"
    assert resolve.merge_look(workspace, survey, survey_name="Acme Shop").name == "Acme Shop"


def test_logos_are_sniffed_from_their_bytes() -> None:
    logo, problem = resolve.check_logo(png())
    assert problem is None and logo is not None and logo.content_type == "image/png"
    assert resolve.check_logo(b"<svg xmlns='http://www.w3.org/2000/svg'/>")[1] is not None
    assert resolve.check_logo(png(extra=300 * 1024))[1] is not None


# -- the forms ----------------------------------------------------------------------


async def post_brand(client: Any, csrf: str, path: str = "/settings/brand", **fields: Any) -> Any:
    logo = fields.pop("logo", None)
    data = {"_csrf": csrf, **fields}
    files = {"logo": logo} if logo is not None else {"logo": ("", b"", "application/octet-stream")}
    return await client.post(path, data=data, files=files, follow_redirects=False)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"primary_color": "#ffcc00"}, "primary_color"),
        ({"primary_color": "not a colour"}, "primary_color"),
        ({"logo_url": "http://cdn.example/logo.png"}, "logo_url"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"font_stack": "Inter; background:url(x)"}, "font_stack"),
        ({"name": "x" * 81}, "name"),
        (
            {"logo": ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")},
            "logo",
        ),
        ({"logo": ("logo.png", b"not an image, only text" * 3, "image/png")}, "logo"),
        ({"logo": ("big.png", png(extra=300 * 1024), "image/png")}, "logo"),
    ],
)
async def test_bad_brand_input_is_refused_naming_the_field(
    client: Any, fields: dict[str, Any], field: str
) -> None:
    csrf = await login(client, await make_user(client, "admin"))
    good = await post_brand(client, csrf, name="Acme", primary_color="#1a7f37")
    assert good.status_code == 303
    answer = await post_brand(client, csrf, **{"name": "Acme", **fields})
    assert answer.status_code == 422, answer.text
    assert f"{field}: " in answer.text
    page = await client.get("/settings/brand")
    assert 'value="#1a7f37"' in page.text  # nothing stored was damaged
    assert 'value="Acme"' in page.text


async def test_the_brand_pages_follow_the_roles(client: Any) -> None:
    version = await in_app(client, published, app_services(client).db)
    await login(client, await make_user(client, "designer"))
    assert (await client.get("/settings/brand")).status_code == 403
    assert (await client.get(f"/surveys/{version.survey_id}/brand")).status_code == 200
    assert (await client.get("/surveys/nope/brand")).status_code == 404
    client.cookies.clear()
    await login(client, await make_user(client, "manager"))
    assert (await client.get(f"/surveys/{version.survey_id}/brand")).status_code == 403


async def test_the_brand_shows_on_the_respondent_page_with_its_logo(client: Any) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db)
    csrf = await login(client, await make_user(client, "admin"))
    saved = await post_brand(
        client,
        csrf,
        name="Acme & Co",
        primary_color="#1A7F37",
        font_stack='Inter, "Helvetica Neue", Arial',
        logo=("logo.png", png(), "image/png"),
    )
    assert saved.status_code == 303
    override = await post_brand(
        client, csrf, f"/surveys/{version.survey_id}/brand", primary_color="#e07000"
    )
    assert override.status_code == 303
    token, _ = await in_app(client, invite, db, version)
    page = (await client.get(f"/s/{token}")).text
    assert "Acme &amp; Co" in page
    assert "How likely is it that you would recommend Acme &amp; Co to a friend" in page
    assert "--accent:#e07000;--accent-ink:#111111" in page  # the survey's colour wins
    assert "--brand-font:Inter, &#34;Helvetica Neue&#34;, Arial" in page
    logo = re.search(r'class="brand-logo" src="(/brand/logo/[0-9a-f]{32})"', page)
    assert logo, page[:1500]
    image = await client.get(logo.group(1))
    assert image.status_code == 200 and image.content == png()
    assert image.headers["content-type"] == "image/png"
    assert "immutable" in image.headers["cache-control"]
    assert (await client.get("/brand/logo/" + "0" * 32)).status_code == 404
    # Removing the logo keeps the rest.
    await post_brand(client, csrf, name="Acme & Co", primary_color="#1a7f37", remove_logo="1")
    from surveyor.branding.resolve import forget_brands

    forget_brands(app_services(client))
    assert "brand-logo" not in (await client.get(f"/s/{token}")).text


async def test_without_a_brand_the_page_names_no_one(client: Any) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db)
    token, _ = await in_app(client, invite, db, version)
    page = (await client.get(f"/s/{token}")).text
    assert "How likely are you to recommend us to a friend or colleague?" in page
    assert "{brand}" not in page and "brand-bar" not in page


# -- Chinese all through --------------------------------------------------------------


def bilingual(name: str) -> SurveyDefinition:
    """A template offered in Chinese too, with no Chinese text of its own."""
    data = msgspec.to_builtins(template_definition(name))
    data["locales"] = ["en", "zh_Hans"]
    return msgspec.convert(data, SurveyDefinition)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("name", ["nps", "ces", "csat", "emotion"])
async def test_a_chinese_respondent_sees_no_english_from_the_built_in_kinds(
    client: Any, name: str
) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db, bilingual(name))
    token, _ = await in_app(client, lambda: invite(db, version, locale="zh_Hans"))
    page = (await client.get(f"/s/{token}")).text
    assert '<html lang="zh-Hans">' in page
    text = visible_text(page)
    english = [s for s in SHIPPED if s in text]
    assert english == [], english
    words = re.findall(r"[A-Za-z]{3,}", text)
    assert words == [], words
    assert "第 1 题" in text


async def test_the_thank_you_and_unsubscribe_pages_are_chinese(client: Any) -> None:
    db = app_services(client).db
    version = await in_app(client, published, db, bilingual("csat"))
    token, _ = await in_app(client, lambda: invite(db, version, locale="zh_Hans"))
    for form in (
        {"step": "satisfaction", "q_satisfaction": "5"},
        {"step": "checkout", "q_checkout": "4"},
    ):
        await client.post(f"/s/{token}", data=form)
    thanks = visible_text((await client.get(f"/s/{token}")).text)
    assert "感谢您的惠顾" in thanks and re.findall(r"[A-Za-z]{3,}", thanks) == []
    unsubscribe = visible_text((await client.get(f"/u/{token}")).text)
    assert re.findall(r"[A-Za-z]{3,}", unsubscribe) == [], unsubscribe


# -- a real email ---------------------------------------------------------------------


def mail_settings(database_url: str, port: int) -> Any:
    return load_settings(
        environ={},
        database=database_url,
        base_url="http://surveyor.test",
        secret_key="s" * 40,
        run_worker=False,
        email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure",
    )


def parts(raw: bytes) -> tuple[str, str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return str(message["Subject"]), text, html


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_the_invitation_email_carries_the_brand_in_the_contacts_language(
    database_url: str, locale: str
) -> None:
    from tests.checkpoints.test_checkpoints_api import CHECKPOINT

    with smtp_server() as (sink, port):
        app = create_app(mail_settings(database_url, port))
        async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
            db = app_services(client).db
            version = await in_app(client, published, db, bilingual("ces"))
            csrf = await login(client, await make_user(client, "admin"))
            saved = await post_brand(
                client,
                csrf,
                name="Acme",
                primary_color="#1a7f37",
                logo=("logo.png", png(), "image/png"),
            )
            assert saved.status_code == 303
            key_page = await client.post(
                "/api/v1/checkpoints",
                json={**CHECKPOINT, "survey_id": version.survey_id, "channels": ["email"]},
                headers=await admin_key(client),
            )
            assert key_page.status_code == 201, key_page.text
            fired = await client.post(
                "/api/v1/events",
                json={
                    "checkpoint": CHECKPOINT["key"],
                    "contact": {
                        "id": "c1",
                        "email": "ana@example.com",
                        "name": "Ana",
                        "locale": locale,
                    },
                },
                headers=await admin_key(client, "events:write"),
            )
            assert fired.status_code == 202, fired.text
            await drain(client)
        assert len(sink.messages) == 1
        subject, text, html = parts(sink.messages[0].content)
    assert "{" not in subject + text and "{brand}" not in html
    assert re.search(r'<img src="http://surveyor\.test/brand/logo/[0-9a-f]{32}" alt="Acme"', html)
    assert "background:#1a7f37;color:#ffffff" in html  # the button in the brand's colour
    if locale == "en":
        assert subject == "Acme: one quick question"
        assert "Acme made it easy for me to handle my issue." in text
        assert "1 = Strongly disagree" in text
    else:
        assert subject == "Acme：一个简短的问题"
        assert "Ana，您好" in text
        assert "Acme让我能够轻松地处理我的问题。" in text
        assert "1 = 非常不同意" in text
        assert "填写问卷" in html
        leftover = re.findall(
            r"[A-Za-z]{3,}", visible_text(html).replace("Acme", "").replace("Ana", "")
        )
        assert leftover == [], leftover


async def admin_key(client: Any, scope: str = "admin") -> dict[str, str]:
    from tests.conftest import api_key

    return await api_key(client, scope)


# -- SMS in the contact's language ----------------------------------------------------

SMS_LINK = "https://feedback.acme.example/s/AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize(
    ("locale", "brand", "question", "expected"),
    [
        ("en", "", "How did we do?", f"How did we do? Tell us in 30 s: {SMS_LINK}"),
        ("en", "Acme", "", f"Acme: How did we do? Tell us in 30 s: {SMS_LINK}"),
        ("zh_Hans", "Acme", "", f"Acme：我们做得怎么样？ {SMS_LINK}"),
        ("zh_Hans", "", "", f"我们做得怎么样？ {SMS_LINK}"),
    ],
)
def test_sms_are_written_in_the_contacts_language(
    locale: str, brand: str, question: str, expected: str
) -> None:
    from surveyor_sms.channel import SmsChannel

    from surveyor import Message

    context: dict[str, Any] = {"brand": brand}
    if question:
        context["question"] = {"text": question}
    message = Message(kind="invitation", link=SMS_LINK, locale=locale, context=context)
    assert SmsChannel().render(message) == expected


def test_a_chinese_reminder_falls_back_to_its_short_form_to_fit_one_sms() -> None:
    from surveyor_sms.channel import SmsChannel

    from surveyor import Message

    long_question = {"text": "您有多大可能向朋友或同事推荐我们？请告诉我们您的想法。"}
    message = Message(
        kind="reminder",
        link=SMS_LINK,
        locale="zh_Hans",
        context={"brand": "Acme", "question": long_question},
    )
    assert SmsChannel().render(message) == f"Acme：能再给我们30秒吗？ {SMS_LINK}"
