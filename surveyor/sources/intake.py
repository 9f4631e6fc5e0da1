"""One delivery from verification to the committed event: ``POST /hooks/in/{source_id}``.

Order matters: the signature is checked before anything is parsed or stored (a refused
request leaves a counter and a log line, never its body). Then the payload is mapped,
and the event goes through the events API's own unit (``fire_event_in``) in the same
transaction as the payload log entry and its delivery id: one commit for all of it, so
the provider's 2xx means the invitation is durable, and a racing duplicate fails on a
unique index and is answered as the duplicate it is.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

import msgspec

from surveyor.checkpoints import store as checkpoints
from surveyor.checkpoints.events import (
    EventRejected,
    IdempotencyConflict,
    check_contact,
    fire_event,
    fire_event_in,
)
from surveyor.checkpoints.models import EventIn
from surveyor.db import Tx
from surveyor.ids import iso, new_id, utcnow
from surveyor.services import Services
from surveyor.sources import store
from surveyor.sources.mapping import Mapping, MappingError, apply_mapping, evaluate
from surveyor.sources.models import Outcome, Source
from surveyor.sources.presets import DEFAULTS
from surveyor.sources.redact import redact
from surveyor.sources.verify import VerificationFailed, verify

log = logging.getLogger("surveyor.sources")
MAX_DEPTH = 64


class SourceNotFound(LookupError):
    """No active source with this id (404)."""


class PayloadRejected(ValueError):
    """A verified body we cannot read: not JSON, or nested too deeply (400)."""


def api_key_scope(source_id: str) -> str:
    """Idempotency keys are scoped like an API key's: one scope per source."""
    return f"source:{source_id}"


