"""Who owns a new case: the contact's account manager, else the next manager in rotation.

Pure and deterministic: the caller passes the managers and the rotation state it
stored (the id of the last manager chosen by rotation) and stores the new state in
the same transaction that creates the case. The ``followup_assignee`` plugin hook,
applied by the caller first, can override all of this.

Why the state is "last id" and not "last index" or per-manager counts: managers join,
leave and get disabled. Ordering the rotation by user id and taking the first id after
the last one chosen keeps the turn order stable across such changes — a removed
manager's turn passes to the next, a new one takes their place in line — whereas an
index would skip or repeat people, and counts would hand a newcomer every case until
they "caught up".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

AssignmentReason = Literal["account_manager", "round_robin", "queue"]


class Manager(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    active: bool = True


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    """The owner (None = the team queue) and the rotation state to store."""

    user_id: str | None
    reason: AssignmentReason
    last_round_robin_id: str | None


def _email_key(email: str) -> str:
    # Email addresses are matched case-insensitively in full; CRMs rarely keep case.
    return email.strip().casefold()


def next_in_rotation(manager_ids: Iterable[str], last_id: str | None) -> str | None:
    """The first id after ``last_id`` in id order, wrapping around; None if there is nobody."""
    ordered = sorted(set(manager_ids))
    if not ordered:
        return None
    if last_id is not None:
        for candidate in ordered:
            if candidate > last_id:
                return candidate
    return ordered[0]


def choose_assignee(
    managers: Iterable[Manager],
    *,
    account_manager: str | None,
    last_round_robin_id: str | None,
) -> Assignment:
    """The owner of a new case.

    The contact's ``account_manager`` attribute (an email) wins when it names an active
    manager; such cases do not advance the rotation, so round-robin stays fair among the
    cases nobody owns by relationship. With no active manager the case goes to the queue.
    """
    active = [m for m in managers if m.active]
    if account_manager and account_manager.strip():
        wanted = _email_key(account_manager)
        owner = min((m.id for m in active if _email_key(m.email) == wanted), default=None)
        if owner is not None:
            return Assignment(
                user_id=owner, reason="account_manager", last_round_robin_id=last_round_robin_id
            )
    chosen = next_in_rotation((m.id for m in active), last_round_robin_id)
    if chosen is None:
        return Assignment(user_id=None, reason="queue", last_round_robin_id=last_round_robin_id)
    return Assignment(user_id=chosen, reason="round_robin", last_round_robin_id=chosen)
