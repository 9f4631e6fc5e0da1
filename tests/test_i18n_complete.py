"""Chinese, completely: every interface string of every template is translated in the
zh_Hans catalog, the two catalogs hold the same message ids, and no template shows
English text that is not wrapped for translation (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "surveyor" / "locale"
TEMPLATES = sorted(
    [*ROOT.glob("templates/**/*.html"), *ROOT.glob("plugins/*/**/templates/**/*.html")]
)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}

# Words that read the same in every language of the product: the product's name, the
# metrics' proper names, units and formats.
UNTRANSLATED_WORDS = {
    "Surveyor",
    "NPS",
    "CES",
    "CSAT",
    "UTC",
    "JSON",
    "CSV",
    "API",
    "SLA",
    "ms",
    "min",
    "htmx",
    # font names in the brand form's example font stack
    "Inter",
    "Helvetica",
    "Neue",
    "Arial",
}
ATTRIBUTES = re.compile(
    r"""\b(?:title|placeholder|aria-label|alt|hx-confirm|data-confirm)="([^"{]*[A-Za-z][^"]*)\""""
)
JINJA = re.compile(
    r"{%\s*trans\b.*?{%\s*endtrans\s*%}"  # translated blocks
    r"|{%\s*block\s+\w*class\w*\s*%}.*?{%\s*endblock"  # CSS class names
    r"|{#.*?#}"  # Jinja comments, then statements and expressions (quotes may hold braces)
    r"""|{%(?:[^%"']|"[^"]*"|'[^']*'|%(?!}))*%}"""
    r"""|{{(?:[^}"']|"[^"]*"|'[^']*'|}(?!}))*}}""",
    re.S,
)
STRIP = re.compile(
    r"<script\b.*?</script>|<style\b.*?</style>"  # code
    r"|<code\b.*?</code>|<pre\b.*?</pre>|<kbd\b.*?</kbd>"  # literal examples
    r"|<!--.*?-->|<[^>]*>",  # comments and tags
    re.S,
)


def _catalog(locale: str) -> Catalog:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _context(path: Path) -> str | None:
    """Messages (emails, SMS) look their strings up under the context ``message``."""
    return "message" if path.parent.name in ("email", "sms") else None


def _template_messages() -> dict[tuple[str, str | None], str]:
    found: dict[tuple[str, str | None], str] = {}
    for path in TEMPLATES:
        with path.open("rb") as handle:
            for lineno, message, _comments, _ctx in extract(
                babel_extract,
                handle,
                keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n"},
            ):
                key = message if isinstance(message, str) else message[0]
                if key:
                    found.setdefault((key, _context(path)), f"{path.relative_to(ROOT)}:{lineno}")
    return found


def _translated(catalog: Catalog, msgid: str, context: str | None = None) -> bool:
    entry = catalog.get(msgid, context=context)
    if entry is None or entry.fuzzy:
        return False
    strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
    return bool(strings) and all(strings)


def _english_words(text: str) -> list[str]:
    """Words of running text: entities, identifiers and example values (``tier:gold``,
    ``a@b.c``, ``/api/v1``) are not prose."""
    text = re.sub(r"&#?\w+;", " ", text)
    prose = " ".join(token for token in text.split() if not re.search(r"[:=@/_.{}<>]", token))
    words = re.findall(r"[A-Za-z][A-Za-z'’-]+", prose)
    return [word for word in words if word not in UNTRANSLATED_WORDS]


def test_the_templates_use_messages() -> None:
    # Guards the extraction itself: an extractor that finds nothing would pass everything.
    assert len(_template_messages()) > 300


def test_every_template_message_has_a_chinese_translation() -> None:
    catalog = _catalog("zh_Hans")
    untranslated = [
        f"{where}: {msgid!r}"
        for (msgid, context), where in sorted(_template_messages().items(), key=lambda i: i[1])
        if not _translated(catalog, msgid, context)
    ]
    assert untranslated == []


def test_the_catalogs_hold_the_same_messages() -> None:
    english = {
        (m.id if isinstance(m.id, str) else m.id[0], m.context) for m in _catalog("en") if m.id
    }
    chinese = _catalog("zh_Hans")
    missing = [key for key in english if not _translated(chinese, *key)]
    assert sorted(missing, key=str) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_shows_english_that_is_not_wrapped(path: Path) -> None:
    source = JINJA.sub(" ", path.read_text(encoding="utf-8"))
    attributes = [value for value in ATTRIBUTES.findall(source) if _english_words(value)]
    text = [
        chunk.strip() for chunk in STRIP.split(ATTRIBUTES.sub("", source)) if _english_words(chunk)
    ]
    assert attributes + text == []


