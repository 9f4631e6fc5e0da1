"""The journey page: checkpoints in journey order, their rules, and a policy preview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.checkpoints import store
from surveyor.checkpoints.events import EventRejected, fire_event
from surveyor.checkpoints.models import Checkpoint, CheckpointIn, ContactIn, EventIn
from surveyor.checkpoints.policy import PolicyContact, decide
from surveyor.checkpoints.snippets import snippets
from surveyor.delivery.channels import channels
from surveyor.delivery.worker import wake_worker
from surveyor.ids import utcnow
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

NUMBER_FIELDS = (
    "position",
    "delay_seconds",
    "recontact_days",
    "reminder_days",
    "max_reminders",
    "expires_days",
)


def checkpoint_from_form(raw: dict[str, Any]) -> CheckpointIn:
    """Form fields (all text) → the same Struct the API validates."""
    data: dict[str, Any] = {
        "key": raw.get("key", ""),
        "name": raw.get("name", ""),
        "description": raw.get("description", ""),
        "survey_id": raw.get("survey_id") or None,
        "active": raw.get("active") in ("on", "true", "1"),
    }
    channels = raw.get("channels", [])
    data["channels"] = [channels] if isinstance(channels, str) else list(channels)
    for name in NUMBER_FIELDS:
        value = str(raw.get(name, "")).strip()
        if value:
            data[name] = value
    # People think in minutes and percent; the API in seconds and fractions. A value that
    # is not a number is passed on as it is so that validation names the field.
    minutes = str(raw.get("delay_minutes", "")).strip()
    if minutes:
        data["delay_seconds"] = str(round(float(minutes) * 60)) if _number(minutes) else minutes
    percent = str(raw.get("sample_percent", "")).strip()
    if percent:
        data["sample_rate"] = str(float(percent) / 100) if _number(percent) else percent
    if raw.get("quiet_start") or raw.get("quiet_end"):
        data["quiet_hours"] = {"start": raw.get("quiet_start", ""), "end": raw.get("quiet_end", "")}
    return msgspec.convert(data, CheckpointIn, strict=False)


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


async def _surveys(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    return await store.survey_choices(services(request).db)


def _channel_names(request: Request[Any, Any, Any]) -> list[str]:
    return channels(services(request)).names()


class JourneyViews(Controller):
    path = "/journey"
    guards = [staff()]
    include_in_schema = False

    @get("/")
    async def journey(self, request: Request[Any, Any, Any]) -> Response[str]:
        db = services(request).db
        checkpoints = await store.list_checkpoints(db)
        surveys = {row["id"]: row["name"] for row in await _surveys(request)}
        return await render(
            request,
            "journey/index.html",
            {
                "checkpoints": checkpoints,
                "stats": await store.checkpoint_stats(db),
                "surveys": surveys,
            },
        )

    async def _form(
        self,
        request: Request[Any, Any, Any],
        checkpoint: Checkpoint | None,
        values: dict[str, Any],
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        svc = services(request)
        return await render(
            request,
            "journey/form.html",
            {
                "snippets": snippets(svc.settings.base_url, checkpoint.key) if checkpoint else {},
                "checkpoint": checkpoint,
                "values": values,
                "error": error,
                "surveys": await _surveys(request),
                "channel_names": _channel_names(request),
            },
            status_code=status,
        )

    @get("/new", guards=[staff("designer")])
    async def new_checkpoint(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._form(
            request,
            None,
            {
                "channels": ["email"],
                "active": True,
                "expires_days": 14,
                "recontact_days": 90,
                "sample_percent": 100,
            },
        )

    @post("/", guards=[staff("designer")], status_code=303)
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        raw = await read_form(request)
        svc = services(request)
        try:
            data = checkpoint_from_form(raw)
            if await store.get_checkpoint(svc.db, data.key):
                raise ValueError(f"key: a checkpoint {data.key!r} exists already")
        except (msgspec.ValidationError, ValueError) as exc:
            message = form_errors(exc) if isinstance(exc, msgspec.ValidationError) else str(exc)
            return await self._form(request, None, raw, message, status=422)
        await store.create_checkpoint(svc.db, data)
        store.forget_checkpoints(svc)
        return Redirect(f"/journey/{data.key}", status_code=303)

    @get("/{key:str}")
    async def show(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Response[str]:
        checkpoint = await store.get_checkpoint(services(request).db, key)
        if checkpoint is None:
            raise NotFoundException(detail=f"No checkpoint {key!r}.")
        return await self._form(request, checkpoint, form_values(checkpoint))

    @post("/{key:str}", guards=[staff("designer")], status_code=303)
    async def update(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Response[Any]:
        svc = services(request)
        checkpoint = await store.get_checkpoint(svc.db, key)
        if checkpoint is None:
            raise NotFoundException(detail=f"No checkpoint {key!r}.")
        raw = await read_form(request)
        try:
            data = checkpoint_from_form(raw)
            if data.key != key and await store.get_checkpoint(svc.db, data.key):
                raise ValueError(f"key: a checkpoint {data.key!r} exists already")
        except (msgspec.ValidationError, ValueError) as exc:
            message = form_errors(exc) if isinstance(exc, msgspec.ValidationError) else str(exc)
            return await self._form(request, checkpoint, raw, message, status=422)
        await store.update_checkpoint(svc.db, key, data)
        store.forget_checkpoints(svc)
        return Redirect(f"/journey/{data.key}", status_code=303)

    @post("/{key:str}/test-event", guards=[staff("designer")])
    async def test_event(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[str]:
        """Fire the checkpoint for the signed-in user: a dry run first, then a real event
        (its message arrives in the mailbox when no email delivery is configured)."""
        svc = services(request)
        checkpoint = await store.get_checkpoint(svc.db, key)
        if checkpoint is None:
            raise NotFoundException(detail=f"No checkpoint {key!r}.")
        user = current_user(request)
        data = EventIn(
            checkpoint=key,
            contact=ContactIn(id=f"staff-test:{user.id}", email=user.email, name=user.name or None),
            properties={"test": True},
        )
        steps: list[dict[str, Any]] = []
        try:
            _, dry = await fire_event(svc, data, checkpoint, api_key_id="", dry_run=True)
            steps.append({"name": "dry run", "decision": dry.decision, "reason": dry.reason})
            if dry.decision == "scheduled":
                _, real = await fire_event(svc, data, checkpoint, api_key_id="")
                steps.append({"name": "event", "decision": real.decision, "reason": real.reason})
                wake_worker(svc)
        except EventRejected as rejected:
            steps.append({"name": "event", "decision": "rejected", "reason": rejected.message})
        return await render(
            request,
            "journey/_test_event.html",
            {"steps": steps, "email": user.email, "checkpoint": checkpoint},
        )

    @post("/{key:str}/preview", guards=[staff()])
    async def preview(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Response[str]:
        """The contact policy's decision for a sample contact: nothing is stored."""
        svc = services(request)
        checkpoint = await store.get_checkpoint(svc.db, key)
        if checkpoint is None:
            raise NotFoundException(detail=f"No checkpoint {key!r}.")
        raw = await read_form(request)
        now = utcnow()

        def days_ago(name: str) -> Any:
            value = str(raw.get(name, "")).strip()
            return now - timedelta(days=int(value)) if value.isdigit() else None

        contact = PolicyContact(
            id=str(raw.get("contact_id") or "preview")[:200],
            timezone=str(raw.get("timezone", ""))[:64],
            unsubscribed=raw.get("unsubscribed") == "on",
            last_surveyed_at=days_ago("last_any_days"),
            last_surveyed_here_at=days_ago("last_here_days"),
        )
        reachable = {
            "email": bool(raw.get("email")),
            "sms": bool(raw.get("phone")),
            "webhook": True,
        }
        result = decide(
            checkpoint=checkpoint.for_policy(),
            contact=contact,
            reachable=reachable,
            now=now,
            secret=svc.secret,
        )
        return await render(request, "journey/_preview.html", {"result": result, "now": now})


def form_values(checkpoint: Checkpoint) -> dict[str, Any]:
    values = msgspec.structs.asdict(checkpoint)
    values["delay_minutes"] = checkpoint.delay_seconds // 60
    values["sample_percent"] = round(checkpoint.sample_rate * 100, 2)
    values["quiet_start"] = checkpoint.quiet_hours.start if checkpoint.quiet_hours else ""
    values["quiet_end"] = checkpoint.quiet_hours.end if checkpoint.quiet_hours else ""
    return values
