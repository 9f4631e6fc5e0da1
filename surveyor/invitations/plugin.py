"""The invitations domain, registered as a plugin of the core: its API, its page and
its outbox job kinds."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.invitations.api import get_invitation, invitation_page
from surveyor.invitations.jobs import EXPIRE_JOB, SEND_JOB


@hookimpl
def register_routes(register: Any) -> None:
    register(get_invitation)
    register(invitation_page)


@hookimpl
def register_job_kinds(register: Any) -> None:
    register(SEND_JOB)
    register(EXPIRE_JOB)
