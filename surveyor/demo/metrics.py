"""Demo metrics: a year of responses across the journey, with change markers that show.

Runs after the journey seeder (it needs the checkpoints). Several thousand responses
to a "Journey pulse" survey (NPS, CES, emotion and a comment) are spread over the last
365 days on every checkpoint, with invitations in every status for the funnel and
contacts with a ``tier`` attribute for the segment filter. Two dated changes have a
visible effect: an accelerator on "support_case_closed" (scores rise after it) and
a blocker on "order_delivered" (they drop). Rows go in with ``execute_many`` in a few
write units; a second run finds the markers and changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import msgspec

from surveyor.checkpoints.store import list_checkpoints
from surveyor.db import Database, Tx
from surveyor.ids import iso, new_id, new_token, token_hash, utcnow
from surveyor.invitations import store as invitation_store
from surveyor.metrics.store import AnnotationIn, add_annotation
from surveyor.surveys import store as survey_store
from surveyor.surveys.models import SurveyDefinition

PULSE_NAME = "Journey pulse (demo)"
MARKER_IDS = ("00000000-0000-7000-8000-0000000de301", "00000000-0000-7000-8000-0000000de302")
DAYS = 365
CONTACTS = 400
PER_CHECKPOINT_DAY = 2.2  # mean responses per checkpoint and day
COMMENTS = {
    "low": (
        "The delivery was two days late and nobody told me.",
        "I had to call three times to get an answer.",
        "Too many steps, I gave up halfway.",
        "The tracking link did not work.",
    ),
    "mid": (
        "Fine overall, a bit slow.",
        "OK, but the emails were confusing.",
        "Does the job.",
    ),
    "high": (
        "Quick and friendly, thank you!",
        "The new self-service returns are brilliant.",
        "Exactly what I needed, in minutes.",
        "Great support, solved on the first call.",
    ),
}

PULSE = {
    "default_locale": "en",
    "locales": ["en"],
    "title": {"en": "Journey pulse"},
    "questions": [
        {
            "id": "recommend",
            "kind": "nps",
            "required": True,
            "text": {
                "en": "How likely is it that you would recommend us to a friend or colleague?"
            },
        },
        {
            "id": "effort",
            "kind": "ces",
            "text": {"en": "We made it easy for me to do what I wanted."},
        },
        {"id": "feeling", "kind": "emotion", "text": {"en": "How did this make you feel?"}},
        {"id": "reason", "kind": "text", "text": {"en": "What is the main reason for your score?"}},
    ],
}


async def ensure_pulse_survey(db: Database) -> tuple[str, str]:
    """The demo survey's (id, published version id), created once."""
    row = await db.fetch_one(
        "SELECT s.id, v.id AS version_id FROM surveys s JOIN survey_versions v"
        " ON v.survey_id = s.id AND v.number = s.latest_version WHERE s.name = ?",
        (PULSE_NAME,),
    )
    if row is not None:
        return row["id"], row["version_id"]
    definition = msgspec.convert(PULSE, SurveyDefinition)
    survey = await survey_store.create_survey(db, name=PULSE_NAME, definition=definition)
    version, _ = await survey_store.publish(db, survey.id, definition)
    return survey.id, version.id


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def effect(key: str, days_ago: float) -> float:
    """How much better (>0) or worse (<0) a checkpoint's customers feel on a day, on a
    0–1 scale: the demo's story around its two change markers."""
    if key == "support_case_closed":
        return 0.25 if days_ago < 120 else -0.05
    if key == "order_delivered":
        return -0.22 if days_ago < 60 else 0.05
    return 0.0


def fake_answer(rng: random.Random, base: float) -> dict[str, Any]:
    """One respondent: NPS, CES and emotion drawn around a shared mood (0–1)."""
    mood = min(1.0, max(0.0, rng.gauss(base, 0.22)))
    nps = _clamp(mood * 10 + rng.gauss(0, 1.2), 0, 10)
    ces = _clamp(1 + mood * 6 + rng.gauss(0, 0.9), 1, 7) if rng.random() < 0.9 else None
    emotion = _clamp(1 + mood * 9 + rng.gauss(0, 1.1), 1, 10) if rng.random() < 0.93 else None
    band = "low" if nps <= 6 else "mid" if nps <= 8 else "high"
    comment = rng.choice(COMMENTS[band]) if rng.random() < 0.18 else None
    return {"nps": nps, "ces": ces, "emotion": emotion, "comment": comment}


