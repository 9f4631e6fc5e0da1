"""JSON API for checkpoints: ``/api/v1/checkpoints``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody

from surveyor.auth import store as auth_store
from surveyor.auth.guards import api_scope, current_api_key
from surveyor.checkpoints import store
from surveyor.checkpoints.models import Checkpoint, CheckpointIn
from surveyor.delivery.channels import channels
from surveyor.services import Services, services
from surveyor.web.errors import invalid


async def check_references(svc: Services, data: CheckpointIn) -> None:
    """The survey must exist and every channel must be one a plugin registered."""
    known = channels(svc)
    if known.names():
        for index, name in enumerate(data.channels):
            if name not in known:
                raise invalid(
                    f"channels[{index}]",
                    f"unknown channel {name!r}; known: {', '.join(sorted(known.names()))}",
                )
    if len(set(data.channels)) != len(data.channels):
        raise invalid("channels", "a channel is listed twice")
    if data.survey_id is not None and not await store.survey_exists(svc.db, data.survey_id):
        raise invalid("survey_id", f"no survey {data.survey_id!r}")


class CheckpointsApi(Controller):
    path = "/api/v1/checkpoints"
    tags = ["checkpoints"]

    @get("/", guards=[api_scope("read")])
    async def list_checkpoints(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Journey checkpoints in journey order."""
        items = await store.list_checkpoints(services(request).db)
        return {"items": items, "next_cursor": None}

    @post("/", guards=[api_scope("admin")], status_code=201)
    async def create_checkpoint(
        self, request: Request[Any, Any, Any], data: JSONBody[CheckpointIn]
    ) -> Checkpoint:
        svc = services(request)
        if await store.get_checkpoint(svc.db, data.key):
            raise ClientException(
                detail=f"key: a checkpoint {data.key!r} exists already", status_code=409
            )
        await check_references(svc, data)
        created = await store.create_checkpoint(svc.db, data)
        store.forget_checkpoints(svc)
        key = current_api_key(request)
        await auth_store.audit(
            svc.db,
            "checkpoint.created",
            actor_label=f"api:{key.prefix}",
            target_type="checkpoint",
            target_id=created.id,
        )
        return created

    @get("/{key:str}", guards=[api_scope("read")])
    async def get_checkpoint(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Checkpoint:
        found = await store.get_checkpoint(services(request).db, key)
        if found is None:
            raise NotFoundException(detail=f"checkpoint: no checkpoint {key!r}")
        return found

    @put("/{key:str}", guards=[api_scope("admin")])
    async def update_checkpoint(
        self, request: Request[Any, Any, Any], key: FromPath[str], data: JSONBody[CheckpointIn]
    ) -> Checkpoint:
        svc = services(request)
        if await store.get_checkpoint(svc.db, key) is None:
            raise NotFoundException(detail=f"checkpoint: no checkpoint {key!r}")
        if data.key != key and await store.get_checkpoint(svc.db, data.key):
            raise ClientException(
                detail=f"key: a checkpoint {data.key!r} exists already", status_code=409
            )
        await check_references(svc, data)
        updated = await store.update_checkpoint(svc.db, key, data)
        store.forget_checkpoints(svc)
        assert updated is not None
        api = current_api_key(request)
        await auth_store.audit(
            svc.db,
            "checkpoint.updated",
            actor_label=f"api:{api.prefix}",
            target_type="checkpoint",
            target_id=updated.id,
        )
        return updated
