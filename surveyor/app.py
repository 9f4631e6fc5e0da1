"""``create_app(settings, pm=None)``: the one place where the parts are wired together."""

from __future__ import annotations

import logging

import pluggy
from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.plugins import PluginProtocol
from litestar.plugins.core import MsgspecDIPlugin
from litestar_htmx import HTMXPlugin

from surveyor import __version__
from surveyor.auth.guards import load_session
from surveyor.auth.store import instance_secret
from surveyor.db import open_database
from surveyor.db.migrate import migrate
from surveyor.ops.fast_lane import with_fast_lane
from surveyor.ops.http_stack import http_stack
from surveyor.paths import MIGRATIONS_DIR
from surveyor.plugin_settings import PluginSettings, load_plugin_settings
from surveyor.plugins import collect, gather, make_plugin_manager
from surveyor.services import Services
from surveyor.settings import LoadedSettings, Settings, SettingsSources
from surveyor.static_files import StaticFiles
from surveyor.web.direct import direct_routes
from surveyor.web.errors import SESSION_LOADER, handle_http_exception, handle_unexpected
from surveyor.web.openapi import FinishedJsonRenderPlugin
from surveyor.web.requests import SurveyorRequest
from surveyor.web.templating import make_environment
from surveyor.webhooks.models import EVENT_TYPES as WEBHOOK_EVENT_TYPES

log = logging.getLogger("surveyor")


def migration_sources(pm: pluggy.PluginManager) -> list[tuple[str, object]]:
    return [("core", MIGRATIONS_DIR), *collect(pm.hook.register_migrations)]


def plugin_settings_for(settings: Settings, pm: pluggy.PluginManager) -> PluginSettings:
    """The plugins' validated settings; refuses what neither the core nor a plugin claims."""
    sources = settings.sources if isinstance(settings, LoadedSettings) else SettingsSources()
    return load_plugin_settings(collect(pm.hook.register_settings), sources)


def build_services(settings: Settings, pm: pluggy.PluginManager | None = None) -> Services:
    """Everything an app or a command needs, not yet connected.

    The plugins are loaded first (they need the allow-list and the plugins folder), then
    their settings are validated against what ``load_settings(..., for_plugins=True)`` kept
    aside; whatever no plugin claims is refused here.
    """
    pm = pm or make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir)
    plugin_settings = plugin_settings_for(settings, pm)
    return Services(
        settings=settings,
        db=open_database(
            settings.database,
            synchronous=settings.sqlite_synchronous,
            readers=settings.sqlite_readers,
            pool_size=settings.pg_pool_size,
        ),
        pm=pm,
        templates=make_environment(
            settings.templates_dir,
            collect(pm.hook.register_template_dirs),
            auto_reload=settings.debug,
        ),
        static=StaticFiles(),
        plugin_settings=plugin_settings,
    )


async def start_services(svc: Services) -> None:
    """Connect, migrate and load the instance secret (app start-up and CLI commands)."""
    await svc.db.connect()
    await migrate(svc.db, migration_sources(svc.pm))  # type: ignore[arg-type]
    svc.secret = await instance_secret(svc.db)


class LeanLitestar(Litestar):
    """Litestar without the plugins it adds by itself for pydantic and attrs models when
    those libraries are importable: the application has none (msgspec throughout), and
    importing them costs ~10 MB in each server process wherever they are installed
    (pydantic comes with the test extras) — issue 17, idle ≤ 100 MB. The OpenAPI
    document is the same byte for byte."""

    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        return [*plugins, MsgspecDIPlugin()]


def create_app(settings: Settings, *, pm: pluggy.PluginManager | None = None) -> Litestar:
    svc = build_services(settings, pm)
    handlers = [svc.static.router(), *collect(svc.pm.hook.register_routes)]

    async def on_startup() -> None:
        await start_services(svc)
        await gather(svc.pm.hook.startup, services=svc)

    async def on_shutdown() -> None:
        await gather(svc.pm.hook.shutdown, services=svc)
        await svc.db.close()

    app = LeanLitestar(
        route_handlers=handlers,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        state={"services": svc, SESSION_LOADER: load_session},  # type: ignore[arg-type]
        plugins=[HTMXPlugin()],
        request_class=SurveyorRequest,  # HTMXPlugin's request, reading HX-Request once
        exception_handlers={HTTPException: handle_http_exception, Exception: handle_unexpected},
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Surveyor API",
            version=__version__,
            path="/schema",
            render_plugins=[FinishedJsonRenderPlugin(webhook_events=WEBHOOK_EVENT_TYPES)],
        ),
        response_cache_config=ResponseCacheConfig(),
        debug=settings.debug,
        logging_config=None,
    )
    # Request id, access log, HTTP metrics and the API rate limit, in one pass, wrapped
    # around Litestar's whole handler so requests that match no route (404, 405) get them;
    # inside it, the routes answered before Litestar's routing (surveyor.web.direct), and
    # the respondent's link, which skips the router's lookup and signature model (fast_lane).
    app.asgi_handler = with_fast_lane(app)
    app.asgi_handler = http_stack(direct_routes(app), svc)
    return app
