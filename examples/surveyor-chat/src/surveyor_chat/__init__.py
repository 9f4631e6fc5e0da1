"""surveyor-chat: an example third-party Surveyor plugin.

Everything Surveyor needs to know is in the hook implementations below; Surveyor finds
this module through the ``surveyor`` entry point in ``pyproject.toml``:

* ``register_settings``: ``SURVEYOR_CHAT_URL`` (an Apprise URL), ``SURVEYOR_CHAT_NEW_CASES``;
* ``register_channels``: the ``chat`` channel (:class:`surveyor_chat.channel.ChatChannel`);
* ``register_question_kinds`` and ``register_template_dirs``: the ``thumbs`` kind and
  its respondent template;
* ``followup_opened``: a "New case" post when a low score opens a follow-up case.

It imports only Surveyor's public API: ``surveyor`` itself and the documented
``surveyor.surveys.kinds`` contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveyor import FollowupOpened, hookimpl
from surveyor_chat.channel import ChatChannel, post
from surveyor_chat.settings import ChatSettings
from surveyor_chat.thumbs import THUMBS

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def register_settings(register: Any) -> None:
    # "chat" names the variables (SURVEYOR_CHAT_*) and the [plugins.chat] table.
    register("chat", ChatSettings)


@hookimpl
def register_channels(register: Any) -> None:
    register(ChatChannel())


@hookimpl
def register_question_kinds(register: Any) -> None:
    register(THUMBS)


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(TEMPLATES)


def case_text(event: FollowupOpened) -> str:
    """The chat line for a new case: who, how urgent, why, and by when."""
    case = event.followup
    who = (event.contact.name or event.contact.external_id) if event.contact else "anonymous"
    reasons = "; ".join(case.reasons) or "low score"
    return f"New case {case.id} ({case.priority}) for {who}: {reasons}. Due {case.due_at}."


@hookimpl
async def followup_opened(event: FollowupOpened, services: Any) -> None:
    """Runs in the delivery worker (a ``hook.followup_opened`` job), never on the
    respondent's request. Raising here is logged and skipped; the case stays open."""
    settings = services.plugin_settings(ChatSettings)
    if settings.new_cases:
        await post(settings.url, title="New case", body=case_text(event))


__all__ = ["THUMBS", "ChatChannel", "ChatSettings", "case_text"]
