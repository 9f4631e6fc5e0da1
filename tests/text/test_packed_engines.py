"""The packed engines give the libraries' own answers: langid's language and confidence,
jieba's words (with the theme words added) — memory is what they save, not accuracy."""

from __future__ import annotations

import pytest
from surveyor_text import analyze
from surveyor_text.language import load_identifier
from surveyor_text.zh_words import load_tokenizer

TEXTS = [
    "",
    "ok",
    "The delivery was late and the courier was rude to my neighbour.",
    "Le service était très lent et le livreur impoli, je ne recommande pas.",
    "Die Lieferung kam zu spät und der Kundendienst war unfreundlich.",
    "El producto llegó roto y nadie respondió a mis correos.",
    "Доставка была быстрой, но упаковка была повреждена.",
    "配達が遅くて残念でした。",
    "客服态度很差，等了三天都没人回复，太失望了",
    "我爱北京天安门，小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "APP 很好用 但是 iOS 版本经常闪退！！",
]


def test_the_packed_langid_answers_as_langid() -> None:
    langid = pytest.importorskip("langid.langid")
    stock = langid.LanguageIdentifier.from_modelstring(langid.model, norm_probs=True)
    stock.set_languages(list(analyze.LANGUAGES))
    packed = load_identifier(analyze.LANGUAGES)
    for text in TEXTS:
        code, confidence = stock.classify(text)
        assert packed.classify(text)[0] == code, text
        assert packed.classify(text)[1] == pytest.approx(confidence, abs=1e-12), text


def test_the_packed_jieba_cuts_as_jieba() -> None:
    jieba = pytest.importorskip("jieba")
    stock = jieba.Tokenizer()
    stock.initialize()
    packed = load_tokenizer()
    words = analyze.Dictionary(analyze.default_themes()).chinese_words()
    for word in sorted(words):
        stock.add_word(word)
        packed.add_word(word)
    for text in TEXTS:
        assert packed.lcut(text) == stock.lcut(text), text
        assert packed.lcut(text, HMM=False) == stock.lcut(text, HMM=False), text
