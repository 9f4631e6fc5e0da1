"""The contact policy: given an event, decide whether and when to survey — and say why.

Pure code: no I/O, no clock of its own (``now`` is an argument), so the same rules
run for real events, for ``?dry_run=true`` and in the designer's preview, and are
tested table by table. The order of the rules is the order a person would ask in:
may we contact them at all, have we asked recently, is this one sampled, can we
reach them, and when.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

Decision = Literal["scheduled", "suppressed"]
DEFAULT_GLOBAL_CAP_DAYS = 30


class QuietHours(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Local times (the contact's own time zone) during which nothing is sent.

    ``start`` after ``end`` wraps past midnight: 21:00–08:00 is the night.
    """

    start: str  # "HH:MM"
    end: str

    def bounds(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)


class PolicyCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    channels: list[str]
    active: bool = True
    delay_seconds: int = 0
    sample_rate: float = 1.0
    quiet_hours: QuietHours | None = None
    recontact_days: int = 90


class PolicyContact(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    timezone: str = ""
    unsubscribed: bool = False
    erased: bool = False
    last_surveyed_at: datetime | None = None  # by any checkpoint
    last_surveyed_here_at: datetime | None = None  # by this checkpoint


class PolicyDecision(msgspec.Struct, frozen=True, kw_only=True):
    decision: Decision
    reason: str
    channel: str | None = None
    send_at: datetime | None = None


def sample_point(secret: bytes, contact_id: str, checkpoint_key: str) -> float:
    """A number in [0, 1) fixed for this contact and checkpoint: sampling is deterministic,
    so firing the same checkpoint again never flips a contact in or out."""
    digest = hmac.new(secret, f"{contact_id}\x1f{checkpoint_key}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def contact_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _in_quiet(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def leave_quiet_hours(moment: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """``moment`` if it is outside the quiet hours in ``zone``, else the first minute after them."""
    if quiet is None:
        return moment
    start, end = quiet.bounds()
    local = moment.astimezone(zone)
    if not _in_quiet(local.time().replace(tzinfo=None), start, end):
        return moment
    end_day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        end_day += timedelta(days=1)  # a night that began this evening ends tomorrow morning
    candidate = datetime.combine(end_day, end, tzinfo=zone)
    # Round-trip through UTC so a wall time that does not exist (a DST gap) lands after the gap.
    return candidate.astimezone(ZoneInfo("UTC"))


def decide(
    *,
    checkpoint: PolicyCheckpoint,
    contact: PolicyContact,
    reachable: dict[str, bool],
    now: datetime,
    secret: bytes,
    global_cap_days: int = DEFAULT_GLOBAL_CAP_DAYS,
) -> PolicyDecision:
    """Apply the rules in order; the first that says no is the reason."""

    def no(reason: str) -> PolicyDecision:
        return PolicyDecision(decision="suppressed", reason=reason)

    if not checkpoint.active:
        return no("checkpoint_inactive: the checkpoint is switched off")
    if contact.erased:
        return no("erased: the contact was erased")
    if contact.unsubscribed:
        return no("unsubscribed: the contact unsubscribed from surveys")
    if (
        global_cap_days > 0
        and contact.last_surveyed_at is not None
        and now - contact.last_surveyed_at < timedelta(days=global_cap_days)
    ):
        days = (now - contact.last_surveyed_at).days
        return no(
            f"global_cap: surveyed {days} day(s) ago; at most one survey every {global_cap_days} days"
        )
    if (
        checkpoint.recontact_days > 0
        and contact.last_surveyed_here_at is not None
        and now - contact.last_surveyed_here_at < timedelta(days=checkpoint.recontact_days)
    ):
        days = (now - contact.last_surveyed_here_at).days
        return no(
            f"recontact_window: surveyed at this checkpoint {days} day(s) ago;"
            f" window is {checkpoint.recontact_days} days"
        )
    if (
        checkpoint.sample_rate < 1.0
        and sample_point(secret, contact.id, checkpoint.key) >= checkpoint.sample_rate
    ):
        return no(f"sampled_out: outside the {checkpoint.sample_rate:.0%} sample")
    channel = next((c for c in checkpoint.channels if reachable.get(c)), None)
    if channel is None:
        return no(
            f"no_address: no address for any channel ({', '.join(checkpoint.channels) or 'none'})"
        )
    send_at = now + timedelta(seconds=checkpoint.delay_seconds)
    send_at = leave_quiet_hours(send_at, checkpoint.quiet_hours, contact_zone(contact.timezone))
    reason = "scheduled"
    if send_at > now + timedelta(seconds=checkpoint.delay_seconds):
        reason = "scheduled: moved out of the contact's quiet hours"
    return PolicyDecision(decision="scheduled", reason=reason, channel=channel, send_at=send_at)
