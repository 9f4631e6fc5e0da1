"""The mailbox's SQL: store a message once, list the newest first, read one."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso


class MailboxMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    channel: str
    kind: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str
    link: str
    created_at: str


COLUMNS = (
    "id, channel, kind, recipient, recipient_name, subject, text_body AS text,"
    " html_body AS html, link, created_at"
)


async def store_message(
    db: Database,
    *,
    message_key: str | None,
    channel: str,
    kind: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    text: str,
    html: str,
    link: str,
) -> bool:
    """Keep one message; False when a message with the same key is already kept."""

    async def unit(tx: Tx) -> bool:
        if message_key:
            found = await tx.fetch_one(
                "SELECT id FROM mailbox_messages WHERE message_key = ?", (message_key,)
            )
            if found is not None:
                return False
        await tx.execute(
            "INSERT INTO mailbox_messages (id, message_key, channel, kind, recipient,"
            " recipient_name, subject, text_body, html_body, link, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new_id(),
                message_key or None,
                channel,
                kind,
                recipient,
                recipient_name,
                subject,
                text,
                html,
                link,
                now_iso(),
            ),
        )
        return True

    return await db.write(unit)


async def list_messages(
    db: Database, *, recipient: str = "", limit: int = 50
) -> list[MailboxMessage]:
    where, params = "", ()
    if recipient:
        where, params = " WHERE recipient = ?", (recipient,)
    rows = await db.fetch_all(
        f"SELECT {COLUMNS} FROM mailbox_messages{where} ORDER BY created_at DESC, id DESC"
        f" LIMIT {int(limit)}",
        params,
    )
    return [_convert(row) for row in rows]


async def get_message(db: Database, message_id: str) -> MailboxMessage | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM mailbox_messages WHERE id = ?", (message_id,))
    return _convert(row) if row else None


async def count_messages(db: Database) -> int:
    row = await db.fetch_one("SELECT COUNT(*) AS n FROM mailbox_messages", ())
    return int(row["n"]) if row else 0


def _convert(row: dict[str, Any]) -> MailboxMessage:
    return msgspec.convert(dict(row), MailboxMessage)