def test_every_form_sentence_and_pattern_has_a_chinese_translation() -> None:
    from surveyor.i18n import PATTERNS
    from surveyor.web.forms import SENTENCES

    catalog = _catalog("zh_Hans")
    sentences = {sentence for _pattern, sentence in SENTENCES} | set(PATTERNS)
    assert sorted(s for s in sentences if not _translated(catalog, s)) == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("password: use at least 10 characters.", "password: 请至少使用 10 个字符。"),
        ("Wrong email or password.", "邮箱或密码错误。"),
        (
            "Too many failed attempts. Wait 7 seconds and try again.",
            "失败次数过多。请等待 7 秒后重试。",
        ),
        ("channel: sms is not one of the choices.", "channel: sms 不是可选项之一。"),
        ("name: something nobody wrote down", "name: something nobody wrote down"),
    ],
)
def test_messages_made_in_python_reach_the_reader_in_chinese(english: str, chinese: str) -> None:
    from surveyor.i18n import say

    assert say(english, "zh_Hans") == chinese
    assert say(english, "en") == english


async def test_a_chinese_staff_user_reads_form_errors_in_chinese(client) -> None:
    from tests.conftest import PASSWORD, app_services, in_app, login, make_user

    user = await make_user(client, "designer")

    async def speak_chinese() -> None:
        from surveyor.auth import store

        await store.update_user(app_services(client).db, user.id, locale="zh_Hans")

    await in_app(client, speak_chinese)
    csrf = await login(client, user)
    short = {"current_password": PASSWORD, "password": "short", "confirm_password": "short"}
    response = await client.post("/settings/password", data={**short, "_csrf": csrf})
    assert response.status_code == 422
    assert "password: 请至少使用 10 个字符。" in response.text
    wrong = {**short, "current_password": "not it at all", "password": "long enough pass"}
    response = await client.post(
        "/settings/password", data={**wrong, "confirm_password": wrong["password"], "_csrf": csrf}
    )
    assert response.status_code == 422
    assert "current_password: 密码错误" in response.text


# -- messages made in Python: domain errors and problem details -----------------------
# Exceptions whose text reaches a person (a form, an error page, an API problem's
# ``detail``), with the position of their message among the call's arguments.
DOMAIN_ERRORS = {
    "CaseError": 1,
    "ReplyError": 1,
    "SourceRejected": 1,
    "EventRejected": 1,
    "MappingError": 2,
    "invalid": 1,
    "EditError": 0,
    "AnswerError": 0,
    "FormError": 0,
    "PayloadRejected": 0,
    "Problem": 1,  # a survey that cannot be published, shown in the designer
}
FIELD = re.compile(r"^[A-Za-z_][\w.\[\]-]{0,80}: ")


