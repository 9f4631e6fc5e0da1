"""The respondent's link taken past Litestar's router (``surveyor.ops.fast_lane``): the
same answers as the router gives, errors and metrics included, and only for handlers
that Litestar would do nothing but call."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery
from litestar.testing import AsyncTestClient

import surveyor.app
from surveyor.app import create_app
from surveyor.ops.fast_lane import with_fast_lane
from surveyor.respond import views
from tests.conftest import app_services, in_app
from tests.respond.helpers import invite, published, step_of

HX = {"HX-Request": "true", "HX-Target": "survey"}


def same_answer(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code
    assert a.content == b.content
    skip = {"x-request-id", "date"}
    assert sorted((k, v) for k, v in a.headers.multi_items() if k not in skip) == sorted(
        (k, v) for k, v in b.headers.multi_items() if k not in skip
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_lane_answers_as_the_router_does(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    laned = create_app(settings)
    monkeypatch.setattr(surveyor.app, "with_fast_lane", lambda app: app.asgi_handler)
    routed = create_app(settings)
    async with (
        AsyncTestClient(app=laned) as fast,
        AsyncTestClient(app=routed) as slow,
    ):
        db = app_services(fast).db
        version = await in_app(fast, published, db)
        token, _ = await in_app(fast, lambda: invite(db, version))
        requests = [
            ("GET", f"/s/{token}", {}),
            ("GET", f"/s/{token}?score=9", {}),
            ("GET", f"/s/{token}", HX),
            ("HEAD", f"/s/{token}", {}),
            ("GET", f"/s/{token}", {"Accept-Language": "zh-Hans"}),
            ("GET", "/s/not-a-token-at-all-but-long", {}),
            ("GET", "/s/short", {}),
            ("PUT", f"/s/{token}", {}),  # 405 with Allow, from the router
            ("GET", f"/s/{token}/", {}),
            ("POST", "/s/unknown-token-of-good-length", {}),
        ]
        for method, path, headers in requests:
            same_answer(
                await fast.request(method, path, headers=headers),
                await slow.request(method, path, headers=headers),
            )
        # Answers: one customer through each app, step for step.
        token2, _ = await in_app(fast, lambda: invite(db, version, external_id="cust-2"))
        for client, link in ((fast, token), (slow, token2)):
            page = await client.get(f"/s/{link}")
            data = {"q_score": "3"}
            while 'name="step"' in page.text:
                page = await client.post(
                    f"/s/{link}", data={"step": step_of(page.text), **data}, headers=HX
                )
                assert page.status_code == 200
                data = {}
            assert "Thank you" in page.text
        done = [await c.get(f"/s/{t}") for c, t in ((fast, token), (slow, token2))]
        assert done[0].text.replace(token, token2) == done[1].text
        plain = await fast.post(f"/s/{token}", data={"step": "x"})  # no htmx, complete: 409
        assert plain.status_code == 409


async def test_the_router_is_not_asked_for_a_link(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    router = client.app.asgi_router
    routing = router.handle_routing

    def counted(path: str, method: Any) -> Any:
        asked.append(path)
        return routing(path=path, method=method)

    monkeypatch.setattr(router, "handle_routing", counted)
    db = app_services(client).db
    version = await in_app(client, published, db)
    token, _ = await in_app(client, lambda: invite(db, version))
    page = await client.get(f"/s/{token}")
    await client.post(f"/s/{token}", data={"step": step_of(page.text), "q_score": "9"})
    assert asked == []
    assert (await client.put(f"/s/{token}")).status_code == 405
    assert (await client.get(f"/s/{token}/")).status_code == 200
    assert asked == [f"/s/{token}", f"/s/{token}"]
    exposition = (await client.get("/metrics")).text
    # The route template labels the lane's requests, as the router's would.
    for sample in (
        'method="GET",route="/s/{token}",status="200"',
        'method="POST",route="/s/{token}"',
    ):
        assert "surveyor_http_requests_total{" + sample in exposition


async def test_an_error_in_a_laned_handler_is_answered_like_any_other(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "personal_sheet", broken)
    answer = await client.get("/s/" + "a" * 20)
    assert answer.status_code == 500
    assert answer.headers["x-request-id"]
    assert "boom" not in answer.text
    api = await client.get("/s/" + "a" * 20, headers={"Accept": "application/json"})
    assert api.status_code == 500


def _app(*handlers: Any) -> Litestar:
    return Litestar(route_handlers=list(handlers))


def test_only_handlers_that_litestar_would_just_call_are_laned() -> None:
    async def refuse(_connection: Any, _handler: Any) -> None:
        raise NotAuthorizedException()

    @get("/a/{key:str}", opt={"fast_lane": True}, guards=[refuse])
    async def guarded(request: Request[Any, Any, Any], key: FromPath[str]) -> str:
        return key

    @get("/b/{key:str}", opt={"fast_lane": True})
    async def asks_more(
        request: Request[Any, Any, Any], key: FromPath[str], page: FromQuery[int]
    ) -> str:
        return key

    @get("/c/{key:int}", opt={"fast_lane": True})
    async def not_text(request: Request[Any, Any, Any], key: FromPath[int]) -> int:
        return key

    @get("/d/{key:str}", opt={"fast_lane": True})
    async def plain(request: Request[Any, Any, Any], key: FromPath[str]) -> str:
        return key

    for handler in (guarded, asks_more, not_text):
        with pytest.raises(ValueError, match=r"Litestar|param|takes"):
            with_fast_lane(_app(handler))
    app = _app(plain)
    assert with_fast_lane(app).app is not app.asgi_router  # type: ignore[attr-defined]
