"""Settings: one frozen Struct, read from ``SURVEYOR_*`` variables and an optional TOML file.

The environment wins over the file. Every key is validated at start-up: a wrong
key or value stops the start with a message naming it, so a typo never turns
into a silently ignored setting.

Plugins declare their own settings (the ``register_settings`` hook): a frozen Struct
read from ``SURVEYOR_<PLUGIN>_*`` variables and a ``[plugins.<name>]`` table of the
file. Those are only known once the plugins are loaded, which needs two core settings
(the allow-list and the plugins folder), so loading has two steps:
``load_settings(..., for_plugins=True)`` validates the core and keeps what it does not
know in ``LoadedSettings.sources``; ``load_plugin_settings`` (called by
``build_services`` once the plugins are known) validates the plugins' part and then
refuses whatever is still left over.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec

ENV_PREFIX = "SURVEYOR_"
# Variables that share the prefix but are not settings (read by one command only).
# SURVEYOR_TEST_PG names the test suite's PostgreSQL server (tests/conftest.py, .ci/run).
NOT_SETTINGS = frozenset({"SURVEYOR_NEW_PASSWORD", "SURVEYOR_CONFIG", "SURVEYOR_TEST_PG"})


T = TypeVar("T")
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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
    # Issue 19: the Reply-To of replies sent to customers from a case (the From stays
    # the configured sender); empty = the replies have no Reply-To.
    reply_to: str = ""
    # issue 13: a response left after its first answer (a score tapped in an email) closes
    # after this many hours: it then counts in metrics and opens a case when a rule
    # matches. 0 leaves such responses partial (they never count).
    abandoned_close_hours: Annotated[float, msgspec.Meta(ge=0, le=8760)] = 24.0
    # Records (issue 12): days to keep free-text answers and idle contacts' personal data;
    # 0 keeps them forever. A daily outbox job anonymises what is older.
    retention_days: Annotated[int, msgspec.Meta(ge=0, le=36500)] = 0
    # Issue 16 (statistics): the workspace's calendar — an IANA time zone and the first
    # day of the week — for periods, trend buckets, change-marker windows and export
    # filters; and the fewest answers a trend bucket needs before it is trusted.
    timezone: str = "UTC"
    week_start: Literal["monday", "sunday", "saturday"] = "monday"
    metrics_min_n: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 30
    # Issue 17: dashboards and the metrics API read the hourly rollups (migration 0060);
    # false reads every figure from the responses' rows (the same figures, slower), for
    # comparison in benchmarks.
    metrics_rollups: bool = True
    # Issue 14, inbound sources: the largest webhook body accepted at /hooks/in/…, how
    # far a signed timestamp may be from now, and how long the payload log keeps entries.
    inbound_max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=10 * 1024 * 1024)] = 1024 * 1024
    inbound_tolerance_seconds: Annotated[int, msgspec.Meta(ge=30, le=3600)] = 300
    inbound_payload_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 7
    # issue 18 (operability): log format, rate limits and where their counters live.
    log_format: Literal["text", "json"] = "text"
    # "redis://host:port/db": rate-limit counters shared through Redis; empty = in the
    # database on PostgreSQL (shared by every process), in memory on SQLite (one process).
    redis_url: str = ""
    # API requests per key (or per client address without a key) per minute; 0 = no limit.
    api_rate_limit: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 600
    # /readyz also fails when no worker has heartbeaten for this long (0 = not checked).
    ready_worker_seconds: Annotated[float, msgspec.Meta(ge=0, le=86400)] = 0.0
    # When set, /metrics answers only "Authorization: Bearer <metrics_token>".
    metrics_token: str = ""
    # issue 18 (scale-out): how long a worker's claim on a job lasts without renewal; a
    # killed worker's jobs run again on another worker after at most this long.
    worker_lease_seconds: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 60.0

    def __post_init__(self) -> None:
        if self.secret_key and len(self.secret_key) < 32:
            raise SettingsError("secret_key: must be at least 32 characters")
        if not _valid_zone(self.timezone):
            raise SettingsError(f"timezone: {self.timezone!r} is not an IANA time zone")
        if self.reply_to and not re.fullmatch(
            r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", self.reply_to
        ):
            raise SettingsError(f"reply_to: {self.reply_to!r} is not an email address")

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


def _valid_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


FIELDS = frozenset(Settings.__struct_fields__)


class SettingsSources(msgspec.Struct, frozen=True, kw_only=True):
    """What the environment and the file said that no core setting claims (yet).

    Checked by :func:`load_plugin_settings` once the plugins are known.
    """

    # SURVEYOR_* variables that are not core settings, by full name.
    environ: dict[str, str] = msgspec.field(default_factory=dict)
    # The file's [plugins.<name>] tables.
    tables: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    file: str = ""


class LoadedSettings(Settings, frozen=True, kw_only=True):
    """The core settings, plus what is left for the plugins' settings to claim."""

    sources: SettingsSources = msgspec.field(default_factory=SettingsSources)


