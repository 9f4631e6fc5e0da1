"""The branding domain, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.branding.views import ROUTES


@hookimpl
def register_routes(register: Any) -> None:
    for handler in ROUTES:
        register(handler)
