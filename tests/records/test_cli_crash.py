"""``surveyor contacts erase ID``, and an erasure killed with SIGKILL half-way: it did
nothing, and running it again finishes it. A real process and a real SQLite file."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from surveyor.app import build_services, start_services
from surveyor.contacts import store as contacts_store
from surveyor.db import Tx
from surveyor.settings import load_settings
from tests.followups.helpers import answer, nps_version

pytestmark = pytest.mark.slow
SECRET = "k" * 40
# Installed by the first run only: it kills its own process inside the erasure's unit,
# after every table's rows were changed and before the commit.
KILLER = """
import os
import signal

from surveyor import hookimpl


@hookimpl
def startup(services):
    async def die(tx, event):
        os.kill(os.getpid(), signal.SIGKILL)

    services.tx_listeners.contact_erased.append(die)
"""


async def prepare(db_path: Path) -> str:
    svc = build_services(load_settings(environ={}, database=str(db_path), secret_key=SECRET))
    await start_services(svc)
    try:
        version = await nps_version(svc.db)

        async def unit(tx: Tx):
            return await contacts_store.upsert_contact(
                tx, "cus_kill", email="kill.me@example.com", phone="+4915100000", name="Kim Kill"
            )

        who = await svc.db.write(unit)
        await answer(svc, version, who, 3, "Kim Kill hated the wait", on_complete=[])
        return who.id
    finally:
        await svc.db.close()


def erase(db_path: Path, contact_id: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": str(db_path),
        "SURVEYOR_SECRET_KEY": SECRET,
        "SURVEYOR_RUN_WORKER": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "surveyor.cli", *extra, "contacts", "erase", contact_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def personal_data(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        contact = conn.execute("SELECT email, phone, name FROM contacts").fetchone()
        answers = [
            r[0] for r in conn.execute("SELECT value FROM answers WHERE question_id != 'score'")
        ]
        erased = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'contact.erase'")
        return [*contact, *answers, f"audit={erased.fetchone()[0]}"]


def test_an_erasure_killed_half_way_did_nothing_and_a_rerun_finishes_it(tmp_path: Path) -> None:
    db_path = tmp_path / "surveyor.db"
    contact_id = asyncio.run(prepare(db_path))
    before = personal_data(db_path)
    assert "kill.me@example.com" in before and "audit=0" in before
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "killer.py").write_text(KILLER, encoding="utf-8")

    killed = erase(db_path, contact_id, "--plugins-dir", str(plugins))
    assert killed.returncode == -9, killed.stderr
    assert personal_data(db_path) == before

    done = erase(db_path, contact_id)
    assert done.returncode == 0, done.stderr
    assert f"erased {contact_id}" in done.stdout
    assert personal_data(db_path) == ["", "", "", '""', "audit=1"]

    again = erase(db_path, contact_id)
    assert again.returncode == 2 and "already erased" in again.stderr
    unknown = erase(db_path, "nobody")
    assert unknown.returncode == 2 and "no contact" in unknown.stderr


def recreate(db_path: Path, external_id: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": str(db_path),
        "SURVEYOR_SECRET_KEY": SECRET,
        "SURVEYOR_RUN_WORKER": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "surveyor.cli", "contacts", "recreate", external_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_surveyor_contacts_recreate_gives_an_erased_external_id_a_new_contact(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "surveyor.db"
    contact_id = asyncio.run(prepare(db_path))
    not_yet = recreate(db_path, "cus_kill")
    assert not_yet.returncode == 2 and "not erased" in not_yet.stderr
    assert erase(db_path, contact_id).returncode == 0
    done = recreate(db_path, "cus_kill")
    assert done.returncode == 0, done.stderr
    assert "re-created cus_kill" in done.stdout
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT id, external_id, email, erased_at IS NOT NULL FROM contacts ORDER BY created_at"
        ).fetchall()
        audit = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'contact.recreate'"
        ).fetchone()
    assert rows[0] == (contact_id, f"erased:{contact_id}", "", 1)
    assert rows[1][1:] == ("cus_kill", "", 0) and rows[1][0] != contact_id
    assert audit == (1,)
    unknown = recreate(db_path, "cus_nobody")
    assert unknown.returncode == 2 and "no contact" in unknown.stderr
