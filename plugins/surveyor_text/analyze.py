"""Reading one comment: its language, its sentiment, its themes and key phrases.

Pure functions over text, no database: the job (``jobs``), the re-index and the
benchmark (``bench/text_eval.py``) all call :func:`analyze`.

Models, all shipped inside their pip packages (nothing is downloaded at run time):

* language: Han characters → ``zh``; other text of 25 letters or more → ``langid`` (its
  model is part of the module) restricted to a set of common languages; English when it
  is unsure or the text is shorter, because short English comments ("ok", "meh") are
  where detectors guess wildly.
* English sentiment: VADER (``vaderSentiment``), a lexicon and rules tuned on short
  social-media text, compound score in −1…1.
* Chinese sentiment: SnowNLP's naive-Bayes model trained on product reviews
  (probability of positive, rescaled to −1…1), corrected by a small negation-aware
  lexicon (``ZH_NEGATIVE`` / ``ZH_POSITIVE``) because SnowNLP alone calls many short
  complaints positive (docs/text.md, bench/README.md).
* Chinese words: jieba (its dictionary ships with it), used for theme keywords of one
  character and for key phrases (jieba's TF-IDF extractor, shipped IDF table).

Each model loads on first need (``engines``): an English comment never loads jieba or
SnowNLP, a short one never loads langid. In the server they load only in the analysis
process (``process``).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from surveyor_text.lexicons import _STOP, ZH_NEGATIVE, ZH_NEGATORS, ZH_POSITIVE

DEFAULT_DICTIONARY = Path(__file__).resolve().parent / "themes.toml"
Label = Literal["negative", "neutral", "positive"]
LIBRARIES = ("vaderSentiment", "snownlp", "jieba", "langid")
# Compound scores at or past these are positive / negative (VADER's own cut-offs).
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# SnowNLP is rescaled to −1…1; its neutral band is wider: short texts sit near 0.5.
ZH_NEUTRAL_BAND = 0.25
LANGUAGES = ("en", "zh", "fr", "de", "es", "it", "pt", "nl", "ja", "ko", "ru")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
EN_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")

CLAUSE_END = re.compile(r"[，。！？；,.!?;\s]")


class MissingLibraries(RuntimeError):
    """The text libraries are not installed; ``names`` lists the missing ones."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("missing: " + ", ".join(names))
        self.names = names


@dataclass(frozen=True)
class Theme:
    name: str
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    language: str
    score: float  # −1 (most negative) … 1 (most positive)
    label: Label
    themes: tuple[str, ...]
    key_phrases: tuple[str, ...]
    tokens: tuple[str, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "score": round(self.score, 4),
            "label": self.label,
            "themes": list(self.themes),
            "key_phrases": list(self.key_phrases),
        }


