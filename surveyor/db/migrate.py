"""Numbered, forward-only SQL migrations, recorded in ``schema_migrations``.

A migration source is a folder of ``NNNN_name.sql`` files; a file of the same name
in a ``sqlite/`` or ``postgresql/`` subfolder replaces it on that engine. The core's
folder is ``migrations/``; plugins add theirs through the ``register_migrations`` hook,
namespaced by plugin so their numbers never collide with the core's.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from surveyor.db.database import Database, Tx
from surveyor.ids import now_iso

log = logging.getLogger("surveyor.migrate")
NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    id TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    id: str  # "<namespace>:<file name>"
    path: Path


def find_migrations(namespace: str, folder: Path, backend: str) -> list[Migration]:
    if not folder.is_dir():
        raise FileNotFoundError(f"migrations folder {folder} does not exist")
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        if not NAME.match(path.name):
            raise ValueError(f"migration {path}: name must look like 0001_create_users.sql")
        dialect = folder / backend / path.name
        found.append(Migration(f"{namespace}:{path.name}", dialect if dialect.is_file() else path))
    return found


async def applied_migrations(db: Database) -> set[str]:
    async def create(tx: Tx) -> None:
        # Under the migration lock: two PostgreSQL processes creating the table at once
        # would otherwise collide on its catalog entry even with IF NOT EXISTS.
        await db.lock_for_migrations(tx)
        await tx.execute(CREATE_TABLE)

    await db.write(create)
    return {row["id"] for row in await db.fetch_all("SELECT id FROM schema_migrations")}


async def migrate(db: Database, sources: list[tuple[str, Path]]) -> list[str]:
    """Apply every pending migration, each in its own transaction; returns their ids."""
    done = await applied_migrations(db)
    applied: list[str] = []
    for namespace, folder in sources:
        for migration in find_migrations(namespace, folder, db.backend):
            if migration.id in done:
                continue
            script = migration.path.read_text(encoding="utf-8")

            async def apply(tx: Tx, migration: Migration = migration, script: str = script) -> bool:
                await db.lock_for_migrations(tx)
                # Another process may have applied it while we waited for the lock.
                if await tx.fetch_val(
                    "SELECT 1 FROM schema_migrations WHERE id = ?", (migration.id,)
                ):
                    return False
                await tx.execute_script(script)
                await tx.execute(
                    "INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)",
                    (migration.id, now_iso()),
                )
                return True

            if await db.write(apply):
                log.info("applied migration %s", migration.id)
                applied.append(migration.id)
    return applied
