"""Interface strings: the designer, the staff shell and sign-in exist in English and
Simplified Chinese catalogs, including labels chosen in Python (operators, kinds, templates)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract
from jinja2.ext import babel_extract

from surveyor.i18n import available_locales, translations
from surveyor.surveys.designer import OPERATOR_LABELS
from surveyor.surveys.kinds import builtin_kinds
from surveyor.surveys.templates_lib import TEMPLATE_NAMES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    ROOT / "templates" / "base.html",
    ROOT / "templates" / "auth" / "login.html",
    ROOT / "templates" / "auth" / "setup.html",
    *sorted((ROOT / "templates" / "surveys").glob("*.html")),
]


def template_messages() -> list[str | tuple[str, ...]]:
    found: list[str | tuple[str, ...]] = []
    for path in TEMPLATES:
        with path.open("rb") as handle:
            for _, message, _, _ in extract(
                babel_extract,
                handle,
                keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
                options={"extensions": "jinja2.ext.i18n"},
            ):
                found.append(message)
    return found


PYTHON_LABELS = [
    *OPERATOR_LABELS.values(),
    *(kind.label for kind in builtin_kinds()),
    *TEMPLATE_NAMES.values(),
]


def test_both_catalogs_are_shipped() -> None:
    assert {"en", "zh_Hans"} <= set(available_locales())


@pytest.mark.parametrize("message", template_messages() + PYTHON_LABELS, ids=str)
def test_designer_and_shell_strings_are_translated_to_simplified_chinese(
    message: str | tuple[str, ...],
) -> None:
    catalog = translations("zh_Hans")
    if isinstance(message, tuple):
        translated = catalog.ngettext(message[0], message[1], 2)
        assert translated != message[1]
    else:
        translated = catalog.gettext(message)
        assert translated != message or message.startswith("v%(")
    assert translated.count("%(") == (message[0] if isinstance(message, tuple) else message).count(
        "%("
    )


def test_english_catalog_shows_the_source_text() -> None:
    assert translations("en").gettext("Publish") == "Publish"
    assert (
        translations("en").ngettext("%(num)s version", "%(num)s versions", 2) == "%(num)s versions"
    )
