"""The checkpoints domain, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.checkpoints.api import CheckpointsApi
from surveyor.checkpoints.events_api import post_event
from surveyor.checkpoints.invitations import get_invitation, invitation_page
from surveyor.checkpoints.sending import EXPIRE_JOB, SEND_JOB
from surveyor.checkpoints.views import JourneyViews


@hookimpl
def register_routes(register: Any) -> None:
    register(CheckpointsApi)
    register(post_event)
    register(JourneyViews)
    register(get_invitation)
    register(invitation_page)


@hookimpl
def register_job_kinds(register: Any) -> None:
    register(SEND_JOB)
    register(EXPIRE_JOB)
