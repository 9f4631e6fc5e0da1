"""Text rules: a comment's analysis opens a follow-up case when an active rule matches
(its NPS class, sentiment and themes), in the unit that writes the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.followups.models import DEFAULT_RULE
from surveyor.followups.opening import open_case
from surveyor.metrics.labels import nps_class
from surveyor.respond.store import get_response
from surveyor_text import store
from surveyor_text.models import Analysis, TextRule

if TYPE_CHECKING:
    from surveyor.services import Services


def rule_matches(rule: TextRule, analysis: Analysis, nps: int | None) -> bool:
    if not rule.active:
        return False
    if rule.nps_classes and nps_class(nps) not in rule.nps_classes:
        return False
    if rule.max_sentiment is not None and analysis.sentiment_score > rule.max_sentiment:
        return False
    if rule.sentiment_labels and analysis.sentiment_label not in rule.sentiment_labels:
        return False
    wanted = {t.lower() for t in rule.themes}
    return not wanted or any(t.lower() in wanted for t in analysis.themes)


def reasons_for(rule: TextRule, analysis: Analysis) -> list[str]:
    reasons = [f"text rule: {rule.name}"]
    reasons.append(
        f"comment sentiment {analysis.sentiment_label} ({analysis.sentiment_score:+.2f})"
    )
    if analysis.themes:
        reasons.append("themes: " + ", ".join(analysis.themes))
    return reasons


async def apply_rules(
    tx: Tx, svc: Services, analysis: Analysis, rules: list[TextRule]
) -> str | None:
    """Open a case for the first matching rule (in the analysis' unit); its id or None."""
    if not any(rule.active for rule in rules):
        return None
    response = await get_response(tx, analysis.response_id)
    if response is None:
        return None
    for rule in rules:
        if not rule_matches(rule, analysis, response.nps):
            continue
        owner = (
            await store.staff_id_by_email(tx, rule.assignee_email) if rule.assignee_email else None
        )
        contact = await get_contact(tx, response.contact_id) if response.contact_id else None
        case = await open_case(
            tx,
            svc,
            response=response,
            contact=contact,
            rule=DEFAULT_RULE,
            rule_id=f"text:{rule.id}",
            priority=rule.priority,
            sla_hours=rule.sla_hours,
            reasons=reasons_for(rule, analysis),
            comment=analysis.comment,
            owner_id=owner,
        )
        return case.id if case else None
    return None
