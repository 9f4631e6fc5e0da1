"""``/api/v1/apikeys`` and ``/api/v1/whoami``: API keys over the JSON API (Bearer keys only)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter

from surveyor.auth import changes
from surveyor.auth.changes import Actor
from surveyor.auth.guards import api_scope, client_ip, current_api_key, forget_api_keys
from surveyor.auth.models import ApiKey, ApiKeyOut, KeyPage, NewKeyBody, NewKeyOut, WhoAmI
from surveyor.services import services


def key_out(key: ApiKey) -> ApiKeyOut:
    return msgspec.convert(msgspec.structs.asdict(key), ApiKeyOut)


def key_actor(request: Request[Any, Any, Any]) -> Actor:
    key = current_api_key(request)
    return Actor(label=f"apikey:{key.prefix}", ip=client_ip(request))


class ApiKeysApi(Controller):
    path = "/api/v1/apikeys"
    guards = [api_scope("admin")]
    tags = ["api keys"]

    @get("/", cache=False)
    async def list_keys(
        self,
        request: Request[Any, Any, Any],
        cursor: Annotated[str, QueryParameter(max_length=200)] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> KeyPage:
        """API keys, newest first (never their secrets). Scope ``admin``."""
        position = changes.decode_cursor(cursor) if cursor else None
        if cursor and position is None:
            raise ValidationException(
                detail="cursor: not a cursor from this API",
                extra=[{"key": "cursor", "message": "not a cursor from this API"}],
            )
        keys, next_cursor = await changes.api_keys_page(
            services(request).db, cursor=position, limit=limit
        )
        return KeyPage(items=[key_out(k) for k in keys], next_cursor=next_cursor)

    @post("/")
    async def create_key(
        self, request: Request[Any, Any, Any], data: JSONBody[NewKeyBody]
    ) -> Response[NewKeyOut]:
        """Create a key. The ``secret`` is in this response only. Scope ``admin``."""
        secret, key = await changes.create_api_key(
            services(request).db, name=data.name, scopes=list(data.scopes), actor=key_actor(request)
        )
        body = NewKeyOut(**msgspec.structs.asdict(key_out(key)), secret=secret)
        return Response(body, status_code=201, headers={"Cache-Control": "no-store"})

    @delete("/{key_id:str}")
    async def revoke_key(self, request: Request[Any, Any, Any], key_id: FromPath[str]) -> None:
        """Revoke a key (repeating it is harmless). Scope ``admin``."""
        key = await changes.revoke_api_key(services(request).db, key_id, actor=key_actor(request))
        forget_api_keys(services(request))
        if key is None:
            raise NotFoundException(detail="key_id: no such API key")


class WhoAmIApi(Controller):
    path = "/api/v1/whoami"
    guards = [api_scope(None)]
    tags = ["api keys"]

    @get("/", cache=False)
    async def whoami(self, request: Request[Any, Any, Any]) -> WhoAmI:
        """The key making this call: any valid key may ask."""
        key = current_api_key(request)
        return WhoAmI(id=key.id, name=key.name, prefix=key.prefix, scopes=list(key.scopes))
