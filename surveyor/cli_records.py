"""The record and content commands of ``surveyor``: inbound sources, share links, contacts'
erasure and re-creation, demo data and the text re-index. ``surveyor.cli`` adds their
sub-commands through the ``add_*_parsers`` functions below and runs them."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import msgspec

from surveyor.errors import CommandError
from surveyor.settings import Settings


def _services(settings: Settings) -> Any:
    from surveyor.app import build_services

    return build_services(settings)


async def _with_services(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    from surveyor.app import start_services

    svc = _services(settings)
    await start_services(svc)
    try:
        return await work(svc)
    finally:
        await svc.db.close()


def cmd_sources_create(settings: Settings, args: argparse.Namespace) -> None:
    """Issue 14: an inbound source; prints its URL, and its secret once."""
    import msgspec

    from surveyor.sources.creation import SourceRejected, create_source
    from surveyor.sources.models import SourceIn

    try:
        data = msgspec.convert(
            {
                "name": args.name,
                "type": args.type,
                "checkpoint": args.checkpoint,
                "secret": args.secret or None,
            },
            SourceIn,
        )
    except msgspec.ValidationError as exc:
        raise CommandError(str(exc)) from None

    async def work(svc: Any) -> Any:
        return await create_source(svc.db, data, base_url=settings.base_url, actor_label="cli")

    try:
        created = asyncio.run(_with_services(settings, work))
    except SourceRejected as rejected:
        raise CommandError(f"--{rejected.field}: {rejected.message}") from None
    print(f"source {created.id} ({created.type} -> {created.checkpoint})", file=sys.stderr)
    print(f"url: {created.url}")
    print(f"secret (shown only once): {created.secret}")


def cmd_contacts_erase(settings: Settings, args: argparse.Namespace) -> None:
    """Erase one contact's personal data (issue 12), with the domains' in-transaction
    listeners installed as in the app (their start-up hooks run, the worker does not)."""
    import msgspec

    from surveyor.plugins import gather
    from surveyor.records import erasure

    async def work(svc: Any) -> Any:
        await gather(svc.pm.hook.startup, services=svc)
        try:
            return await erasure.erase_contact(svc, args.id, actor_label="cli")
        finally:
            await gather(svc.pm.hook.shutdown, services=svc)

    quiet = msgspec.structs.replace(settings, run_worker=False)
    try:
        report = asyncio.run(_with_services(quiet, work))
    except (erasure.ContactNotFound, erasure.ContactAlreadyErased) as exc:
        raise CommandError(str(exc)) from None
    print(
        f"erased {report.contact_id}: {report.responses} responses"
        f" ({report.answers_blanked} answers blanked), {report.invitations} invitations,"
        f" {report.cases} cases, {report.jobs} jobs"
    )


def cmd_contacts_recreate(settings: Settings, args: argparse.Namespace) -> None:
    """Lift the erased marker from an external id (issue 12): the erased contact stays
    anonymised; a new contact takes the id, so its next event is decided normally."""
    from surveyor.records import erasure

    async def work(svc: Any) -> Any:
        return await erasure.recreate_contact(svc, args.external_id, actor_label="cli")

    quiet = msgspec.structs.replace(settings, run_worker=False)
    try:
        done = asyncio.run(_with_services(quiet, work))
    except erasure.ContactNotFound:
        raise CommandError(f"external_id: no contact {args.external_id!r}") from None
    except erasure.ContactNotErased as exc:
        raise CommandError(str(exc)) from None
    print(
        f"re-created {done.external_id} as contact {done.contact_id}"
        f" (the erased contact {done.erased_contact_id} stays anonymised)"
    )


DEMO_CLAIM_MINUTES = 10


async def claim_demo_seeding(db: Any) -> str | None:
    """Claim the right to seed (one ``meta`` row, taken in one unit); ``None`` if taken.

    Two ``surveyor demo`` runs starting at once (``make run`` in two terminals, several
    containers) would otherwise both find no demo data and both insert it. The claim
    expires after ``DEMO_CLAIM_MINUTES`` so a seeder killed halfway never blocks the next.
    Returns the PID of the process holding a live claim, or ``None`` once claimed.
    """
    from surveyor.ids import iso, utcnow

    now = utcnow()
    mine = f"{os.getpid()}|{iso(now + timedelta(minutes=DEMO_CLAIM_MINUTES))}"

    async def claim(tx: Any) -> str | None:
        await db.lock_for_migrations(tx)
        value = await tx.fetch_val("SELECT value FROM meta WHERE key = 'demo_seeding'")
        if value:
            holder, _, expires = value.partition("|")
            if expires > iso(now):
                return holder
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES ('demo_seeding', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (mine,),
        )
        return None

    return await db.write(claim)


def cmd_links(settings: Settings, args: argparse.Namespace) -> None:
    """Share links of a survey (issue 13): list, create, pause, resume, delete."""
    from surveyor.respond import links_store
    from surveyor.respond.links import link_url
    from surveyor.respond.links_api import HIDDEN, SLUG
    from surveyor.surveys import store as surveys

    def show(link: Any) -> None:
        state = "active" if link.active else "paused"
        url = link_url(settings, link.slug)
        print(f"{link.slug}  {state:<6}  {url}  (QR: {url}/qr.svg)")

    async def work(svc: Any) -> Any:
        if args.action in ("list", "create"):
            if await surveys.get_survey(svc.db, args.target) is None:
                raise CommandError(f"survey: no survey {args.target!r}")
            if args.action == "list":
                return await links_store.public_links_for_survey(svc.db, args.target)
            slug = args.slug or None
            if slug is not None and not SLUG.match(slug):
                raise CommandError("--slug: letters, digits, - and _ (1 to 64)")
            hidden = [h.strip() for h in (args.hidden or "").split(",") if h.strip()]
            if any(not HIDDEN.match(h) for h in hidden):
                raise CommandError("--hidden: names such as plan,order_id")
            if args.max is not None and args.max < 1:
                raise CommandError("--max: at least 1")
            if args.checkpoint and not await links_store.checkpoint_exists(svc.db, args.checkpoint):
                raise CommandError(f"--checkpoint: no checkpoint {args.checkpoint!r}")
            try:
                return [
                    await links_store.create_public_link(
                        svc.db,
                        args.target,
                        slug=slug,
                        hidden_fields=hidden,
                        max_responses=args.max,
                        checkpoint_key=args.checkpoint or None,
                    )
                ]
            except links_store.SlugTaken:
                raise CommandError(f"--slug: a link {slug!r} exists already") from None
        link = await links_store.get_public_link(svc.db, args.target)
        if link is None:
            raise CommandError(f"link: no link {args.target!r}")
        if args.action == "delete":
            await links_store.delete_public_link(svc.db, args.target)
            return []
        changed = await links_store.update_public_link(
            svc.db, args.target, {"active": args.action == "resume"}
        )
        return [changed]

    for link in asyncio.run(_with_services(settings, work)):
        show(link)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.demo import seed_demo

    async def work(svc: Any) -> None:
        holder = await claim_demo_seeding(svc.db)
        if holder is not None:
            print(f"Demo data is being seeded by another process (pid {holder}); nothing to do.")
            return
        try:
            await seed_demo(svc, out=print)
            # The demo writes its year of responses directly: index their comments for
            # the response feed's search (a running server would only at its next start).
            from surveyor.records.indexing import index_missing

            await index_missing(svc)
        finally:
            await svc.db.write(lambda tx: tx.execute("DELETE FROM meta WHERE key = 'demo_seeding'"))

    asyncio.run(_with_services(settings, work))


def cmd_text_reindex(settings: Settings, args: argparse.Namespace) -> None:
    """Read again every comment analysed with an older theme dictionary (surveyor_text)."""

    async def work(svc: Any) -> None:
        if not svc.pm.has_plugin("surveyor_text"):
            raise CommandError("surveyor_text: the plugin is not loaded (SURVEYOR_PLUGINS)")
        from surveyor_text import jobs

        found, after = 0, ""
        while True:  # comments answered before the plugin was on
            count, cursor = await jobs.analyse_missing(svc, after)
            found += count
            if cursor is None:
                break
            after = cursor
        if found:
            print(f"{found} comments analysed for the first time", flush=True)
        total = await jobs.start_reindex(svc, queue=False)
        done, after = 0, ""
        while True:
            count, cursor = await jobs.reindex_batch(svc, after, queue=False)
            done += count
            print(f"{done}/{total} comments", flush=True)
            if cursor is None:
                break
            after = cursor

    asyncio.run(_with_services(settings, work))


def add_sources_parsers(sub: Any) -> None:
    sources = sub.add_parser("sources", help="inbound sources (webhooks from other systems)")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    source_create = sources_sub.add_parser(
        "create", help="create a source; prints its URL and its secret once"
    )
    source_create.add_argument("--name", required=True)
    source_create.add_argument(
        "--type",
        required=True,
        choices=("stripe", "shopify", "zendesk", "hubspot", "github", "standard", "hmac"),
    )
    source_create.add_argument("--checkpoint", required=True, help="the checkpoint key it fires")
    source_create.add_argument(
        "--secret", default="", help="the provider's signing secret (generated when left out)"
    )
    source_create.set_defaults(func=cmd_sources_create)


def add_links_contacts_parsers(sub: Any) -> None:
    links = sub.add_parser("links", help="share links of a survey (QR, embed)")
    links.add_argument("action", choices=["list", "create", "pause", "resume", "delete"])
    links.add_argument("target", help="the survey id (list, create) or the link's slug")
    links.add_argument("--slug", help="create: the link's short name")
    links.add_argument("--hidden", help="create: hidden fields to keep, e.g. plan,region")
    links.add_argument("--max", type=int, help="create: at most this many responses")
    links.add_argument("--checkpoint", help="create: put the answers on this checkpoint")
    links.set_defaults(func=cmd_links)
    contacts = sub.add_parser("contacts", help="contacts (customers)").add_subparsers(
        dest="contacts_command", required=True
    )
    erase = contacts.add_parser(
        "erase", help="erase a contact's personal data (scores stay, anonymised)"
    )
    erase.add_argument("id", help="the contact's id (see /contacts)")
    erase.set_defaults(func=cmd_contacts_erase)
    recreate = contacts.add_parser(
        "recreate",
        help="let an erased contact's external id be surveyed again (a new, empty contact)",
    )
    recreate.add_argument("external_id", help="the external id events use (e.g. cus_123)")
    recreate.set_defaults(func=cmd_contacts_recreate)


def add_demo_text_parsers(sub: Any) -> None:
    sub.add_parser("demo", help="seed demo data").set_defaults(func=cmd_demo)
    text = sub.add_parser("text", help="comment themes and sentiment").add_subparsers(
        dest="text_command", required=True, metavar="ACTION"
    )
    text.add_parser(
        "reindex", help="read old comments again with the current theme dictionary"
    ).set_defaults(func=cmd_text_reindex)
