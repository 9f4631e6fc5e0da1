"""Shared helpers for the delivery tests: a frozen clock, a recording channel, a job kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from surveyor import DeliveryError, Message, hookimpl
from surveyor.delivery.models import JobKind

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Clock:
    """A clock that only moves when told to: schedules are checked without sleeping."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingChannel:
    """A channel that keeps what it was asked to send, and can be told to fail."""

    def __init__(self, name: str = "rec") -> None:
        self.name = name
        self.sent: list[Message] = []
        self.failures: list[Exception] = []

    def address_for(self, contact: Any) -> str | None:
        return getattr(contact, "email", None)

    async def send(self, message: Message) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


class BrokenChannel:
    """A badly written plugin: raises something that is not a DeliveryError."""

    name = "broken"

    def address_for(self, contact: Any) -> str | None:
        return None

    async def send(self, message: Message) -> None:
        raise RuntimeError("plugin bug")


class ChannelsPlugin:
    def __init__(self, *channels: Any) -> None:
        self.channels = channels

    @hookimpl
    def register_channels(self, register: Any) -> None:
        for channel in self.channels:
            register(channel)


class CountingKind:
    """A job kind for tests: counts runs per job id; fails as scripted."""

    def __init__(self, name: str = "test.count") -> None:
        self.name = name
        self.runs: list[str] = []
        self.fail_with: list[Exception] = []
        self.done: list[str] = []
        self.dead: list[str] = []

    async def run(self, job: Any, svc: Any) -> None:
        self.runs.append(job.id)
        if self.fail_with:
            raise self.fail_with.pop(0)

    async def on_done(self, job: Any, svc: Any) -> None:
        self.done.append(job.id)

    async def on_dead(self, job: Any, svc: Any) -> None:
        self.dead.append(job.id)

    def kind(self) -> JobKind:
        return JobKind(name=self.name, run=self.run, on_done=self.on_done, on_dead=self.on_dead)

    @hookimpl
    def register_job_kinds(self, register: Any) -> None:
        register(self.kind())


def temporary(text: str = "try later") -> DeliveryError:
    return DeliveryError(text)


def permanent(text: str = "no such user") -> DeliveryError:
    return DeliveryError(text, permanent=True)
