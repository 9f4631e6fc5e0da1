"""The channel registry, filled from the ``register_channels`` hook, and the built-in
``message.send`` job kind that hands one message to one channel."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from surveyor import Channel, DeliveryError, Message
from surveyor.branding.resolve import with_brand
from surveyor.delivery.models import MESSAGE_KIND, Job, JobKind
from surveyor.plugins import PluginError, collect


class ChannelNotConfigured(DeliveryError):
    """The channel exists but nobody configured it (no ``SURVEYOR_EMAIL_URL``, say).

    The worker parks such a job instead of retrying it: it waits, with this reason in the
    delivery log, until a worker that has the channel configured starts."""


def is_configured(channel: Any) -> bool:
    """A channel is configured unless it says otherwise (``configured = False``)."""
    return bool(getattr(channel, "configured", True))


def not_configured_reason(channel: Any) -> str:
    return str(getattr(channel, "problem", "") or f"channel {channel.name!r} is not configured")


class ChannelRegistry:
    """Channels by name, in registration order."""

    def __init__(self, channels: Iterable[Channel] = ()) -> None:
        self._channels: dict[str, Channel] = {}
        for channel in channels:
            self.add(channel)

    def add(self, channel: Channel) -> None:
        if not isinstance(channel, Channel):
            raise PluginError(
                f"channel {channel!r}: needs a name, address_for(contact) and async send(message)"
            )
        if channel.name in self._channels:
            raise PluginError(f"channel {channel.name!r}: registered twice")
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def names(self) -> list[str]:
        return list(self._channels)

    def __contains__(self, name: object) -> bool:
        return name in self._channels

    def __iter__(self) -> Iterator[str]:
        return iter(self._channels)

    def configured_names(self) -> list[str]:
        return [name for name, channel in self._channels.items() if is_configured(channel)]

    def waiting(self) -> dict[str, str]:
        """Channels whose messages can only wait: not configured, and no catcher (the
        built-in mailbox) takes them instead. ``{name: why}``; the worker leaves their
        jobs parked rather than leasing each one to find out again."""
        found: dict[str, str] = {}
        for name, channel in self._channels.items():
            if is_configured(channel):
                continue
            if any(c is not channel and c.captures(channel) == "instead" for c in self.catchers()):
                continue
            found[name] = not_configured_reason(channel)
        return found

    def catchers(self) -> list[Any]:
        """Channels that take other channels' messages (the built-in mailbox): they have
        ``captures(channel) -> "instead" | "beside" | None`` and ``async capture(channel,
        message)``."""
        return [c for c in self._channels.values() if hasattr(c, "captures")]

    def pick(self, contact: Any, preferred: Iterable[str]) -> tuple[Channel, str] | None:
        """The first of ``preferred`` channels for which ``contact`` has an address, with it.

        None when none fits (the caller suppresses the event with that reason).
        """
        for name in preferred:
            channel = self._channels.get(name)
            if channel is None:
                continue
            address = channel.address_for(contact)
            if address:
                return channel, address
        return None

    async def close(self) -> None:
        for channel in self._channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                result = close()
                if inspect.isawaitable(result):
                    await result


def build_channels(svc: Any) -> ChannelRegistry:
    """Collect every plugin's channels and let each read its settings and templates."""
    registry = ChannelRegistry(collect(svc.pm.hook.register_channels))
    for name in registry.names():
        channel = registry.get(name)
        configure = getattr(channel, "configure", None)
        if configure is not None:
            try:
                configure(svc)
            except Exception as exc:
                raise PluginError(f"channel {name!r}: cannot be configured: {exc}") from exc
    return registry


def channels(svc: Any) -> ChannelRegistry:
    """The app's channel registry, built on first use and kept in ``svc.channels``."""
    registry = svc.channels
    if registry is None:
        registry = svc.channels = build_channels(svc)
    return registry


async def send_message(svc: Any, channel_name: str, message: Message) -> None:
    """Hand ``message`` to a channel; raises DeliveryError on any failure."""
    channel = channels(svc).get(channel_name)
    if channel is None:
        # Maybe its plugin is switched off on this worker; later it may be back.
        raise DeliveryError(f"no channel named {channel_name!r} is registered")
    message = await with_brand(svc, message)  # every email and SMS carries the brand
    for catcher in channels(svc).catchers():
        if catcher is channel:
            continue
        how = catcher.captures(channel)
        if how in ("instead", "beside"):
            await catcher.capture(channel, message)
            if how == "instead":
                return
    if not is_configured(channel):
        raise ChannelNotConfigured(not_configured_reason(channel))
    await channel.send(message)


async def run_message_job(job: Job, svc: Any) -> None:
    try:
        message = msgspec.convert(job.payload["message"], Message)
        channel_name = str(job.payload["channel"])
    except (KeyError, msgspec.ValidationError) as exc:
        raise DeliveryError(f"malformed message job: {exc}", permanent=True) from None
    await send_message(svc, channel_name, message)


MESSAGE_JOB = JobKind(name=MESSAGE_KIND, run=run_message_job)
