"""Rows for metrics tests, inserted directly (the respondent pages are another domain)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from surveyor.ids import iso, new_id, new_token, token_hash

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


def random_rows(rng: random.Random, n: int, *, days: int = 120) -> list[dict[str, Any]]:
    """Responses with random scores (some skipped), checkpoints, channels and tiers."""
    rows = []
    for _ in range(n):
        rows.append(
            {
                "id": new_id(),
                "checkpoint_key": rng.choice(["delivered", "support"]),
                "survey_id": rng.choice(["s1", "s2"]),
                "channel": rng.choice(["email", "sms"]),
                "tier": rng.choice(["gold", "standard", "3"]),
                "completed_at": START + timedelta(seconds=rng.randrange(days * 86400)),
                "nps": rng.choice([None, *range(11)]),
                "ces": rng.choice([None, *range(1, 8)]),
                "csat": rng.choice([None, *range(1, 6)]),
                "emotion": rng.choice([None, *range(1, 11)]),
            }
        )
    return rows


async def insert_rows(db: Any, rows: list[dict[str, Any]], version_id: str = "v1") -> None:
    """Insert ``rows`` (as made by random_rows) with one contact per tier."""
    tiers = sorted({r["tier"] for r in rows})
    contact_of = {t: new_id() for t in tiers}
    stamp = iso(START)

    async def unit(tx: Any) -> None:
        await tx.execute_many(
            "INSERT INTO contacts (id, external_id, attributes, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (
                    cid,
                    f"c-{tier}-{cid[-6:]}",
                    # "3" is stored as a JSON number: segments must match it as text.
                    msgspec.json.encode({"tier": int(tier) if tier.isdigit() else tier}).decode(),
                    stamp,
                    stamp,
                )
                for tier, cid in contact_of.items()
            ],
        )
        await tx.execute_many(
            "INSERT INTO responses (id, survey_id, survey_version_id, contact_id, checkpoint_key,"
            " channel, status, started_at, updated_at, completed_at, nps, ces, csat, emotion)"
            " VALUES (?, ?, ?, ?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r["id"],
                    r["survey_id"],
                    r.get("version_id", version_id),
                    contact_of[r["tier"]],
                    r["checkpoint_key"],
                    r["channel"],
                    iso(r["completed_at"]),
                    iso(r["completed_at"]),
                    iso(r["completed_at"]),
                    r["nps"],
                    r["ces"],
                    r["csat"],
                    r["emotion"],
                )
                for r in rows
            ],
        )

    await db.write(unit)


async def insert_invitation(
    db: Any, *, checkpoint_key: str, status: str, send_at: datetime, contact_id: str
) -> str:
    invitation_id = new_id()
    stamp = iso(send_at)
    await db.write(
        lambda tx: tx.execute(
            "INSERT INTO invitations (id, survey_id, survey_version_id, contact_id, checkpoint_key,"
            " channel, token_hash, status, send_at, created_at, updated_at)"
            " VALUES (?, 's1', 'v1', ?, ?, 'email', ?, ?, ?, ?, ?)",
            (
                invitation_id,
                contact_id,
                checkpoint_key,
                token_hash(new_token()),
                status,
                stamp,
                stamp,
                stamp,
            ),
        )
    )
    return invitation_id
