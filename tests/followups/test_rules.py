"""Follow-up rules, table by table: which responses open a case, at what priority, and why."""

from __future__ import annotations

import msgspec
import pytest

from surveyor.followups.models import (
    AttributeBoost,
    FollowupRule,
    ScoreBand,
    Scores,
    SlaHours,
)
from surveyor.followups.rules import (
    applies_to,
    decide,
    evaluate,
    matched_keywords,
    raise_priority,
)

DEFAULT = FollowupRule(id="default")


@pytest.mark.parametrize(
    ("scores", "priority"),
    [
        (Scores(nps=0), "high"),
        (Scores(nps=3), "high"),
        (Scores(nps=4), "normal"),
        (Scores(nps=6), "normal"),
        (Scores(nps=7), None),
        (Scores(nps=10), None),
        (Scores(ces=1), "high"),
        (Scores(ces=3), "normal"),
        (Scores(ces=4), None),
        (Scores(csat=1), "high"),
        (Scores(csat=2), "normal"),
        (Scores(csat=3), None),
        (Scores(emotion=1), "high"),
        (Scores(emotion=3), "normal"),
        (Scores(emotion=4), None),
        (Scores(), None),  # everything skipped
        (Scores(nps=5, ces=1), "high"),  # the worst band wins
        (Scores(nps=9, ces=7, csat=5, emotion=10), None),
    ],
)
def test_default_bands_open_cases_at_their_priority(scores, priority):
    decision = evaluate(DEFAULT, scores)
    assert decision.opens is (priority is not None)
    assert decision.priority == priority
    assert decision.rule_id == "default"


@pytest.mark.parametrize(
    ("scores", "attributes", "base", "priority"),
    [
        (Scores(nps=5), {"tier": "vip"}, "normal", "high"),
        (Scores(nps=2), {"tier": "VIP "}, "high", "urgent"),  # case and spaces do not matter
        (Scores(nps=2), {"tier": "gold"}, "high", "high"),
        (Scores(nps=2), {}, "high", "high"),
        (Scores(nps=2), {"tier": None}, "high", "high"),
        (Scores(emotion=3), {"tier": ["beta", "vip"]}, "normal", "high"),  # list attribute
    ],
)
def test_contact_attributes_raise_the_priority(scores, attributes, base, priority):
    decision = evaluate(DEFAULT, scores, attributes=attributes)
    assert (decision.base_priority, decision.priority) == (base, priority)


def test_configured_boosts_add_up_and_stop_at_urgent():
    rule = FollowupRule(
        boosts=(
            AttributeBoost(attribute="tier", values=("vip", "platinum"), levels=2),
            AttributeBoost(attribute="churn_risk", values=("true",)),
        )
    )
    assert evaluate(rule, Scores(nps=6), attributes={"tier": "Platinum"}).priority == "urgent"
    assert evaluate(rule, Scores(nps=6), attributes={"churn_risk": True}).priority == "high"
    both = evaluate(rule, Scores(nps=0), attributes={"tier": "vip", "churn_risk": True})
    assert both.priority == "urgent"


@pytest.mark.parametrize(
    ("priority", "levels", "expected"),
    [("low", 1, "normal"), ("normal", 2, "urgent"), ("urgent", 1, "urgent"), ("high", -5, "low")],
)
def test_raise_priority_stays_on_the_scale(priority, levels, expected):
    assert raise_priority(priority, levels) == expected


@pytest.mark.parametrize(
    ("comment", "keywords", "found"),
    [
        ("I want a REFUND!", ("refund",), ("refund",)),
        ("refunded already, thanks", ("refund",), ()),
        ("prefund", ("refund",), ()),
        ("Refund.", ("refund", "cancel"), ("refund",)),
        ("ＲＥＦＵＮＤ please", ("refund",), ("refund",)),  # full-width letters
        ("it is not\n  working", ("not working",), ("not working",)),
        ("Die Straße ist kaputt", ("STRASSE",), ("STRASSE",)),  # casefold: ß = ss
        ("Отмена заказа", ("отмена",), ("отмена",)),
        ("c++ crashes", ("c++",), ("c++",)),
        ("我要退款", ("退款",), ("退款",)),  # Chinese: substring
        ("快递太慢了，我要投诉", ("投诉", "退款"), ("投诉",)),
        ("我要refund", ("refund",), ("refund",)),  # Latin word glued to Chinese text
        ("返金してください", ("返金",), ("返金",)),  # Japanese
        ("환불을 원합니다", ("환불",), ("환불",)),  # Korean: particle glued to the word
        ("", ("refund",), ()),
        (None, ("refund",), ()),
        ("refund", (), ()),
    ],
)
def test_comment_keywords(comment, keywords, found):
    assert matched_keywords(comment, keywords) == found


