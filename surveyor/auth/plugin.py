"""The auth domain, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.auth.admin_views import AuditController, UsersController
from surveyor.auth.api import ApiKeysApi, WhoAmIApi
from surveyor.auth.key_views import ApiKeysController
from surveyor.auth.profile_views import ProfileController
from surveyor.auth.views import ROUTES


@hookimpl
def register_routes(register: Any) -> None:
    for handler in (
        *ROUTES,
        ProfileController,
        UsersController,
        ApiKeysController,
        AuditController,
        ApiKeysApi,
        WhoAmIApi,
    ):
        register(handler)
