"""The workbench's pages and actions: replying to the customer, snoozing, bulk changes,
saved inbox views and the reply templates. Managers and admins, like the inbox.

Every form is read into a Struct that forbids unknown fields, so a stray or misspelt
field is a 422 naming it and nothing is stored. Case actions go through ``views.act``,
which checks the case is the user's to see before anything else.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.followups import replies, store, workbench, workbench_store
from surveyor.followups.replies import ReplyError, ReplyPerson, check_template
from surveyor.followups.service import CaseError, viewer_for
from surveyor.followups.views import (
    VIEW_FIELDS,
    act,
    actor_of,
    after_change,
    case_context,
    visible_case,
)
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

Req = Request[Any, Any, Any]
F = TypeVar("F")
Short = Annotated[str, msgspec.Meta(max_length=200)]


class ReplyForm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    subject: Annotated[str, msgspec.Meta(max_length=replies.MAX_SUBJECT)] = ""
    body: Annotated[str, msgspec.Meta(max_length=replies.MAX_BODY)] = ""
    template_id: Short = ""


class SnoozeForm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    until: Annotated[str, msgspec.Meta(max_length=40)] = ""


class BulkForm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    ids: Annotated[list[Short], msgspec.Meta(max_length=workbench.MAX_BULK)] = []
    action: Short = ""
    assignee_id: Short = ""
    status: Short = "closed"
    root_cause: Short = ""
    outcome: Annotated[str, msgspec.Meta(max_length=10_000)] = ""


class ViewForm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    query: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class TemplateForm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=replies.MAX_NAME)] = ""
    subject: Annotated[str, msgspec.Meta(max_length=replies.MAX_SUBJECT)] = ""
    body: Annotated[str, msgspec.Meta(max_length=replies.MAX_BODY)] = ""


class FormError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def parse(request: Req, kind: type[F], lists: tuple[str, ...] = ()) -> F:
    """The posted form as ``kind`` (the CSRF field aside); FormError names the field."""
    data = await read_form(request)
    data.pop("_csrf", None)
    for name in lists:  # a field that may repeat is always a list
        if name in data and not isinstance(data[name], list):
            data[name] = [data[name]]
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise FormError(form_errors(exc)) from None


def agent_of(request: Req) -> ReplyPerson:
    user = current_user(request)
    return ReplyPerson(name=user.name or user.email, email=user.email)


def clean_query(query: str) -> str:
    """A saved view's query string, keeping only the inbox's own filters; FormError
    names a field the inbox does not have."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    for key, _ in pairs:
        if key not in VIEW_FIELDS:
            raise FormError(f"query: the inbox has no filter {key!r}")
    return "&".join(f"{k}={v}" for k, v in pairs)


async def form_failed(
    request: Req,
    case_id: str,
    message: str,
    *,
    status: int = 422,
    reply: dict[str, str] | None = None,
) -> Response[Any]:
    """A case form that was refused: the case again with the message (and the reply
    being written, so nothing typed is lost)."""
    case = await visible_case(request, case_id)
    context = await case_context(request, case)
    context["error"] = message
    if reply is not None:
        context.update(reply=reply, reply_error=message)
    return await render(
        request,
        "followups/case.html",
        context,
        fragment="followups/_case.html",
        status_code=status,
    )