def _from_env(environ: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    found: dict[str, str] = {}
    rest: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key in FIELDS:
            found[key] = value
        else:
            rest[name] = value
    return found, rest


def _plugin_tables(value: object, path: Path, raw: dict[str, object]) -> dict[str, dict[str, Any]]:
    # `plugins` in the file is either the allow-list (a string) or a table of
    # [plugins.<name>] tables, which may hold the allow-list as `enabled = "a,b"`.
    if not isinstance(value, dict):
        raw["plugins"] = value
        return {}
    tables: dict[str, dict[str, Any]] = {}
    for name, table in value.items():
        if name == "enabled" and not isinstance(table, dict):
            raw["plugins"] = table
        elif isinstance(table, dict):
            tables[name] = table
        else:
            raise SettingsError(
                f"plugins.{name}: must be a [plugins.{name}] table in {path} "
                '(the allow-list goes in plugins.enabled = "a,b")'
            )
    return tables


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    for_plugins: bool = False,
    **overrides: object,
) -> Settings:
    """Merge the TOML file, the environment and explicit overrides (in that order).

    With ``for_plugins=False`` (tools and tests that load no plugin settings) a variable or
    table that no core setting claims is refused at once. With ``for_plugins=True`` (the
    app, the commands) the result is a :class:`LoadedSettings` that keeps it in
    ``sources`` for the plugins' settings; ``build_services`` refuses it if no plugin
    claims it either.
    """
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get("SURVEYOR_CONFIG") or None
    raw: dict[str, object] = {}
    tables: dict[str, dict[str, Any]] = {}
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
            if lowered == "plugins":
                tables = _plugin_tables(value, path, raw)
                continue
            if lowered not in FIELDS:
                raise SettingsError(f"{key}: unknown setting in {path}")
            raw[lowered] = value
    found, rest = _from_env(environ)
    raw.update(found)
    raw.update(overrides)
    try:
        core = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_field(str(exc))) from None
    sources = SettingsSources(environ=rest, tables=tables, file=str(config_file or ""))
    if not for_plugins:
        _refuse_leftovers(sources)
        return core
    return LoadedSettings(**msgspec.structs.asdict(core), sources=sources)


def _name_field(message: str) -> str:
    # msgspec says "Expected `int`, got `str` - at `$.max_body_bytes`"; lead with the key.
    if " - at `$." in message:
        text, _, where = message.rpartition(" - at `$.")
        return f"{where.rstrip('`')}: {text}"
    return message


def _refuse_leftovers(sources: SettingsSources) -> None:
    for name in sorted(sources.environ):
        raise SettingsError(f"{name}: unknown setting")
    for name in sorted(sources.tables):
        where = f" in {sources.file}" if sources.file else ""
        raise SettingsError(f"[plugins.{name}]: no plugin declares these settings{where}")
