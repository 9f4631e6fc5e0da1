"""Every string the surveyor_text pages show has a Simplified Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from surveyor.i18n import translations

TEMPLATES = Path(__file__).resolve().parents[2] / "plugins" / "surveyor_text" / "templates"
STRING = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def test_every_plugin_string_has_a_zh_hans_translation() -> None:
    catalog = translations("zh_Hans")
    found = {"negative", "neutral", "positive", "Themes"}  # labels and the menu link
    for path in TEMPLATES.rglob("*.html"):
        for match in STRING.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    missing = sorted(text for text in found if catalog.gettext(text) == text)
    assert not missing
