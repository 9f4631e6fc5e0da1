"""Test plugins: one that uses every hook, one that fails in every hook it can.

They are classes so that each test registers a fresh instance (``create_app(settings,
pm=make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(SamplePlugin(),)))``) and can look at what
that instance saw.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from surveyor import Message, hookimpl
from surveyor.auth.guards import staff
from surveyor.web.templating import render
from tests.plugins import HERE

SECRET_IN_ERROR = "db-password-hunter2"


@get("/sample/page", include_in_schema=False, opt={"public": True})
async def sample_page(request: Request[Any, Any, Any]) -> Response[str]:
    """A page with a fragment: htmx gets ``_part.html`` alone."""
    return await render(
        request,
        ["sample/missing.html", "sample/page.html"],
        {"count": 3, "page_var": "from the page"},
        fragment="sample/_part.html",
    )


@get("/sample/boom", include_in_schema=False, opt={"public": True})
async def sample_boom() -> str:
    raise RuntimeError(f"cannot connect with {SECRET_IN_ERROR}")


@get("/api/v1/sample-boom", include_in_schema=False, opt={"public": True})
async def sample_api_boom() -> dict[str, str]:
    raise RuntimeError(f"cannot connect with {SECRET_IN_ERROR}")


@get("/sample/staff", guards=[staff("designer")], include_in_schema=False)
async def sample_staff() -> str:
    return "designers only"


class SampleChannel:
    name = "sample"

    def address_for(self, contact: Any) -> str | None:
        return getattr(contact, "email", None)

    async def send(self, message: Message) -> None:
        return None


class SamplePlugin:
    """Implements every hook the foundation defines."""

    __version__ = "0.0.1"

    def __init__(self, banner: str = "hello from a plugin") -> None:
        self.banner = banner
        self.events: list[str] = []
        self.startup_value: Any = None
        self.shutdown_value: Any = None
        self.template_requests: list[str] = []

    @hookimpl
    def register_migrations(self, register: Any) -> None:
        register("sample", HERE / "migrations")

    @hookimpl
    def register_routes(self, register: Any) -> None:
        for handler in (sample_page, sample_boom, sample_api_boom, sample_staff):
            register(handler)

    @hookimpl
    def register_template_dirs(self, register: Any) -> None:
        register(HERE / "templates")

    @hookimpl
    def register_channels(self, register: Any) -> None:
        register(SampleChannel())

    @hookimpl
    async def startup(self, services: Any) -> None:
        # The database is connected and migrated by now: the plugin's own table is there.
        self.startup_value = await services.db.fetch_val("SELECT body FROM sample_notes")
        self.events.append("startup")

    @hookimpl
    async def shutdown(self, services: Any) -> None:
        # Still before the database closes.
        self.shutdown_value = await services.db.fetch_val("SELECT count(*) FROM sample_notes")
        self.events.append("shutdown")

    @hookimpl
    def extra_template_vars(self, template: str, request: Any) -> Any:
        self.template_requests.append(template)

        async def later() -> dict[str, Any]:
            return {"sample_banner": self.banner, "page_var": "from the plugin"}

        return later  # a callable returning an awaitable: the core awaits both

    @hookimpl
    def menu_links(self, user: Any) -> list[dict[str, str]]:
        return [{"href": "/sample/page", "label": f"Sample for {user.role}"}]


class FailingPlugin:
    """Raises in every hook that runs per request or at start/stop."""

    @hookimpl
    def extra_template_vars(self, template: str, request: Any) -> Any:
        raise RuntimeError("extra_template_vars is broken")

    @hookimpl
    async def menu_links(self, user: Any) -> Any:
        raise RuntimeError("menu_links is broken")

    @hookimpl
    async def startup(self, services: Any) -> None:
        raise RuntimeError("startup is broken")

    @hookimpl
    def shutdown(self, services: Any) -> None:
        raise RuntimeError("shutdown is broken")
