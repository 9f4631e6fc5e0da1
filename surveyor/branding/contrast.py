"""WCAG 2.2 contrast for a brand's primary colour: pure functions, table-tested.

The primary colour fills buttons and the selected score, and draws the focus ring and
the borders of chosen options. Our rule (docs/branding.md):

* the colour must reach **3:1 against the white card** (WCAG 1.4.11, non-text contrast),
  or the focus ring and the chosen score could not be seen — such a colour is refused;
* the text on it is **computed**: white when white reaches 4.5:1 (WCAG 1.4.3, AA for
  normal text), else near-black. Any colour that passes the first rule has one of the
  two at 4.5:1 or more, so the button text is always readable.
"""

from __future__ import annotations

import re

HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
WHITE = "#ffffff"
INK = "#111111"  # the dark text on a light primary colour
SURFACE = "#ffffff"  # the respondent card and the email body
PAGE = "#f6f7f9"  # the respondent page around the card
NON_TEXT_MIN = 3.0
TEXT_MIN = 4.5


def normalize_hex(value: str) -> str | None:
    """``#0B5CAD``, ``0b5cad`` or ``#07f`` → ``#0b5cad`` / ``#0077ff``; None if not a colour."""
    match = HEX.match(value.strip())
    if not match:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    normal = normalize_hex(color)
    if normal is None:
        raise ValueError(f"not a colour: {color!r}")
    r, g, b = (int(normal[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(one: str, other: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker: from 1 to 21."""
    a, b = relative_luminance(one), relative_luminance(other)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def text_on(color: str) -> str:
    """The text colour for a button filled with ``color``: white if it reads, else ink."""
    return WHITE if contrast_ratio(color, WHITE) >= TEXT_MIN else INK


def primary_problem(color: str) -> str | None:
    """Why ``color`` cannot be a primary colour (in English, for the catalog), or None."""
    normal = normalize_hex(color)
    if normal is None:
        return "use a colour like #0b5cad (a # and six hexadecimal digits)."
    ratio = contrast_ratio(normal, SURFACE)
    if ratio < NON_TEXT_MIN:
        return (
            "this colour has a contrast of %(ratio)s:1 against the white page; "
            "focus rings and chosen answers need at least 3:1. Choose a darker colour."
        )
    return None


def rounded_ratio(color: str, other: str = SURFACE) -> str:
    """A ratio as people read it, rounded down so 2.96 never shows as 3.0."""
    ratio = contrast_ratio(color, other)
    return f"{int(ratio * 10) / 10:.1f}"