def default_themes(path: Path = DEFAULT_DICTIONARY) -> list[Theme]:
    """The dictionary shipped with the plugin (``themes.toml``); read once per version of
    the file (each ``text.analyze`` job without a saved dictionary asks for it)."""
    return list(_read_themes(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _read_themes(path: Path, mtime_ns: int) -> tuple[Theme, ...]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return tuple(
        Theme(name=name, en=tuple(entry.get("en", ())), zh=tuple(entry.get("zh", ())))
        for name, entry in data.items()
    )


def missing_libraries() -> list[str]:
    """The text libraries that cannot be imported (empty when all are there)."""
    return [name for name in LIBRARIES if importlib.util.find_spec(name) is None]


class _Models:
    """The models of this process (``engines.Models``: each part loaded on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: Mapping[str, Any] | None = None

    def get(self) -> Mapping[str, Any]:
        with self._lock:
            if self._loaded is None:
                missing = missing_libraries()
                if missing:
                    raise MissingLibraries(missing)
                from surveyor_text.engines import Models

                self._loaded = Models()
            return self._loaded


MODELS = _Models()


def detect_language(text: str, models: Mapping[str, Any] | None = None) -> str:
    """``zh``, ``en`` or another ISO 639-1 code (analysed as English)."""
    letters = LETTER.findall(text)
    if not letters:
        return "en"
    han = len(HAN.findall(text))
    if KANA.search(text):
        return "ja"
    if HANGUL.search(text):
        return "ko"
    if han and han >= 0.3 * len(letters):
        return "zh"
    # langid calls many short English comments French or Italian: only a long text it
    # is sure of is called another language (and is then scored as English anyway).
    if len(letters) < 25:
        return "en"
    models = models or MODELS.get()
    code, confidence = models["langid"].classify(text)
    if code in ("zh", "ja", "ko") or confidence < 0.999:
        return "en"
    return str(code)


def _label(score: float, band: float = POSITIVE_AT) -> Label:
    if score >= band:
        return "positive"
    if score <= -band:
        return "negative"
    return "neutral"


def english_sentiment(text: str, models: Mapping[str, Any]) -> float:
    return float(models["vader"].polarity_scores(text)["compound"])


def _lexicon_hits(text: str, tokens: list[str], words: Iterable[str]) -> int:
    """Occurrences of ``words`` in ``text``, a negated one counting −1 (longest first, no
    overlaps: 不满意 is one complaint, not also 满意 praise)."""
    token_set = set(tokens)
    taken = [False] * len(text)
    hits = 0
    for word in sorted(words, key=len, reverse=True):
        if len(word) == 1:
            if word in token_set:
                hits += tokens.count(word)
            continue
        start = text.find(word)
        while start != -1:
            end = start + len(word)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(word)
                before = CLAUSE_END.split(text[max(0, start - 4) : start])[-1]
                hits += -1 if any(c in ZH_NEGATORS for c in before) else 1
            start = text.find(word, end)
    return hits


def chinese_sentiment(text: str, tokens: list[str], models: Mapping[str, Any]) -> float:
    """SnowNLP's probability (→ −1…1), weighted low, plus a lexicon vote, in −1…1."""
    probability = float(models["zh_sentiment"](text))
    base = 2 * probability - 1
    # A negated praise word ("没 解决") counts as a complaint, a negated complaint as praise.
    vote = _lexicon_hits(text, tokens, ZH_POSITIVE) - _lexicon_hits(text, tokens, ZH_NEGATIVE)
    return math.tanh(0.35 * base + 0.8 * vote)


def _english_keyword(keyword: str) -> re.Pattern[str]:
    word = keyword.strip().lower()
    prefix = word.endswith("*")
    body = re.escape(word.rstrip("*")).replace(r"\ ", r"\s+")
    return re.compile(rf"(?<![a-z0-9]){body}{'[a-z]*' if prefix else ''}(?![a-z0-9])")


class Dictionary:
    """A theme dictionary compiled for matching."""

    def __init__(self, themes: Iterable[Theme]) -> None:
        self.themes = tuple(themes)
        self._en = [
            (theme.name, [_english_keyword(k) for k in theme.en if k.strip()])
            for theme in self.themes
        ]
        self._zh = [
            (theme.name, [k.strip() for k in theme.zh if k.strip()]) for theme in self.themes
        ]

    def chinese_words(self) -> set[str]:
        return {k for _, words in self._zh for k in words if len(k) > 1 and HAN.search(k)}

    def match(self, text: str, language: str, tokens: list[str]) -> tuple[str, ...]:
        lowered = text.lower()
        token_set = set(tokens)
        found = []
        for (name, patterns), (_, words) in zip(self._en, self._zh, strict=True):
            hit = any(p.search(lowered) for p in patterns)
            if not hit and (language == "zh" or HAN.search(text)):
                hit = any(
                    (w in token_set) if len(w) == 1 else (w.lower() in lowered) for w in words
                )
            if hit:
                found.append(name)
        return tuple(found)


def segment(text: str, models: Mapping[str, Any] | None = None) -> list[str]:
    """jieba's words of a Chinese text (punctuation and spaces dropped)."""
    models = models or MODELS.get()
    return [w for w in models["jieba"].lcut(text) if w.strip() and LETTER.search(w)]


def analyze(text: str, dictionary: Dictionary, models: Mapping[str, Any] | None = None) -> Result:
    """Language, sentiment, themes and key phrases of one comment."""
    models = models or MODELS.get()
    text = text.strip()
    language = detect_language(text, models)
    if language == "zh":
        words = dictionary.chinese_words() - models["words"]
        if words:
            for word in words:
                models["jieba"].add_word(word)
            models["words"].update(words)
        tokens = segment(text, models)
        score = chinese_sentiment(text, tokens, models) if tokens else 0.0
        label = _label(score, ZH_NEUTRAL_BAND)
        phrases = tuple(models["extract_tags"](text, topK=5))
    else:
        tokens = EN_WORD.findall(text.lower())
        score = english_sentiment(text, models) if tokens else 0.0
        label = _label(score)
        counts: dict[str, int] = {}
        for token in tokens:
            if token not in _STOP and len(token) > 2:
                counts[token] = counts.get(token, 0) + 1
        phrases = tuple(sorted(counts, key=lambda t: (-counts[t], tokens.index(t)))[:5])
    themes = dictionary.match(text, language, tokens)
    return Result(
        language=language,
        score=max(-1.0, min(1.0, score)),
        label=label,
        themes=themes,
        key_phrases=phrases,
        tokens=tuple(tokens),
    )
