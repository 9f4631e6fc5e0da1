"""The comparison endpoints of the benchmarks: bare Litestar handlers that only decode
the same bodies with msgspec and answer, with no database. Run by the bench scripts with
the same server and settings as Surveyor, so the ratio is what Surveyor's work costs."""

from __future__ import annotations

import msgspec
from litestar import Litestar, Request, post
from litestar.params import FromPath

from surveyor.checkpoints.models import EventIn


@post("/api/v1/events", status_code=202)
async def decode_event(request: Request) -> dict[str, str]:
    data = msgspec.json.decode(await request.body(), type=EventIn)
    return {"decision": "scheduled", "checkpoint": data.checkpoint}


@post("/s/{token:str}", status_code=200)
async def decode_answers(request: Request, token: FromPath[str]) -> dict[str, str]:
    form = await request.form()
    return {"token": token, "fields": str(len(form))}


def make_app() -> Litestar:
    return Litestar([decode_event, decode_answers], logging_config=None)
