"""The channel registry, filled from the ``register_channels`` hook, and the built-in
``message.send`` job kind that hands one message to one channel."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from surveyor import Channel, DeliveryError, Message
from surveyor.delivery.models import MESSAGE_KIND, Job, JobKind
from surveyor.plugins import PluginError, collect


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
    await channel.send(message)


async def run_message_job(job: Job, svc: Any) -> None:
    try:
        message = msgspec.convert(job.payload["message"], Message)
        channel_name = str(job.payload["channel"])
    except (KeyError, msgspec.ValidationError) as exc:
        raise DeliveryError(f"malformed message job: {exc}", permanent=True) from None
    await send_message(svc, channel_name, message)


MESSAGE_JOB = JobKind(name=MESSAGE_KIND, run=run_message_job)
