"""A single-file plugin, loaded from --plugins-dir / SURVEYOR_PLUGINS_DIR."""

from typing import Any

from litestar import get

from surveyor import hookimpl

__version__ = "1.2.3"


@get("/hello-single", opt={"public": True}, include_in_schema=False)
async def hello_single() -> str:
    return "hello from a single file"


@hookimpl
def register_routes(register: Any) -> None:
    register(hello_single)
