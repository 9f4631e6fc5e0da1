"""Suggested themes: key phrases that match no theme of the dictionary, grouped by
similarity, for a designer to accept into the dictionary (Themes page).

Two phrases are alike when their token sets overlap enough (Jaccard index ≥
``THRESHOLD``): English tokens are words cut to a crude stem (``spaces`` → ``space``,
``delivered`` → ``deliver``), Chinese ones are characters. Greedy, most frequent first: a
phrase joins the first group whose seed it is like, else starts a group. Pure Python,
deterministic, enough for the few hundred distinct phrases a period has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec

from surveyor_text.analyze import EN_WORD, HAN, Dictionary

THRESHOLD = 0.5
MIN_MENTIONS = 2
TOP = 10
SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("ly", ""), ("s", ""))


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    mentions: int
    phrases: list[str]
    en: list[str]
    zh: list[str]


def stem(word: str) -> str:
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def tokens(phrase: str) -> frozenset[str]:
    if HAN.search(phrase):
        return frozenset(ch for ch in phrase if HAN.match(ch))
    return frozenset(stem(w) for w in EN_WORD.findall(phrase.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def unmatched(phrases: Iterable[str], dictionary: Dictionary) -> Counter[str]:
    """How often each key phrase occurs, for those no theme of the dictionary matches."""
    counts: Counter[str] = Counter()
    for phrase in phrases:
        text = " ".join(phrase.split())
        if not text:
            continue
        language = "zh" if HAN.search(text) else "en"
        if not dictionary.match(text, language, [text]):
            counts[text.lower() if language == "en" else text] += 1
    return counts


def suggest(
    counts: Counter[str],
    *,
    threshold: float = THRESHOLD,
    min_mentions: int = MIN_MENTIONS,
    top: int = TOP,
) -> list[Suggestion]:
    groups: list[tuple[frozenset[str], list[tuple[str, int]]]] = []
    for phrase, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        own = tokens(phrase)
        if not own:
            continue
        for seed, members in groups:
            if jaccard(seed, own) >= threshold:
                members.append((phrase, n))
                break
        else:
            groups.append((own, [(phrase, n)]))
    out = []
    for _, members in groups:
        mentions = sum(n for _, n in members)
        if mentions < min_mentions:
            continue
        phrases = [p for p, _ in members]
        out.append(
            Suggestion(
                name=phrases[0][:60],
                mentions=mentions,
                phrases=phrases,
                en=[p for p in phrases if not HAN.search(p)][:20],
                zh=[p for p in phrases if HAN.search(p)][:20],
            )
        )
    out.sort(key=lambda s: (-s.mentions, s.name))
    return out[:top]