async def seed_metrics(svc: Any, out: Any) -> None:
    db = svc.db
    if await db.fetch_one("SELECT 1 FROM contacts WHERE external_id = 'metrics-demo-0000'"):
        out("Demo metrics exist already.")
        return
    checkpoints = await list_checkpoints(db)
    if not checkpoints:
        out("Demo metrics skipped: no checkpoints (run the journey seeder first).")
        return
    survey_id, version_id = await ensure_pulse_survey(db)
    rng = random.Random(7)  # the same demo every time
    now = utcnow()
    contact_ids = [new_id() for _ in range(CONTACTS)]
    tiers = ["vip" if i % 9 == 0 else "gold" if i % 4 == 0 else "standard" for i in range(CONTACTS)]
    stamp = iso(now)
    contacts = [
        (
            cid,
            f"metrics-demo-{i:04}",
            f"customer{i}@example.com",
            f"Customer {i}",
            msgspec.json.encode({"tier": tiers[i], "region": ("EU", "US", "APAC")[i % 3]}).decode(),
            stamp,
            stamp,
        )
        for i, cid in enumerate(contact_ids)
    ]
    invitations: list[tuple[Any, ...]] = []
    responses: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    for position, checkpoint in enumerate(checkpoints):
        base = 0.8 - 0.05 * (position % 4) + (0.05 if position == len(checkpoints) - 1 else 0)
        for day in range(DAYS):
            count = int(rng.expovariate(1 / PER_CHECKPOINT_DAY) + 0.5)
            for _ in range(count):
                index = rng.randrange(CONTACTS)
                sent = now - timedelta(days=day, seconds=rng.randrange(86400))
                channel = "sms" if rng.random() < 0.3 else "email"
                tier_bonus = 0.08 if tiers[index] == "vip" else 0.0
                mood = base + effect(checkpoint.key, day) + tier_bonus
                status = rng.choices(
                    ["answered", "opened", "sent", "expired", "failed"], [55, 8, 20, 12, 5]
                )[0]
                invitation_id = new_id()
                invitations.append(
                    (
                        invitation_id,
                        survey_id,
                        version_id,
                        contact_ids[index],
                        checkpoint.key,
                        channel,
                        token_hash(new_token(12)),
                        status,
                        iso(sent),
                        iso(sent),
                        iso(sent),
                    )
                )
                if status not in ("answered", "opened"):
                    continue
                started = sent + timedelta(minutes=5 + rng.randrange(600))
                done = status == "answered"
                fake = fake_answer(rng, mood)
                response_id = new_id()
                completed = iso(started + timedelta(seconds=40)) if done else None
                responses.append(
                    (
                        response_id,
                        invitation_id,
                        survey_id,
                        version_id,
                        contact_ids[index],
                        checkpoint.key,
                        channel,
                        "complete" if done else "partial",
                        iso(started),
                        completed or iso(started),
                        completed,
                        fake["nps"] if done else None,
                        fake["ces"] if done else None,
                        fake["emotion"] if done else None,
                    )
                )
                given = {
                    "recommend": fake["nps"],
                    "effort": fake["ces"],
                    "feeling": fake["emotion"],
                }
                if fake["comment"]:
                    given["reason"] = fake["comment"]
                for qid, value in given.items():
                    if value is not None and (done or qid == "recommend"):
                        answers.append(
                            (response_id, qid, msgspec.json.encode(value).decode(), iso(started))
                        )

    async def insert_all(tx: Tx) -> None:
        # One unit: a crash halfway leaves nothing, so the next run starts clean.
        await tx.execute_many(
            "INSERT INTO contacts (id, external_id, email, name, attributes, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (external_id) DO NOTHING",
            contacts,
        )
        await invitation_store.insert_history(tx, invitations)
        await tx.execute_many(
            "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id, contact_id,"
            " checkpoint_key, channel, status, started_at, updated_at, completed_at, nps, ces,"
            " emotion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            responses,
        )
        await tx.execute_many(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)",
            answers,
        )

    await db.write(insert_all)
    await _markers(db, now)
    out(
        f"Demo metrics: {len(responses)} responses over {DAYS} days on {len(checkpoints)}"
        " checkpoints, with two change markers; see /dashboard and /journey/map."
    )


async def _markers(db: Database, now: Any) -> None:
    keys = {c.key for c in await list_checkpoints(db)}
    markers = (
        (
            MARKER_IDS[0],
            "support_case_closed",
            AnnotationIn(
                kind="accelerator",
                title="Self-service returns launched",
                description="Customers can now start a return from the order page.",
                happened_on=(now - timedelta(days=120)).date().isoformat(),
            ),
        ),
        (
            MARKER_IDS[1],
            "order_delivered",
            AnnotationIn(
                kind="blocker",
                title="New parcel carrier",
                description="Switched carriers in two regions to cut costs.",
                happened_on=(now - timedelta(days=60)).date().isoformat(),
            ),
        ),
    )
    for marker_id, key, data in markers:
        if key in keys:
            await add_annotation(db, key, data, annotation_id=marker_id)
    if not keys & {"support_case_closed", "order_delivered"}:
        first = sorted(keys)[0]
        await add_annotation(db, first, markers[0][2], annotation_id=MARKER_IDS[0])
