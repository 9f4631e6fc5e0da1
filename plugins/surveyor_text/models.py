"""What the surveyor_text plugin stores and accepts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Priority = Literal["low", "normal", "high", "urgent"]
NpsClass = Literal["detractor", "passive", "promoter"]
SentimentLabel = Literal["negative", "neutral", "positive"]
Keyword = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
ThemeName = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[^\s].*$")]


class Analysis(msgspec.Struct, frozen=True, kw_only=True):
    response_id: str
    language: str
    sentiment_score: float
    sentiment_label: SentimentLabel
    themes: list[str]
    key_phrases: list[str]
    comment: str
    dictionary_version: int
    analyzed_at: str

    def public(self) -> dict[str, object]:
        """The block added to API answers and webhooks (``comment`` is the caller's)."""
        return {
            "language": self.language,
            "sentiment": {"score": self.sentiment_score, "label": self.sentiment_label},
            "themes": self.themes,
            "key_phrases": self.key_phrases,
            "analyzed_at": self.analyzed_at,
        }


class ThemeIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One theme of the dictionary: a name and its English and Chinese keywords."""

    name: ThemeName
    en: Annotated[list[Keyword], msgspec.Meta(max_length=200)] = []
    zh: Annotated[list[Keyword], msgspec.Meta(max_length=200)] = []


class DictionaryIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    themes: Annotated[list[ThemeIn], msgspec.Meta(max_length=100)]

    def __post_init__(self) -> None:
        names = [theme.name.strip().lower() for theme in self.themes]
        if len(set(names)) != len(names):
            raise ValueError("themes: two themes have the same name")


class TextRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Opens a case when a comment's analysis lands and every set condition holds:
    the response's NPS class is one of ``nps_classes`` (empty: any), its sentiment score
    is at most ``max_sentiment`` (None: any) and its label one of ``sentiment_labels``
    (empty: any), and it mentions one of ``themes`` (empty: any). ``assignee_email``
    routes the case to that staff member (else the usual assignment)."""

    id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    position: int = 0
    active: bool = True
    nps_classes: Annotated[list[NpsClass], msgspec.Meta(max_length=3)] = []
    max_sentiment: Annotated[float, msgspec.Meta(ge=-1, le=1)] | None = None
    sentiment_labels: Annotated[list[SentimentLabel], msgspec.Meta(max_length=3)] = []
    themes: Annotated[list[ThemeName], msgspec.Meta(max_length=50)] = []
    priority: Priority = "high"
    sla_hours: Annotated[float, msgspec.Meta(gt=0, le=24 * 90)] = 24
    assignee_email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    created_at: str = ""


class RulesIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    rules: Annotated[list[TextRule], msgspec.Meta(max_length=50)]
