"""What one running app holds: settings, database, plugins, templates, static files,
and what the domains fill at start-up (channels, kinds, caches, listeners), each in a
named, typed field.

Built by ``create_app`` and kept on ``app.state.services``; handlers reach it with
``services(request)`` or the ``services`` dependency. Nothing here is global, so each
test gets its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
import pluggy
from litestar.connection import ASGIConnection

from surveyor.cache import TTLCache
from surveyor.db import Database
from surveyor.events import TxListeners
from surveyor.plugin_settings import PluginSettings
from surveyor.settings import Settings
from surveyor.static_files import StaticFiles

if TYPE_CHECKING:
    from surveyor.auth.throttle import AddressThrottle
    from surveyor.delivery.channels import ChannelRegistry
    from surveyor.delivery.models import JobKind
    from surveyor.delivery.worker import Worker
    from surveyor.respond.ratelimit import Limits
    from surveyor.surveys.kinds import KindRegistry
    from surveyor.surveys.models import SurveyVersion

# A plugin reaction to a domain event gets this long (seconds) before it is abandoned.
HOOK_TIMEOUT_SECONDS = 30.0


@dataclass
class Caches:
    """In-memory caches of one app; each is created by its owner on first use."""

    api_keys: TTLCache | None = None  # surveyor.auth.guards
    checkpoints: TTLCache | None = None  # surveyor.checkpoints.store
    brand: TTLCache | None = None  # surveyor.branding.resolve
    # Published survey versions never change (surveyor.respond.pages).
    survey_versions: dict[str, SurveyVersion] = field(default_factory=dict)
    # The respondent pages' per-process memos (surveyor.respond.views).
    respond: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResponseExtension:
    """A plugin's additions to the records API and feed (docs/plugin_hooks.md, "Response
    extensions"), appended to ``services.response_extensions`` at start-up.

    ``extras(db, response_ids) -> {response_id: {key: value}}`` is shown under
    ``extras[name]`` on ``GET /api/v1/responses/{id}`` and in the exports (CSV columns
    ``<name>_<key>`` for each of ``columns``, lists joined with ``; ``). ``params`` are
    the feed's extra query parameters; ``condition(values)`` gets those given (non-empty)
    and returns ``(sql, params)``: a SELECT of response ids (``?`` placeholders), or
    raises ``surveyor.web.errors.invalid`` naming the bad parameter.
    """

    name: str
    extras: Callable[[Any, list[str]], Awaitable[dict[str, dict[str, Any]]]]
    columns: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    condition: Callable[[Mapping[str, str]], tuple[str, tuple[Any, ...]]] | None = None


@dataclass
class Services:
    settings: Settings
    db: Database
    pm: pluggy.PluginManager
    templates: jinja2.Environment
    static: StaticFiles
    secret: bytes = b""
    # Each plugin's validated settings: ``services.plugin_settings(ChatSettings)``.
    plugin_settings: PluginSettings = field(default_factory=PluginSettings)
    # Built from the registration hooks on first use (and at start-up, to fail early).
    channels: ChannelRegistry | None = None
    job_kinds: dict[str, JobKind] | None = None
    question_kinds: KindRegistry | None = None
    # The in-process delivery worker of ``surveyor serve`` (None with --no-worker).
    worker: Worker | None = None
    caches: Caches = field(default_factory=Caches)
    login_throttle: AddressThrottle | None = None
    respond_limits: Limits | None = None
    # Shared rate-limit counters (issue 18; surveyor.ops.ratelimit.counters_for makes them).
    rate_counters: Any = None
    # How many server processes ``surveyor serve`` runs beside this one's siblings
    # (surveyor.asgi sets it): state kept in memory is per process when it is above 1.
    server_processes: int = 1
    # Reactions to domain events inside the unit that made the change.
    tx_listeners: TxListeners = field(default_factory=TxListeners)
    # The survey list's response counts (``async (db, survey_ids) -> {id: n}``), set by
    # the respondent domain when it is installed.
    response_counts: Callable[[Database, list[str]], Awaitable[dict[str, int]]] | None = None
    hook_timeout: float = HOOK_TIMEOUT_SECONDS
    # Plugins' extras and filters on the response records (e.g. surveyor_text's themes).
    response_extensions: list[ResponseExtension] = field(default_factory=list)


def services(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    return connection.app.state["services"]
