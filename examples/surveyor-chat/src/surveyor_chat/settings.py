"""The plugin's settings, declared with ``register_settings("chat", ChatSettings)``."""

from __future__ import annotations

import msgspec


class ChatSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Required: start-up stops with "SURVEYOR_CHAT_URL: …" when it is missing.
    # An Apprise URL, e.g. json://chat.example/hooks/abc, slack://…, mmosts://…
    url: str
    # SURVEYOR_CHAT_NEW_CASES=false keeps new follow-up cases out of the room.
    new_cases: bool = True
