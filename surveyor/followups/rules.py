"""Follow-up rules: does this response open a case, how urgent is it, and why.

Pure code — no database, no clock — so the exact same decision runs inside the
transaction that completes a response (no matching response is ever left without
its case), in the rule editor's preview and in table-driven tests.

Priority is decided in two steps a manager can follow: the worst matching score
band (or a keyword hit) gives the base priority, then contact attributes such as
``tier = vip`` raise it. Every step leaves a human-readable reason on the decision.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from surveyor.followups.models import (
    PRIORITIES,
    AttributeBoost,
    FollowupRule,
    Priority,
    RuleDecision,
    Scores,
)

# Scripts written without spaces between words (Chinese, Japanese, Thai) or whose
# particles are glued to the word (Korean: 환불을 = "refund" + object marker). Word
# boundaries mean nothing there, so a keyword in these scripts matches as a substring.
_UNSPACED = (
    "\u0e00-\u0e7f"  # Thai
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\U00020000-\U0002fa1f"  # CJK extensions
)
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
# A letter or digit of a spaced script: what must not touch a Latin/Cyrillic/… keyword.
# Unspaced characters do not count, so "refund" is found in "我要refund".
_WORD_CHAR = f"[^\\W{_UNSPACED}]"


def normalize(text: str) -> str:
    """NFKC then casefold: full-width "ＲＥＦＵＮＤ" and "Refund" both read "refund"."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    word = normalize(keyword.strip())
    if _UNSPACED_CHAR.search(word):
        return re.compile(re.escape(word))
    # Any run of spaces in a phrase matches any run of white space in the comment.
    body = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(f"(?<!{_WORD_CHAR}){body}(?!{_WORD_CHAR})")


def matched_keywords(comment: str | None, keywords: Iterable[str]) -> tuple[str, ...]:
    """The configured words that occur in the comment, in configuration order.

    Case-insensitive and on word boundaries ("refund" matches "Refund!" but not
    "refunded"); in unspaced scripts a plain substring ("退款" in "我要退款").
    """
    if not comment:
        return ()
    text = normalize(comment)
    return tuple(k for k in keywords if k.strip() and _keyword_pattern(k).search(text))


def raise_priority(priority: Priority, levels: int) -> Priority:
    """Move up ``levels`` steps (down if negative), stopping at the ends of the scale."""
    index = PRIORITIES.index(priority) + levels
    return PRIORITIES[max(0, min(index, len(PRIORITIES) - 1))]


def highest(priorities: Iterable[Priority]) -> Priority | None:
    ranked = [PRIORITIES.index(p) for p in priorities]
    return PRIORITIES[max(ranked)] if ranked else None


def boost_matches(boost: AttributeBoost, attributes: Mapping[str, Any]) -> bool:
    """Whether the contact's attribute equals one of the boost's values (case-insensitive).

    A list-valued attribute (``segments: ["vip", "beta"]``) matches if any element does.
    """
    value = attributes.get(boost.attribute)
    if value is None:
        return False
    candidates = value if isinstance(value, list | tuple | set) else [value]
    wanted = {normalize(v.strip()) for v in boost.values}
    return any(normalize(_as_text(c).strip()) in wanted for c in candidates)


def _as_text(value: Any) -> str:
    # JSON booleans read as their JSON spelling, so a boost on "true" matches True.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def applies_to(rule: FollowupRule, *, survey_id: str | None, checkpoint_id: str | None) -> bool:
    """An active rule applies when each scope it names equals the response's."""
    if not rule.active:
        return False
    if rule.survey_id is not None and rule.survey_id != survey_id:
        return False
    return rule.checkpoint_id is None or rule.checkpoint_id == checkpoint_id


def evaluate(
    rule: FollowupRule,
    scores: Scores,
    comment: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> RuleDecision:
    """The decision of one rule for one response (scope is checked by ``applies_to``)."""
    reasons: list[str] = []
    hits: list[Priority] = []
    for band in rule.bands:
        value = getattr(scores, band.metric)
        if value is not None and band.low <= value <= band.high:
            hits.append(band.priority)
            reasons.append(
                f"{band.metric} {value} in {_span(band.low, band.high)}: {band.priority}"
            )
    words = matched_keywords(comment, rule.keywords)
    if words:
        hits.append(rule.keyword_priority)
        quoted = ", ".join(f"“{w}”" for w in words)
        reasons.append(f"comment mentions {quoted}: {rule.keyword_priority}")
    base = highest(hits)
    if base is None:
        return RuleDecision(opens=False, rule_id=rule.id)
    priority = base
    attrs = attributes or {}
    for boost in rule.boosts:
        if boost_matches(boost, attrs):
            raised = raise_priority(priority, boost.levels)
            if raised != priority:
                reasons.append(f"{boost.attribute} = {attrs[boost.attribute]}: raised to {raised}")
            priority = raised
    return RuleDecision(
        opens=True,
        rule_id=rule.id,
        priority=priority,
        base_priority=base,
        sla_hours=rule.sla_hours.for_priority(priority),
        reasons=tuple(reasons),
        keywords=words,
    )


def decide(
    rules: Iterable[FollowupRule],
    *,
    survey_id: str | None,
    checkpoint_id: str | None,
    scores: Scores,
    comment: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> RuleDecision | None:
    """The one case a response opens, or None: among the applicable rules that open one,
    the highest priority wins; on a tie the earlier rule (the caller orders them, e.g.
    checkpoint rules before survey rules before global ones)."""
    best: RuleDecision | None = None
    for rule in rules:
        if not applies_to(rule, survey_id=survey_id, checkpoint_id=checkpoint_id):
            continue
        decision = evaluate(rule, scores, comment, attributes)
        if not decision.opens:
            continue
        if best is None or _rank(decision) > _rank(best):
            best = decision
    return best


def _rank(decision: RuleDecision) -> int:
    return -1 if decision.priority is None else PRIORITIES.index(decision.priority)


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"