class WorkbenchViews(Controller):
    path = "/followups"
    guards = [staff("manager")]
    include_in_schema = False

    # -- a case ---------------------------------------------------------------------

    @get("/{case_id:str}/reply")
    async def compose(
        self,
        request: Req,
        case_id: FromPath[str],
        template: Annotated[str, QueryParameter(name="template", max_length=200)] = "",
    ) -> Response[str]:
        """The reply form, filled from ``template`` for this case (then editable)."""
        case = await visible_case(request, case_id)
        svc = services(request)
        subject, body, error = "", "", ""
        if template:
            found = await workbench_store.get_template(svc.db, template)
            if found is None:
                raise NotFoundException(detail="template: no such reply template")
            context = await workbench.reply_context(svc, case, agent_of(request))
            try:
                filled = replies.render_reply(found.subject, found.body, context)
                subject, body = filled.subject, filled.body
            except ReplyError as exc:
                subject, body, error = found.subject, found.body, str(exc)
        page = await case_context(request, case)
        page.update(
            reply={"subject": subject, "body": body, "template_id": template}, reply_error=error
        )
        return await render(
            request, "followups/case.html", page, fragment="followups/_reply_form.html"
        )

    @post("/{case_id:str}/reply")
    async def reply(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        await visible_case(request, case_id)
        try:
            form = await parse(request, ReplyForm)
        except FormError as exc:
            return await form_failed(request, case_id, exc.message)
        svc, actor, agent = services(request), actor_of(request), agent_of(request)
        try:
            await workbench.send_reply(svc, case_id, form.subject, form.body, actor, agent)
        except CaseError as exc:
            kept = {"subject": form.subject, "body": form.body, "template_id": form.template_id}
            return await form_failed(
                request, case_id, str(exc), status=409 if exc.conflict else 422, reply=kept
            )
        return await after_change(request, case_id)

    @post("/{case_id:str}/snooze")
    async def snooze(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        await visible_case(request, case_id)
        try:
            form = await parse(request, SnoozeForm)
        except FormError as exc:
            return await form_failed(request, case_id, exc.message)
        svc, actor = services(request), actor_of(request)
        return await act(
            request, case_id, lambda: workbench.snooze(svc, case_id, form.until, actor)
        )

    @get("/{case_id:str}/timeline")
    async def timeline(self, request: Req, case_id: FromPath[str]) -> Response[str]:
        """The timeline alone: polled while a reply is on its way."""
        case = await visible_case(request, case_id)
        return await render(
            request,
            "followups/_timeline.html",
            await case_context(request, case),
            fragment="followups/_timeline.html",
        )

    # -- many cases -------------------------------------------------------------------

    @post("/bulk")
    async def bulk(self, request: Req) -> Response[Any]:
        """Reassign or close the checked cases; a per-case report of what was refused."""
        try:
            form = await parse(request, BulkForm, lists=("ids",))
            results = await workbench.bulk_change(
                services(request),
                viewer_for(current_user(request)),
                list(form.ids),
                form.action,
                actor_of(request),
                assignee_id=form.assignee_id or None,
                status=form.status,
                root_cause=form.root_cause,
                outcome=form.outcome,
            )
        except FormError as exc:
            return await self._bulk_page(request, [], exc.message, 422)
        except CaseError as exc:
            return await self._bulk_page(request, [], str(exc), 422)
        refused = [r for r in results if not r.ok]
        return await self._bulk_page(request, results, "", 409 if refused else 200)

    async def _bulk_page(
        self, request: Req, results: list[Any], error: str, status: int
    ) -> Response[str]:
        db = services(request).db
        cases = {r.case_id: await store.get_case(db, r.case_id) for r in results}
        return await render(
            request,
            "followups/bulk_result.html",
            {"results": results, "error": error, "cases": cases},
            fragment="followups/_bulk_result.html",
            status_code=status,
        )

    # -- saved views -------------------------------------------------------------------

    @post("/views")
    async def save_view(self, request: Req) -> Response[Any]:
        user = current_user(request)
        try:
            form = await parse(request, ViewForm)
            query = clean_query(form.query)
        except FormError as exc:
            return Response(exc.message, status_code=422, media_type="text/plain")
        name = form.name.strip()
        if not name:
            return Response("name: this cannot be empty.", status_code=422, media_type="text/plain")
        await services(request).db.write(
            lambda tx: workbench_store.save_view(tx, user.id, name, query)
        )
        return Redirect(f"/followups?{query}", status_code=303)

    @post("/views/{view_id:str}/delete")
    async def delete_view(self, request: Req, view_id: FromPath[str]) -> Response[Any]:
        user = current_user(request)
        await services(request).db.write(
            lambda tx: workbench_store.delete_view(tx, user.id, view_id)
        )
        return Redirect("/followups", status_code=303)

    # -- reply templates ------------------------------------------------------------

    @get("/templates")
    async def templates(self, request: Req) -> Response[str]:
        return await self._templates_page(request)

    async def _templates_page(
        self,
        request: Req,
        *,
        editing: Any = None,
        values: dict[str, str] | None = None,
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        db = services(request).db
        current = values or (
            {"name": editing.name, "subject": editing.subject, "body": editing.body}
            if editing is not None
            else {"name": "", "subject": "", "body": ""}
        )
        return await render(
            request,
            "followups/templates.html",
            {
                "templates": await workbench_store.list_templates(db),
                "editing": editing,
                "v": current,
                "error": error,
                "placeholders": replies.PLACEHOLDERS,
            },
            status_code=status,
        )

    @get("/templates/{template_id:str}")
    async def template(self, request: Req, template_id: FromPath[str]) -> Response[str]:
        found = await workbench_store.get_template(services(request).db, template_id)
        if found is None:
            raise NotFoundException(detail="template: no such reply template")
        return await self._templates_page(request, editing=found)

    @post("/templates")
    async def create_template(self, request: Req) -> Response[Any]:
        return await self._save_template(request, "")

    @post("/templates/{template_id:str}")
    async def update_template(self, request: Req, template_id: FromPath[str]) -> Response[Any]:
        if await workbench_store.get_template(services(request).db, template_id) is None:
            raise NotFoundException(detail="template: no such reply template")
        return await self._save_template(request, template_id)

    async def _save_template(self, request: Req, template_id: str) -> Response[Any]:
        db = services(request).db
        editing = await workbench_store.get_template(db, template_id) if template_id else None
        try:
            form = await parse(request, TemplateForm)
        except FormError as exc:
            return await self._templates_page(
                request, editing=editing, error=exc.message, status=422
            )
        values = {"name": form.name.strip(), "subject": form.subject, "body": form.body}
        try:
            check_template(values["name"], form.subject, form.body)
        except ReplyError as exc:
            return await self._templates_page(
                request, editing=editing, values=values, error=str(exc), status=422
            )
        user = current_user(request)
        try:
            await db.write(
                lambda tx: workbench_store.save_template(
                    tx,
                    template_id,
                    name=values["name"],
                    subject=form.subject,
                    body=form.body,
                    user_id=user.id,
                )
            )
        except workbench_store.NameTaken:
            return await self._templates_page(
                request,
                editing=editing,
                values=values,
                error="name: another template has this name",
                status=422,
            )
        return Redirect("/followups/templates", status_code=303)

    @post("/templates/{template_id:str}/delete")
    async def delete_template(self, request: Req, template_id: FromPath[str]) -> Response[Any]:
        db = services(request).db
        if not await db.write(lambda tx: workbench_store.delete_template(tx, template_id)):
            raise NotFoundException(detail="template: no such reply template")
        return Redirect("/followups/templates", status_code=303)


ROUTES = [WorkbenchViews]
