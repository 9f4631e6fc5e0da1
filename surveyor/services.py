"""What one running app holds: settings, database, plugins, templates, static files.

Built by ``create_app`` and kept on ``app.state.services``; handlers reach it with
``services(request)`` or the ``services`` dependency. Nothing here is global, so each
test gets its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2
import pluggy
from litestar.connection import ASGIConnection

from surveyor.db import Database
from surveyor.settings import PluginSettings, Settings
from surveyor.static_files import StaticFiles


@dataclass
class Services:
    settings: Settings
    db: Database
    pm: pluggy.PluginManager
    templates: jinja2.Environment
    static: StaticFiles
    # Filled by domains at start-up (channels, question kinds, …), keyed by registry name.
    registries: dict[str, Any] = field(default_factory=dict)
    secret: bytes = b""
    # Each plugin's validated settings: ``services.plugin_settings(ChatSettings)``.
    plugin_settings: PluginSettings = field(default_factory=PluginSettings)


def services(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    return connection.app.state["services"]