def test_a_keyword_opens_a_case_even_with_good_scores():
    rule = FollowupRule(id="words", keywords=("cancel", "取消"), keyword_priority="high")
    decision = evaluate(rule, Scores(nps=9), comment="Please cancel my subscription")
    assert decision.opens and decision.priority == "high"
    assert decision.keywords == ("cancel",)
    assert "comment mentions “cancel”: high" in decision.reasons
    assert evaluate(rule, Scores(nps=9), comment="请取消订单").opens
    assert not evaluate(rule, Scores(nps=9), comment="cancellation policy was clear").opens


def test_a_rule_without_bands_opens_only_on_keywords():
    rule = FollowupRule(bands=(), keywords=("lawyer",))
    assert not evaluate(rule, Scores(nps=0)).opens
    assert evaluate(rule, Scores(nps=0), comment="my lawyer will call").opens


def test_decision_carries_the_sla_hours_of_its_priority_and_its_reasons():
    rule = FollowupRule(id="r", sla_hours=SlaHours(urgent=2, high=8, normal=24, low=72))
    decision = evaluate(rule, Scores(nps=2), attributes={"tier": "vip"})
    assert decision.priority == "urgent" and decision.sla_hours == 2
    assert decision.reasons == ("nps 2 in 0–3: high", "tier = vip: raised to urgent")
    assert evaluate(rule, Scores(csat=2)).sla_hours == 24


def test_custom_bands():
    rule = FollowupRule(bands=(ScoreBand(metric="nps", low=0, high=8, priority="low"),))
    assert evaluate(rule, Scores(nps=8)).priority == "low"
    assert not evaluate(rule, Scores(ces=1)).opens


@pytest.mark.parametrize(
    ("rule", "survey_id", "checkpoint_id", "applies"),
    [
        (FollowupRule(), "s1", "c1", True),
        (FollowupRule(active=False), "s1", "c1", False),
        (FollowupRule(survey_id="s1"), "s1", None, True),
        (FollowupRule(survey_id="s1"), "s2", "c1", False),
        (FollowupRule(checkpoint_id="c1"), "s9", "c1", True),
        (FollowupRule(checkpoint_id="c1"), "s9", None, False),
        (FollowupRule(survey_id="s1", checkpoint_id="c1"), "s1", "c2", False),
    ],
)
def test_rule_scope(rule, survey_id, checkpoint_id, applies):
    assert applies_to(rule, survey_id=survey_id, checkpoint_id=checkpoint_id) is applies


def test_decide_picks_the_most_urgent_applicable_rule_and_the_first_on_a_tie():
    rules = [
        FollowupRule(
            id="other-survey",
            survey_id="s2",
            bands=(ScoreBand(metric="nps", low=0, high=10, priority="urgent"),),
        ),
        FollowupRule(id="checkpoint", checkpoint_id="c1", boosts=()),
        FollowupRule(id="global", boosts=()),
        FollowupRule(id="strict", keywords=("refund",), keyword_priority="urgent", bands=()),
    ]
    kwargs = {"survey_id": "s1", "checkpoint_id": "c1"}
    assert decide(rules, scores=Scores(nps=5), **kwargs).rule_id == "checkpoint"
    refund = decide(rules, scores=Scores(nps=5), comment="refund!", **kwargs)
    assert (refund.rule_id, refund.priority) == ("strict", "urgent")
    assert decide(rules, scores=Scores(nps=9), **kwargs) is None
    assert decide([], scores=Scores(nps=0), **kwargs) is None


def test_rules_decode_from_json_and_reject_mistakes():
    rule = msgspec.json.decode(
        b'{"id": "r", "bands": [{"metric": "nps", "low": 0, "high": 6, "priority": "high"}],'
        b' "boosts": [{"attribute": "tier", "values": ["vip"]}],'
        b' "calendar": {"timezone": "Asia/Shanghai", "holidays": ["2026-10-01"]}}',
        type=FollowupRule,
    )
    assert evaluate(rule, Scores(nps=6)).priority == "high"
    assert msgspec.json.decode(msgspec.json.encode(rule), type=FollowupRule) == rule
    bad = [
        b'{"bands": [{"metric": "nps", "low": 0, "high": 11}]}',
        b'{"bands": [{"metric": "ces", "low": 3, "high": 2}]}',
        b'{"bands": [{"metric": "stars", "low": 1, "high": 2}]}',
        b'{"keywords": ["refund", " "]}',
        b'{"boosts": [{"attribute": "tier", "values": []}]}',
        b'{"sla_hours": {"high": 0}}',
        b'{"calendar": {"timezone": "Mars/Olympus"}}',
        b'{"calendar": {"opens": "17:00", "closes": "09:00"}}',
        b'{"calendar": {"weekdays": [7]}}',
        b'{"priority_of_doom": 1}',
    ]
    for body in bad:
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(body, type=FollowupRule)
