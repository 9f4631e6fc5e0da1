"""The checkpoints domain, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.checkpoints.api import CheckpointsApi
from surveyor.checkpoints.events_api import post_event
from surveyor.checkpoints.views import JourneyViews


@hookimpl
def register_routes(register: Any) -> None:
    register(CheckpointsApi)
    register(post_event)
    register(JourneyViews)
