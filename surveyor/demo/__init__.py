"""``surveyor demo``: seed realistic data so ``make run`` shows a living product.

One module per room (``surveys``, ``checkpoints``, ``metrics``, ``respond``,
``followups``), each a seeder in ``SEEDERS``; they run in order and must be idempotent
(running ``surveyor demo`` twice changes nothing the second time). The domains never
import this package; it only uses their stores and services.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from surveyor.auth import store
from surveyor.auth.passwords import hash_password
from surveyor.demo.checkpoints import seed_journey
from surveyor.demo.followups import seed_followups
from surveyor.demo.metrics import seed_metrics
from surveyor.demo.respond import seed_respond
from surveyor.demo.surveys import seed_surveys

Out = Callable[[str], None]

DEMO_USERS = (
    ("admin@demo.surveyor.test", "Ada Admin", "admin"),
    ("designer@demo.surveyor.test", "Dan Designer", "designer"),
    ("manager@demo.surveyor.test", "Mia Manager", "manager"),
    ("manager2@demo.surveyor.test", "Max Manager", "manager"),
)


async def seed_users(svc: Any, out: Out) -> None:
    """Demo staff with a random password printed once (never a default password)."""
    if await store.get_user_by_email(svc.db, DEMO_USERS[0][0]):
        out("Demo users exist already (their password was printed when they were created).")
        return
    password = secrets.token_urlsafe(12)
    password_hash = await hash_password(password)
    for email, name, role in DEMO_USERS:
        await store.create_user(
            svc.db, email=email, role=role, name=name, password_hash=password_hash
        )
    out("Demo staff accounts (password for all of them, shown once):")
    for email, _, role in DEMO_USERS:
        out(f"  {role:<9} {email}")
    out(f"  password  {password}")


SEEDERS: list[Callable[[Any, Out], Awaitable[None]]] = [
    seed_users,
    seed_surveys,
    seed_journey,
    seed_metrics,
    seed_respond,
    seed_followups,
]


async def seed_demo(svc: Any, out: Out = print) -> None:
    for seeder in SEEDERS:
        await seeder(svc, out)
