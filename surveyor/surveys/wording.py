"""Words Surveyor ships inside surveys: translated with the survey, and natural without
a brand.

* The templates' texts and the built-in kinds' defaults are English strings that
  Surveyor translates itself (they are msgids of the interface catalogs). A survey shown
  in ``zh_Hans`` whose designer left, say, a scale label untranslated shows Surveyor's
  translation of it instead of the English — :func:`shipped_translation`, used by
  ``logic.text_for``.
* ``{brand}`` in a text becomes the brand's name. With no brand, a shipped text reads
  naturally in its own words (:data:`WITHOUT_BRAND`, "How likely are you to recommend us
  …", never "us made it easy …"); any other text gets "we"/"our"/"us" by position
  (:func:`without_brand`).

Pure code apart from reading the catalogs, which are compiled once per process.
"""

from __future__ import annotations

import functools
import re

from surveyor.i18n import available_locales, best_locale, translations

BRAND = "{brand}"
# The catalogs hold shipped survey texts under this context (msgctxt), apart from the
# interface's strings: "Yes" in a survey and "Yes" on a button may be translated apart.
CONTEXT = "survey"

# Shipped texts that name the brand → their wording when no brand is set (English
# msgids; both sides are translated in the catalogs).
WITHOUT_BRAND: dict[str, str] = {
    "How likely is it that you would recommend {brand} to a friend or colleague?": (
        "How likely are you to recommend us to a friend or colleague?"
    ),
    "{brand} made it easy for me to handle my issue.": "It was easy for me to handle my issue.",
}

# The ends of the built-in scales when a question names none (the respondent templates
# and the email use the same words).
SCALE_ENDS: dict[str, tuple[str, str]] = {
    "nps": ("Not at all likely", "Extremely likely"),
    "ces": ("Strongly disagree", "Strongly agree"),
    "csat": ("Very dissatisfied", "Very satisfied"),
    "emotion": ("Very bad", "Very good"),
}


# Every other string Surveyor puts into a survey: the four templates (titles, questions,
# scale labels, options, endings) and the kinds' default texts. Each is a msgid of the
# catalogs; tests/respond/test_wording.py keeps this list and the templates in step.
SHIPPED: frozenset[str] = frozenset(
    {
        *WITHOUT_BRAND,
        *WITHOUT_BRAND.values(),
        # relationship NPS
        "Tell us what you think",
        "Not at all likely",
        "Extremely likely",
        "What could we do better?",
        "What would make you rate us higher?",
        "What did we get right?",
        "Which of these mattered most?",
        "The product",
        "Customer support",
        "Price",
        "Ease of use",
        "Thank you. We are sorry we fell short: our team may get in touch.",
        "Thank you for your feedback!",
        # customer effort
        "Your support case",
        "Strongly disagree",
        "Strongly agree",
        "Was your issue resolved?",
        "Yes",
        "Partly",
        "No",
        "What made it hard?",
        "Thank you for helping us improve support.",
        # satisfaction
        "Your purchase",
        "How satisfied were you with your purchase?",
        "Very dissatisfied",
        "Very satisfied",
        "How would you rate the checkout?",
        "What should we improve?",
        "Thank you for shopping with us!",
        # emotion
        "Your delivery",
        "How did your delivery make you feel?",
        "Very upset",
        "Delighted",
        "We are sorry. What went wrong?",
        "What made it a good experience?",
        "Thank you! Enjoy your order.",
        # the kinds' default texts and scale ends
        "How did this make you feel?",
        "How would you rate it?",
        "Which one fits best?",
        "Which of these apply?",
        "What is the main reason for your score?",
        "Very bad",
        "Very good",
        *(end for ends in SCALE_ENDS.values() for end in ends),
    }
)


def scale_ends(kind: str, locale: str) -> tuple[str, str]:
    """The default end labels of a built-in scale in ``locale`` (empty for other kinds)."""
    ends = SCALE_ENDS.get(kind)
    if ends is None:
        return "", ""
    low, high = ends
    return (shipped_translation(low, locale) or low, shipped_translation(high, locale) or high)


@functools.lru_cache(maxsize=64)
def _catalog_locale(locale: str) -> str:
    return best_locale([locale]) if locale else ""


def shipped_translation(english: str, locale: str) -> str | None:
    """Surveyor's own translation of a shipped English text into ``locale``, if any."""
    if english not in SHIPPED or not locale or locale.split("_", 1)[0] == "en":
        return None
    chosen = _catalog_locale(locale)
    if not chosen or chosen.split("_", 1)[0] != locale.split("_", 1)[0]:
        return None
    translated = translations(chosen).pgettext(CONTEXT, english)
    return translated if translated != english else None


@functools.cache
def _natural_forms() -> dict[str, str]:
    """Every language's branded shipped text → its brandless wording."""
    forms = dict(WITHOUT_BRAND)
    for locale in available_locales():
        catalog = translations(locale)
        for branded, natural in WITHOUT_BRAND.items():
            translated = catalog.pgettext(CONTEXT, branded)
            if translated != branded and BRAND in translated:
                forms[translated] = catalog.pgettext(CONTEXT, natural)
    return forms


CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def without_brand(text: str) -> str:
    """``text`` worded for no brand: shipped texts in their own words, others by position
    ("{brand} made…" → "We made…", "…{brand}'s…" → "…our…", "…{brand}…" → "…us…")."""
    if BRAND not in text:
        return text
    natural = _natural_forms().get(text)
    if natural is not None:
        return natural
    if CJK.search(text):
        return text.replace(BRAND, "我们")
    text = re.sub(r"^(\s*)\{brand\}'s\b", r"\1Our", text)
    text = re.sub(r"\{brand\}'s\b", "our", text)
    text = re.sub(r"(^|[.!?]\s+)\{brand\}", r"\1We", text)
    return text.replace(BRAND, "us")
