"""Settings: one frozen Struct, read from ``SURVEYOR_*`` variables and an optional TOML file.

The environment wins over the file. Every key is validated at start-up: a wrong
key or value stops the start with a message naming it, so a typo never turns
into a silently ignored setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

ENV_PREFIX = "SURVEYOR_"
# Variables that share the prefix but are not settings (read by one command only).
# SURVEYOR_TEST_PG names the test suite's PostgreSQL server (tests/conftest.py, .ci/run).
NOT_SETTINGS = frozenset({"SURVEYOR_NEW_PASSWORD", "SURVEYOR_CONFIG", "SURVEYOR_TEST_PG"})


class SettingsError(ValueError):
    """A setting is unknown or has a wrong value; the message names it."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    database: str = "surveyor.db"
    base_url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")] = (
        "http://127.0.0.1:8000"
    )
    secret_key: str = ""
    debug: bool = False
    email_url: str = ""
    email_from: str = ""
    sms_url: str = ""
    notify_urls: str = ""
    plugins_dir: str = ""
    # Comma-separated names; when set, only these plugins (and the core) load.
    plugins: str = ""
    templates_dir: str = ""
    allow_private_webhooks: bool = False
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=100 * 1024 * 1024)] = 1024 * 1024
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    sqlite_readers: Annotated[int, msgspec.Meta(ge=1, le=16)] = 2
    pg_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    # Client addresses of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: str = ""
    session_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 14
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Run the delivery worker inside the web process (``surveyor serve --no-worker`` turns it off).
    run_worker: bool = True
    worker_poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    default_locale: str = "en"
    # Follow-ups: the root causes a closing manager picks from (comma-separated; empty =
    # the built-in list) and how long before an SLA breach its owner is warned.
    followup_root_causes: str = ""
    followup_warn_hours: Annotated[float, msgspec.Meta(ge=0, le=720)] = 4.0
    # Cases nobody owns by relationship: "round_robin" among active managers, or "queue".
    followup_assignment: Literal["round_robin", "queue"] = "round_robin"

    def __post_init__(self) -> None:
        if self.secret_key and len(self.secret_key) < 32:
            raise SettingsError("secret_key: must be at least 32 characters")

    @property
    def is_postgres(self) -> bool:
        return self.database.startswith(("postgresql://", "postgres://"))

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure == "auto":
            return self.base_url.startswith("https://")
        return self.cookie_secure == "always"

    @property
    def plugin_allow_list(self) -> frozenset[str] | None:
        names = {n.strip() for n in self.plugins.split(",") if n.strip()}
        return frozenset(names) if names else None

    @property
    def trusted_proxy_list(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    def url(self, path: str) -> str:
        """An absolute link built from ``base_url``, never from the request's Host."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


FIELDS = frozenset(Settings.__struct_fields__)


def _from_env(environ: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key not in FIELDS:
            raise SettingsError(f"{name}: unknown setting")
        found[key] = value
    return found


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: object,
) -> Settings:
    """Merge the TOML file, the environment and explicit overrides (in that order)."""
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get("SURVEYOR_CONFIG") or None
    raw: dict[str, object] = {}
    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"config file {path}: not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path}: {exc}") from None
        for key, value in data.items():
            lowered = key.lower()
            if lowered not in FIELDS:
                raise SettingsError(f"{key}: unknown setting in {path}")
            raw[lowered] = value
    raw.update(_from_env(environ))
    raw.update(overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_field(str(exc))) from None


def _name_field(message: str) -> str:
    # msgspec says "Expected `int`, got `str` - at `$.max_body_bytes`"; lead with the key.
    if " - at `$." in message:
        text, _, where = message.rpartition(" - at `$.")
        return f"{where.rstrip('`')}: {text}"
    return message
