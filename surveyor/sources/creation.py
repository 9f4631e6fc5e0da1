"""Creating a source from the API, the page or the CLI: one set of rules for all three."""

from __future__ import annotations

import secrets

from surveyor.db import Database
from surveyor.net import signing
from surveyor.sources import store
from surveyor.sources.mapping import MappingError, check_mapping
from surveyor.sources.models import CreatedSource, SourceIn
from surveyor.sources.presets import DEFAULTS
from surveyor.sources.redact import parse_path
from surveyor.sources.verify import HmacOptions


class SourceRejected(ValueError):
    """A field of a new source is wrong in a way its Struct cannot say (400 naming it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _secret(data: SourceIn) -> str:
    preset = DEFAULTS[data.type]
    if data.type == "standard":
        if data.secret is None:
            return signing.new_secret()
        try:
            signing.secret_key(data.secret)
        except signing.SignatureError as exc:
            raise SourceRejected("secret", str(exc).removeprefix("secret: ")) from None
        return data.secret
    if data.secret is None:
        if preset.secret_from_provider:
            raise SourceRejected(
                "secret", f"paste the signing secret that {data.type} shows for the webhook"
            )
        return secrets.token_urlsafe(32)
    return data.secret


async def create_source(
    db: Database, data: SourceIn, *, base_url: str, actor_label: str = ""
) -> CreatedSource:
    preset = DEFAULTS[data.type]
    mapping = data.mapping.to_mapping() if data.mapping else preset.mapping
    try:
        check_mapping(mapping)
    except MappingError as error:
        raise SourceRejected(f"mapping.{error.field}", error.message) from None
    allow_list = list(preset.allow_list) if data.allow_list is None else list(data.allow_list)
    for index, path in enumerate(allow_list):
        try:
            parse_path(path)
        except ValueError as exc:
            raise SourceRejected(f"allow_list[{index}]", str(exc)) from None
    if data.options is not None and data.type != "hmac":
        raise SourceRejected("options", "only the generic 'hmac' type takes options")
    secret = _secret(data)
    created = await store.create_source(
        db,
        name=data.name,
        type=data.type,
        checkpoint=data.checkpoint,
        secret=secret,
        mapping=mapping,
        options=data.options or HmacOptions(),
        allow_list=allow_list,
        base_url=base_url,
        actor_label=actor_label,
    )
    return CreatedSource(
        **{f: getattr(created, f) for f in created.__struct_fields__}, secret=secret
    )
