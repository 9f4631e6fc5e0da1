"""Prepare a benchmark's database with the version of Surveyor being measured.

Run by the benchmarks with each side's own Python, in that side's source tree
(``Side.run_script``), so the rows are made by the code that will serve them: the
baseline commit's schema and store functions for the baseline, the candidate's for the
candidate. It imports nothing from ``bench`` and reaches the stores through the few
names that moved between versions (``import_first``). The database comes from
``SURVEYOR_DATABASE``.

    python bench/seed.py flow --count 20000 --out tokens.txt   # NPS template, personal links
    python bench/seed.py answers --count 40000 --out tokens.txt  # one-page NPS + comment
    python bench/seed.py events                                 # checkpoint + API key (printed)
    python bench/seed.py soak --count 40000 --out tokens.txt    # all of them, keys as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

BATCH = 1000

EVENTS_SURVEY = {
    "questions": [
        {
            "id": "nps",
            "kind": "nps",
            "text": {"en": "How likely are you to recommend us?"},
            "required": True,
        }
    ],
}
ONE_PAGE_SURVEY = {
    "questions": [
        {"id": "nps", "kind": "nps", "text": {"en": "How likely?"}, "required": True},
        {"id": "comment", "kind": "text", "text": {"en": "Why?"}, "multiline": True},
    ],
    "endings": [{"id": "thanks", "text": {"en": "Thank you, {contact.name}!"}}],
    "settings": {"one_page": True},
}


def import_first(name: str, *modules: str) -> Any:
    """``name`` from the first of ``modules`` that has it (stores moved between versions)."""
    for module in modules:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    raise ImportError(f"{name} is in none of {modules}")


async def services() -> Any:
    from surveyor.app import build_services, start_services
    from surveyor.settings import load_settings

    svc = build_services(load_settings())
    await start_services(svc)
    return svc


async def publish(svc: Any, name: str, definition: Any) -> tuple[str, str]:
    from surveyor.surveys import store as surveys
    from surveyor.surveys.models import SurveyDefinition

    definition = msgspec.convert(definition, SurveyDefinition)
    survey = await surveys.create_survey(svc.db, name=name, definition=definition)
    version, _ = await surveys.publish(svc.db, survey.id, definition)
    return survey.id, version.id


async def invitations(
    svc: Any, survey_id: str, version_id: str, count: int, out: Path, prefix: str = "bench"
) -> None:
    """``count`` personal invitations (each to a contact of its own), already sent; their
    link tokens, one a line, into ``out`` (only their hashes are stored)."""
    from surveyor.contacts.store import upsert_contact
    from surveyor.ids import iso, now_iso, utcnow

    create_invitation = import_first(
        "create_invitation", "surveyor.invitations.store", "surveyor.respond.store"
    )
    expires = iso(utcnow() + timedelta(days=30))

    async def batch(first: int) -> list[str]:
        async def unit(tx: Any) -> list[str]:
            made = []
            for i in range(first, min(first + BATCH, count)):
                contact = await upsert_contact(
                    tx, f"{prefix}-{i}", email=f"{prefix}{i}@example.com", name=f"Customer {i}"
                )
                made.append(
                    await create_invitation(
                        tx,
                        survey_id=survey_id,
                        survey_version_id=version_id,
                        contact_id=contact.id,
                        channel="email",
                        send_at=now_iso(),
                        expires_at=expires,
                        status="sent",
                    )
                )
            return made

        return await svc.db.write(unit)

    with out.open("w") as tokens:
        for first in range(0, count, BATCH):
            tokens.write("".join(token + "\n" for token in await batch(first)))


async def seed_flow(args: argparse.Namespace) -> None:
    from surveyor.surveys.templates_lib import template_definition

    svc = await services()
    try:
        survey_id, version_id = await publish(svc, "Bench NPS", template_definition("nps"))
        await invitations(svc, survey_id, version_id, args.count, Path(args.out), args.prefix)
    finally:
        await svc.db.close()


async def seed_answers(args: argparse.Namespace) -> None:
    svc = await services()
    try:
        survey_id, version_id = await publish(svc, "Bench one page", ONE_PAGE_SURVEY)
        await invitations(svc, survey_id, version_id, args.count, Path(args.out))
    finally:
        await svc.db.close()


async def seed_events(args: argparse.Namespace) -> None:
    from surveyor.checkpoints import store as checkpoints
    from surveyor.checkpoints.models import CheckpointIn

    create_api_key = import_first(
        "create_api_key", "surveyor.auth.keys_store", "surveyor.auth.store"
    )
    svc = await services()
    try:
        survey_id, _ = await publish(svc, "Bench NPS", EVENTS_SURVEY)
        await checkpoints.create_checkpoint(
            svc.db, CheckpointIn(key="order_delivered", name="Order delivered", survey_id=survey_id)
        )
        secret, _ = await create_api_key(
            svc.db, name="bench", scopes=["events:write"], created_by=None
        )
        print(secret)
    finally:
        await svc.db.close()


async def seed_soak(args: argparse.Namespace) -> None:
    """The events checkpoint and key, a read key for the metrics API, and the customer
    path's NPS survey with ``--count`` personal links."""
    from surveyor.checkpoints import store as checkpoints
    from surveyor.checkpoints.models import CheckpointIn
    from surveyor.surveys.templates_lib import template_definition

    create_api_key = import_first(
        "create_api_key", "surveyor.auth.keys_store", "surveyor.auth.store"
    )
    svc = await services()
    try:
        survey_id, _ = await publish(svc, "Bench NPS", EVENTS_SURVEY)
        await checkpoints.create_checkpoint(
            svc.db, CheckpointIn(key="order_delivered", name="Order delivered", survey_id=survey_id)
        )
        events_key, _ = await create_api_key(
            svc.db, name="bench events", scopes=["events:write"], created_by=None
        )
        read_key, _ = await create_api_key(
            svc.db, name="bench read", scopes=["read"], created_by=None
        )
        flow_survey, version_id = await publish(svc, "Bench flow", template_definition("nps"))
        await invitations(svc, flow_survey, version_id, args.count, Path(args.out))
        print(json.dumps({"events_key": events_key, "read_key": read_key, "survey": flow_survey}))
    finally:
        await svc.db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("flow", "answers", "soak"):
        one = sub.add_parser(name)
        one.add_argument("--count", type=int, required=True)
        one.add_argument("--out", required=True)
        one.add_argument("--prefix", default="bench", help="of the contacts' external ids")
    sub.add_parser("events")
    args = parser.parse_args()
    run = {"flow": seed_flow, "answers": seed_answers, "events": seed_events, "soak": seed_soak}[
        args.what
    ]
    asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
