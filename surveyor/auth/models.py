from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Role = Literal["admin", "designer", "manager"]
Scope = Literal["events:write", "read", "admin"]
ROLES: tuple[str, ...] = ("admin", "designer", "manager")
SCOPES: tuple[str, ...] = ("events:write", "read", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 4096

Email = Annotated[
    str,
    msgspec.Meta(max_length=254, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$"),
]
Password = Annotated[str, msgspec.Meta(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
Name = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    name: str
    role: Role
    disabled: bool
    notify_url: str = ""
    locale: str = ""
    created_at: str
    updated_at: str

    def can(self, role: str) -> bool:
        """Admins can do everything; designers and managers their own work."""
        return not self.disabled and (self.role == "admin" or self.role == role)


class Session(msgspec.Struct, frozen=True, kw_only=True):
    id_hash: str
    user_id: str
    csrf_token: str
    created_at: str
    last_seen_at: str
    expires_at: str


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_by: str | None
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and (scope in self.scopes or "admin" in self.scopes)


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    at: str
    actor_id: str | None
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: str
    ip: str


# -- forms and request bodies --------------------------------------------------
# Every form names its fields and forbids the rest, so a smuggled ``role`` or
# ``disabled`` in a profile update is rejected instead of silently ignored.

LOCALES: tuple[str, ...] = ("en", "zh_Hans")
Locale = Literal["", "en", "zh_Hans"]
NotifyUrl = Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^[^\s\x00-\x1f\x7f]*$")]
KeyName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
AnyPassword = Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD)]
CSRF_FIELD = msgspec.field(name="_csrf", default="")


class ProfileForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name = ""
    locale: Locale = ""
    notify_url: NotifyUrl = ""
    csrf: str = CSRF_FIELD


class PasswordForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: AnyPassword
    password: Password
    confirm_password: AnyPassword
    csrf: str = CSRF_FIELD


class NewUserForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    name: Name = ""
    role: Role
    password: Password
    csrf: str = CSRF_FIELD


class RoleForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Role
    csrf: str = CSRF_FIELD


class NewKeyForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: KeyName
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=3)]
    csrf: str = CSRF_FIELD


class NewKeyBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/v1/apikeys``."""

    name: KeyName
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=3)]


class ApiKeyOut(msgspec.Struct, kw_only=True):
    """An API key as the JSON API shows it: never its secret or hash."""

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_by: str | None
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class NewKeyOut(ApiKeyOut, kw_only=True):
    secret: str


class KeyPage(msgspec.Struct, kw_only=True):
    items: list[ApiKeyOut]
    next_cursor: str | None


class WhoAmI(msgspec.Struct, kw_only=True):
    id: str
    name: str
    prefix: str
    scopes: list[str]
