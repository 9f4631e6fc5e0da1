"""Routes answered before Litestar's routing (``surveyor.web.direct``): the answer, the
refusals rendered by Litestar as from the route handler, and what is handed over whole."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, post
from litestar.exceptions import ValidationException
from litestar.testing import AsyncTestClient

from surveyor.web.direct import direct_routes, raise_refusal

SEEN: list[str] = []


async def answer(state: Any, scope: Any, body: bytes) -> tuple[int, bytes]:
    SEEN.append("direct")
    if body == b"bad":
        raise ValidationException(detail="body: bad")
    return 202, b'{"direct":true}'


async def before(request: Request[Any, Any, Any]) -> Any:
    raise_refusal(request)
    SEEN.append("litestar")
    return {"direct": False, "body": len(await request.body())}


@post("/hook", status_code=202, before_request=before, opt={"direct": answer})
async def hook() -> None:
    raise AssertionError("answered first")


def app() -> Litestar:
    made = Litestar([hook], request_max_body_size=10, logging_config=None)
    made.asgi_handler = direct_routes(made)
    return made


async def test_a_direct_route_answers_without_litestar() -> None:
    SEEN.clear()
    async with AsyncTestClient(app()) as client:
        answered = await client.post("/hook", content=b"{}")
    assert (answered.status_code, answered.json(), SEEN) == (202, {"direct": True}, ["direct"])
    assert answered.headers["content-type"] == "application/json"


async def test_a_refusal_is_rendered_by_litestar_from_the_route() -> None:
    SEEN.clear()
    async with AsyncTestClient(app()) as client:
        refused = await client.post("/hook", content=b"bad")
    assert refused.status_code == 400
    assert "body: bad" in refused.text
    assert SEEN == ["direct"]  # raised again in before_request, not answered twice


async def test_a_body_over_the_limit_is_handed_to_litestar_whole() -> None:
    SEEN.clear()
    async with AsyncTestClient(app()) as client:
        too_big = await client.post("/hook", content=b"x" * 11)
    assert too_big.status_code == 413
    assert SEEN == ["litestar"]  # the route's own path, where Litestar reads the body


async def test_other_methods_and_paths_go_to_litestar() -> None:
    SEEN.clear()
    async with AsyncTestClient(app()) as client:
        assert (await client.get("/hook")).status_code == 405
        slash = await client.post("/hook/", content=b"{}")
    assert (slash.status_code, slash.json()) == (202, {"direct": False, "body": 2})
    assert SEEN == ["litestar"]


def test_an_app_without_direct_routes_keeps_litestar_handler() -> None:
    @post("/plain")
    async def plain() -> None:
        return None

    made = Litestar([plain], logging_config=None)
    assert direct_routes(made) is made.asgi_handler