def decode_payload(body: bytes) -> Any:
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise PayloadRejected(f"body: not JSON ({exc})") from None
    except RecursionError:
        raise PayloadRejected(f"body: nested deeper than {MAX_DEPTH} levels") from None
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PayloadRejected(f"body: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((inner, depth + 1) for inner in value.values())
        elif isinstance(value, list):
            stack.extend((inner, depth + 1) for inner in value)
    return payload


def _event_id(source: Source, payload: Any) -> str | None:
    preset = DEFAULTS.get(source.type)
    if preset is None:
        return None
    try:
        found = evaluate("event_id", preset.event_id, payload)
    except MappingError:
        return None
    return found if isinstance(found, str) and 0 < len(found) <= 200 else None


async def receive(
    svc: Services,
    source_id: str,
    *,
    method: str,
    headers: dict[str, str],
    body: bytes,
    now: float,
) -> Outcome:
    """Verify, map and fire one delivery. Raises :class:`SourceNotFound`,
    :class:`VerificationFailed` (counted and logged) or :class:`PayloadRejected`."""
    found = await store.source_for_delivery(svc.db, source_id, svc.settings.base_url)
    if found is None:
        raise SourceNotFound(source_id)
    source, secret = found
    try:
        delivery_id = verify(
            source.type,
            secret,
            method=method,
            url=source.url,
            headers=headers,
            body=body,
            now=now,
            tolerance=svc.settings.inbound_tolerance_seconds,
            options=source.options,
        )
    except VerificationFailed as failed:
        log.warning("inbound source %s: refused (%s)", source_id, failed.reason)
        await store.count_failure(svc.db, source_id)
        raise
    payload = decode_payload(body)
    event_id = _event_id(source, payload)
    delivery_id = delivery_id or event_id or "sha256:" + hashlib.sha256(body).hexdigest()
    return await process(svc, source, payload, delivery_id=delivery_id, event_id=event_id)


async def replay(svc: Services, source: Source, payload: Any) -> Outcome:
    """Map a logged payload again with the current mapping and fire it (a new log entry;
    the idempotency key still holds, so a fired event is not fired twice)."""
    return await process(
        svc, source, payload, delivery_id=f"replay:{new_id()}", event_id=_event_id(source, payload)
    )


async def _prepare(
    svc: Services, source: Source, payload: Any, *, event_id: str | None
) -> tuple[Outcome | None, EventIn | None, Any]:
    """Mapping → a checked ``EventIn`` and its checkpoint, or the outcome that stops it."""
    try:
        mapped = apply_mapping(source.mapping, payload, default_key=event_id)
    except MappingError as error:
        return Outcome(decision="mapping_error", reason=str(error)), None, None
    if not mapped.fires:
        return Outcome(decision="filtered", reason=f"filter: {source.mapping.filter}"), None, None
    shown = msgspec.to_builtins(mapped)
    key = mapped.checkpoint or source.checkpoint
    checkpoint = await checkpoints.cached_checkpoint(svc, key)
    if checkpoint is None:
        reason = f"checkpoint: no checkpoint {key!r}"
        if mapped.checkpoint:
            reason += f" (expression: {source.mapping.checkpoint})"
        return Outcome(decision="mapping_error", reason=reason, mapped=shown), None, None
    try:
        data = msgspec.convert(
            {
                "checkpoint": key,
                "contact": mapped.contact,
                "properties": mapped.properties,
                "idempotency_key": mapped.idempotency_key,
            },
            EventIn,
        )
        data = check_contact(data)
    except msgspec.ValidationError as error:
        return (
            Outcome(decision="mapping_error", reason=_named(error, source.mapping), mapped=shown),
            None,
            None,
        )
    except EventRejected as rejected:
        return Outcome(decision="mapping_error", reason=str(rejected), mapped=shown), None, None
    return None, data, checkpoint


def _named(error: msgspec.ValidationError, mapping: Mapping) -> str:
    """A validation error with the expression that made the field, when there is one."""
    text = str(error)
    field_for = {"$.contact.id": "contact_id", "$.idempotency_key": "idempotency_key"}
    for path, field in field_for.items():
        if path in text:
            return f"{text} (expression: {getattr(mapping, field) or 'the event id'})"
    for field in ("email", "phone", "name", "locale", "timezone", "attributes"):
        if f"$.contact.{field}" in text:
            return f"{text} (expression: {getattr(mapping, field)})"
    if "$.properties" in text:
        return f"{text} (expression: {mapping.properties})"
    return text


async def process(
    svc: Services, source: Source, payload: Any, *, delivery_id: str, event_id: str | None
) -> Outcome:
    stopped, data, checkpoint = await _prepare(svc, source, payload, event_id=event_id)
    logged = redact(payload, source.allow_list)
    keep_since = iso(utcnow() - timedelta(days=svc.settings.inbound_payload_days))

    async def unit(tx: Tx) -> Outcome:
        if await store.delivery_seen(tx, source.id, delivery_id):
            return Outcome(decision="duplicate", reason=f"delivery {delivery_id} already received")
        if stopped is not None:
            outcome = stopped
        else:
            assert data is not None
            replayed, answer = await fire_event_in(
                tx, svc, data, checkpoint, api_key_id=api_key_scope(source.id)
            )
            outcome = Outcome(
                decision="duplicate" if replayed else answer.decision,
                reason=(
                    f"event {answer.event_id} already fired with this idempotency key"
                    if replayed
                    else answer.reason
                ),
                event_id=answer.event_id,
                mapped=msgspec.to_builtins(data),
            )
        await store.log_payload(
            tx,
            source_id=source.id,
            delivery_id=delivery_id,
            payload=logged,
            mapped=outcome.mapped,
            decision=outcome.decision,
            reason=outcome.reason,
            event_id=outcome.event_id,
            keep_since=keep_since,
        )
        return outcome

    try:
        return await _write_once_more_on_race(svc, unit)
    except IdempotencyConflict:
        # The key fired before with another payload (an edited mapping, or a provider
        # that changed the event): not a new event, and not worth a provider retry.
        outcome = Outcome(
            decision="duplicate",
            reason="idempotency_key: already used with a different payload",
            mapped=msgspec.to_builtins(data),
        )

        async def log_conflict(tx: Tx) -> Outcome:
            if not await store.delivery_seen(tx, source.id, delivery_id):
                await store.log_payload(
                    tx,
                    source_id=source.id,
                    delivery_id=delivery_id,
                    payload=logged,
                    mapped=outcome.mapped,
                    decision=outcome.decision,
                    reason=outcome.reason,
                    event_id=None,
                    keep_since=keep_since,
                )
            return outcome

        return await svc.db.write(log_conflict)


async def _write_once_more_on_race(svc: Services, unit: Any) -> Outcome:
    """Two copies of one delivery can both pass the look-ups; a unique index stops the
    second, which then runs again, finds the first and answers ``duplicate``."""
    try:
        return await svc.db.write(unit)
    except Exception as exc:
        if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
            raise
        return await svc.db.write(unit)


async def dry_run(svc: Services, source: Source, payload: Any) -> Outcome:
    """The "test the mapping" box: the mapping's result and the policy's decision,
    storing nothing (the events API's own dry run)."""
    stopped, data, checkpoint = await _prepare(
        svc, source, payload, event_id=_event_id(source, payload)
    )
    if stopped is not None:
        return msgspec.structs.replace(stopped, dry_run=True)
    assert data is not None
    _, answer = await fire_event(
        svc, data, checkpoint, api_key_id=api_key_scope(source.id), dry_run=True
    )
    return Outcome(
        decision=answer.decision,
        reason=answer.reason,
        mapped=msgspec.to_builtins(data),
        dry_run=True,
    )
