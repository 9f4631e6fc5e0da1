"""The ``public_links`` table: share links of a survey (slug, allowed hidden fields,
expiry, response cap, checkpoint)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.ids import new_token, now_iso
from surveyor.respond.models import PublicLink

COLUMNS = (
    "slug, survey_id, hidden_fields, active, created_at, expires_at, max_responses, checkpoint_key"
)
EDITABLE = ("hidden_fields", "active", "expires_at", "max_responses", "checkpoint_key")


class SlugTaken(Exception):
    """Another link already has this slug."""


def _link(row: dict[str, Any]) -> PublicLink:
    return msgspec.convert(
        {**row, "hidden_fields": msgspec.json.decode(row["hidden_fields"])},
        PublicLink,
        strict=False,
    )


async def create_public_link(
    db: Database | Tx,
    survey_id: str,
    *,
    slug: str | None = None,
    hidden_fields: Sequence[str] = (),
    expires_at: str | None = None,
    max_responses: int | None = None,
    checkpoint_key: str | None = None,
) -> PublicLink:
    """A new active link; raises SlugTaken when ``slug`` is in use."""
    link = PublicLink(
        slug=slug or new_token(9),
        survey_id=survey_id,
        hidden_fields=list(hidden_fields),
        active=True,
        created_at=now_iso(),
        expires_at=expires_at,
        max_responses=max_responses,
        checkpoint_key=checkpoint_key,
    )

    async def unit(tx: Tx) -> None:
        taken = await tx.fetch_one("SELECT slug FROM public_links WHERE slug = ?", (link.slug,))
        if taken is not None:
            raise SlugTaken(link.slug)
        await tx.execute(
            "INSERT INTO public_links (slug, survey_id, hidden_fields, active, created_at,"
            " expires_at, max_responses, checkpoint_key) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            (
                link.slug,
                link.survey_id,
                msgspec.json.encode(link.hidden_fields).decode(),
                link.created_at,
                link.expires_at,
                link.max_responses,
                link.checkpoint_key,
            ),
        )

    if hasattr(db, "write"):
        await db.write(unit)  # type: ignore[union-attr]
    else:
        await unit(db)  # type: ignore[arg-type]
    return link


async def get_public_link(db: Database | Tx, slug: str) -> PublicLink | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM public_links WHERE slug = ?", (slug,))
    return None if row is None else _link(row)


async def public_links_for_survey(db: Database, survey_id: str) -> list[PublicLink]:
    rows = await db.fetch_all(
        f"SELECT {COLUMNS} FROM public_links WHERE survey_id = ? ORDER BY created_at, slug",
        (survey_id,),
    )
    return [_link(row) for row in rows]


async def update_public_link(db: Database, slug: str, changes: dict[str, Any]) -> PublicLink | None:
    """Apply ``changes`` (only the EDITABLE fields); None when there is no such link."""
    sets, params = [], []
    for name in EDITABLE:
        if name in changes:
            value = changes[name]
            if name == "hidden_fields":
                value = msgspec.json.encode(list(value)).decode()
            elif name == "active":
                value = 1 if value else 0
            sets.append(f"{name} = ?")
            params.append(value)

    async def unit(tx: Tx) -> PublicLink | None:
        if sets:
            await tx.execute(
                f"UPDATE public_links SET {', '.join(sets)} WHERE slug = ?", (*params, slug)
            )
        return await get_public_link(tx, slug)

    return await db.write(unit)


async def delete_public_link(db: Database, slug: str) -> bool:
    """Remove the link (its responses stay, with their ``public_slug``)."""
    return (
        await db.write(lambda tx: tx.execute("DELETE FROM public_links WHERE slug = ?", (slug,)))
        > 0
    )


async def link_response_counts(db: Database | Tx, slugs: list[str]) -> dict[str, int]:
    """Completed responses per link."""
    if not slugs:
        return {}
    marks = ", ".join("?" for _ in slugs)
    rows = await db.fetch_all(
        "SELECT public_slug, COUNT(*) AS n FROM responses"
        f" WHERE public_slug IN ({marks}) AND completed_at IS NOT NULL GROUP BY public_slug",
        tuple(slugs),
    )
    return {row["public_slug"]: int(row["n"]) for row in rows}


async def checkpoint_exists(db: Database, key: str) -> bool:
    """A share link may name a checkpoint (read here so respond need not import checkpoints)."""
    return await db.fetch_one("SELECT key FROM checkpoints WHERE key = ?", (key,)) is not None


async def checkpoint_keys(db: Database) -> list[str]:
    """The checkpoints a link may name, for the staff form."""
    rows = await db.fetch_all("SELECT key FROM checkpoints ORDER BY key", ())
    return [row["key"] for row in rows]
