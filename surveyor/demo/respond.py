"""``surveyor demo``: a few personal links and a public link to answer at once.

Personal link tokens are stored hashed, so they can only be printed when they are
made: the first run prints them (like the demo staff password); later runs print the
public link again and say so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from surveyor.contacts.store import upsert_contact
from surveyor.db import Tx
from surveyor.ids import iso, now_iso, utcnow
from surveyor.invitations import store as invitations
from surveyor.respond import store
from surveyor.surveys import store as surveys
from surveyor.surveys.templates_lib import template_definition

PUBLIC_SLUG = "demo-nps"
PEOPLE = (
    ("demo-respondent-1", "Grace Hopper", "en"),
    ("demo-respondent-2", "Alan Turing", "en"),
    ("demo-respondent-3", "李华", "zh_Hans"),
)


async def _nps_survey(svc: Any) -> tuple[str, str]:
    """A published survey whose first question is NPS: (survey id, version id)."""
    rows = await svc.db.fetch_all(
        "SELECT s.id, v.id AS version_id, v.definition FROM surveys s JOIN survey_versions v"
        " ON v.survey_id = s.id AND v.number = s.latest_version"
        " WHERE s.status = 'published' ORDER BY s.created_at"
    )
    for row in rows:
        questions = msgspec.json.decode(row["definition"]).get("questions", [])
        if questions and questions[0]["kind"] == "nps":
            return row["id"], row["version_id"]
    definition = template_definition("nps")
    survey = await surveys.create_survey(svc.db, name="NPS (demo)", definition=definition)
    version, _ = await surveys.publish(svc.db, survey.id, definition)
    return survey.id, version.id


async def seed_respond(svc: Any, out: Any) -> None:
    survey_id, version_id = await _nps_survey(svc)
    if await store.get_public_link(svc.db, PUBLIC_SLUG) is None:
        await store.create_public_link(
            svc.db, survey_id, slug=PUBLIC_SLUG, hidden_fields=["plan", "source"]
        )
    url = svc.settings.url
    seeded = await invitations.count_for_contact(svc.db, PEOPLE[0][0])
    out("Answer a survey as a customer:")
    out(f"  public link    {url('/p/' + PUBLIC_SLUG + '?plan=pro')}")
    out(f"  its QR code    {url('/p/' + PUBLIC_SLUG + '/qr.svg')}")
    if not svc.settings.email_url:
        # No email configured: invitations and recovery surveys land in the mailbox.
        out(f"Messages (invitations, recovery surveys) arrive in the mailbox: {url('/mailbox')}")
        out('  fire one from a checkpoint page\'s "Send a test event to me" button')
    if seeded:
        out("  (personal demo links were printed when they were first made)")
        return

    async def unit(tx: Tx) -> list[tuple[str, str]]:
        links = []
        for external_id, name, locale in PEOPLE:
            contact = await upsert_contact(
                tx, external_id, email=f"{external_id}@example.com", name=name, locale=locale
            )
            token = await invitations.create_invitation(
                tx,
                survey_id=survey_id,
                survey_version_id=version_id,
                contact_id=contact.id,
                channel="email",
                send_at=now_iso(),
                expires_at=iso(utcnow() + timedelta(days=30)),
                locale=locale,
                properties={"order_id": "DEMO-1001"},
                status="sent",
            )
            links.append((name, token))
        return links

    for name, token in await svc.db.write(unit):
        out(f"  {name:<14} {url('/s/' + token)}   (unsubscribe: {url('/u/' + token)})")
    out(f"  one tap score  {url('/s/' + token + '?score=9')}")
