"""The comment analysis itself, without a database: behaviour, never a tuned accuracy."""

from __future__ import annotations

from surveyor_text import analyze

DICTIONARY = analyze.Dictionary(analyze.default_themes())


def test_a_clearly_negative_english_comment_is_negative() -> None:
    result = analyze.analyze(
        "Terrible service. The delivery was late and the courier was rude.", DICTIONARY
    )
    assert result.language == "en"
    assert result.label == "negative"
    assert result.score < 0
    assert "delivery" in result.themes


def test_a_clearly_positive_english_comment_is_positive() -> None:
    result = analyze.analyze("Great product, I love it. Excellent quality!", DICTIONARY)
    assert result.label == "positive"
    assert "product quality" in result.themes


def test_a_clearly_negative_chinese_comment_is_negative_and_segmented() -> None:
    text = "客服态度很差，等了三天都没人回复，太失望了"
    result = analyze.analyze(text, DICTIONARY)
    assert result.language == "zh"
    assert result.label == "negative"
    assert "support" in result.themes
    words = analyze.segment(text)
    assert "客服" in words and "态度" in words  # words, not characters
    assert all(len(w) < len(text) for w in words)


def test_a_clearly_positive_chinese_comment_is_positive() -> None:
    result = analyze.analyze("物流很快，质量很好，非常满意！", DICTIONARY)
    assert result.label == "positive"
    assert {"delivery", "product quality"} <= set(result.themes)


def test_a_negated_praise_word_counts_as_a_complaint() -> None:
    assert analyze.analyze("一点都不满意，不推荐", DICTIONARY).label == "negative"


def test_keywords_match_words_and_prefixes_not_parts_of_words() -> None:
    dictionary = analyze.Dictionary(
        [
            analyze.Theme(name="billing", en=("bill*",), zh=("账单",)),
            analyze.Theme(name="price", en=("fee",), zh=("贵",)),
        ]
    )
    assert dictionary.match("Billing was wrong", "en", []) == ("billing",)
    assert dictionary.match("I pay a coffee", "en", []) == ()  # "fee" inside "coffee"
    assert dictionary.match("账单错了", "zh", ["账单", "错", "了"]) == ("billing",)
    assert dictionary.match("太贵了", "zh", ["太", "贵", "了"]) == ("price",)
    assert dictionary.match("贵宾服务", "zh", ["贵宾", "服务"]) == ()  # one character: a word


def test_language_of_empty_and_mixed_text() -> None:
    assert analyze.detect_language("") == "en"
    assert analyze.detect_language("APP 很好用") == "zh"
    assert analyze.analyze("   ", DICTIONARY).label == "neutral"


def test_the_shipped_dictionary_has_both_languages_for_every_theme() -> None:
    themes = analyze.default_themes()
    assert {"billing", "delivery", "support", "product quality", "price", "usability"} <= {
        t.name for t in themes
    }
    assert all(t.en and t.zh for t in themes)