def _as_pattern(node) -> str | None:
    """A literal message, or an f-string as its pattern ({0}, {1}… for the values)."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts, slot = [], 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(f"{{{slot}}}")
                slot += 1
        return "".join(parts)
    return None


def _python_messages() -> dict[str, str]:
    """Every message a domain error or an HTTP error's ``detail`` is raised with,
    as ``say()`` looks it up (``field: `` aside), and where it is made."""
    import ast

    found: dict[str, str] = {}
    sources = [*ROOT.glob("surveyor/**/*.py"), *ROOT.glob("plugins/*/**/*.py")]
    for path in sorted(sources):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            messages: list[ast.expr] = []
            if isinstance(node, ast.Dict):  # a validation error's ``{"key", "message"}``
                keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
                if "key" in keys and "message" in keys:
                    messages.append(node.values[keys.index("message")])
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                messages += [k.value for k in node.keywords if k.arg == "detail"]
                position = DOMAIN_ERRORS.get(name)
                if position is not None and len(node.args) > position:
                    messages.append(node.args[position])
            for message in messages:
                text = _as_pattern(message)
                if text is None:
                    continue  # a message made elsewhere (collected where it is made)
                if FIELD.match(text):
                    text = text.split(": ", 1)[1]
                if re.search(r"[A-Za-z]{2}", re.sub(r"\{\d\}", "", text)):
                    found.setdefault(text, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_python_messages_are_found() -> None:
    messages = _python_messages()
    assert "say what was done for the customer" in messages  # CaseError(field, message)
    assert "no survey {0}" in messages  # detail=f"survey_id: no survey {survey_id!r}"
    assert len(messages) > 100


def test_every_domain_error_has_a_chinese_translation() -> None:
    from surveyor.i18n import PATTERNS

    catalog = _catalog("zh_Hans")
    missing = [
        f"{where}: {text!r}"
        for text, where in sorted(_python_messages().items(), key=lambda item: item[1])
        if not _translated(catalog, text) or ("{0}" in text and text not in PATTERNS)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("status: a closed case cannot move to open", "status: 状态为 closed 的工单不能改为 open"),
        ("outcome: say what was done for the customer", "outcome: 请说明为客户做了什么"),
        ("survey_id: no survey 'x1'", "survey_id: 没有问卷 'x1'"),
        ("Choose a number from 2 to 8.", "请选择 2 到 8 之间的数字。"),
    ],
)
def test_domain_errors_with_values_reach_the_reader_in_chinese(english: str, chinese: str) -> None:
    from surveyor.i18n import say

    assert say(english, "zh_Hans") == chinese


async def test_api_problem_details_follow_accept_language(client) -> None:
    from tests.conftest import api_key

    headers = await api_key(client, "admin")
    english = await client.get("/api/v1/surveys/nope", headers=headers)
    chinese = await client.get(
        "/api/v1/surveys/nope", headers={**headers, "Accept-Language": "zh-Hans,en;q=0.5"}
    )
    assert english.status_code == chinese.status_code == 404
    assert english.json()["detail"] == "survey_id: no survey 'nope'"
    assert chinese.json()["detail"] == "survey_id: 没有问卷 'nope'"
    machine = ("type", "title", "status", "status_code")
    assert {k: chinese.json()[k] for k in machine} == {k: english.json()[k] for k in machine}
    bad = await client.post(
        "/api/v1/surveys",
        json={"template": "nps", "definition": {}, "name": "x"},
        headers={**headers, "Accept-Language": "zh-CN"},
    )
    assert bad.status_code == 400
    assert bad.json()["detail"] == "template: 请给出模板或定义之一"
    assert bad.json()["errors"] == [
        {"field": "template", "message": "give either a template or a definition"}
    ]


async def test_a_chinese_staff_user_reads_error_pages_in_chinese(client) -> None:
    from tests.conftest import app_services, in_app, login, make_user

    user = await make_user(client, "designer")

    async def speak_chinese() -> None:
        from surveyor.auth import store

        await store.update_user(app_services(client).db, user.id, locale="zh_Hans")

    await in_app(client, speak_chinese)
    await login(client, user)
    page = await client.get("/surveys/nope")
    assert page.status_code == 404
    assert "没有这个问卷" in page.text
    assert "no such survey" not in page.text


def test_states_and_menu_labels_shown_as_words_have_chinese_translations() -> None:
    """Templates show these through ``_()`` or ``| say``: job and invitation states, the
    dashboards' figure names and warnings, and the navigation labels plugins give."""
    import ast
    from typing import get_args

    from surveyor.delivery.models import JOB_STATUSES
    from surveyor.invitations.models import InvitationStatus
    from surveyor.metrics import present, stats
    from surveyor.metrics.views import FUNNEL_LABELS

    words = set(JOB_STATUSES) | set(get_args(InvitationStatus)) | set(FUNNEL_LABELS.values())
    # The dashboards' figures, warnings, badge labels and tests (shown with _() or | say).
    words |= {title for *_rest, title in present.HEADLINE.values()}
    words |= set(stats.WARNING_TEXT.values()) | set(present.TEST_NAMES.values())
    words |= {label for figures in present.CARD_FIGURES.values() for _f, label in figures}
    words -= {"NPS", "NEV"}
    for path in [*ROOT.glob("surveyor/**/*.py"), *ROOT.glob("plugins/*/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and function.name == "menu_links":
                for node in ast.walk(function):
                    if isinstance(node, ast.Dict):
                        keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
                        if "label" in keys:
                            label = node.values[keys.index("label")]
                            if isinstance(label, ast.Constant):
                                words.add(label.value)
    assert "Sources" in words and "dead" in words
    catalog = _catalog("zh_Hans")
    assert sorted(w for w in words if not _translated(catalog, w)) == []
