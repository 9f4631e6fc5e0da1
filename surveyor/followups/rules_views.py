"""Editing follow-up rules in the UI: one form per rule, scoped to a survey and/or a
checkpoint. Managers read the rules; admins change them. The form is a few text fields
a person can type (``nps 0-3 high`` per line) turned into the same validated
:class:`FollowupRule` the engine evaluates, so a rule that saves is a rule that runs."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import staff
from surveyor.followups import context_store, rules_store
from surveyor.followups.models import DEFAULT_RULE, PRIORITIES, FollowupRule
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

Req = Request[Any, Any, Any]
BAND = re.compile(
    r"^\s*(nps|ces|csat|emotion)\s+(\d+)\s*[-–]\s*(\d+)\s+(low|normal|high|urgent)\s*$"
)
BOOST = re.compile(r"^\s*([\w.-]+)\s*=\s*([^:]+?)\s*(?::\s*(\d))?\s*$")


def rule_to_form(rule: FollowupRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "survey_id": rule.survey_id or "",
        "checkpoint_key": rule.checkpoint_id or "",
        "active": rule.active,
        "bands": "\n".join(f"{b.metric} {b.low}-{b.high} {b.priority}" for b in rule.bands),
        "keywords": ", ".join(rule.keywords),
        "keyword_priority": rule.keyword_priority,
        "boosts": "\n".join(
            f"{b.attribute} = {'|'.join(b.values)}:{b.levels}" for b in rule.boosts
        ),
        **{f"sla_{p}": rule.sla_hours.for_priority(p) for p in PRIORITIES},
        "business_hours": rule.calendar is not None,
        "timezone": rule.calendar.timezone if rule.calendar else "UTC",
        "opens": rule.calendar.opens if rule.calendar else "09:00",
        "closes": rule.calendar.closes if rule.calendar else "17:00",
        "recovery_survey": rule.recovery_survey,
    }


def rule_from_form(form: dict[str, Any], rule_id: str = "") -> FollowupRule:
    """Raises ValueError naming the field (msgspec's validation errors are ValueErrors)."""
    bands = []
    for n, line in enumerate(str(form.get("bands", "")).splitlines(), 1):
        if not line.strip():
            continue
        match = BAND.match(line.lower())
        if not match:
            raise ValueError(f"bands: line {n}: write e.g. “nps 0-6 normal”")
        metric, low, high, priority = match.groups()
        bands.append({"metric": metric, "low": int(low), "high": int(high), "priority": priority})
    boosts = []
    for n, line in enumerate(str(form.get("boosts", "")).splitlines(), 1):
        if not line.strip():
            continue
        match = BOOST.match(line)
        if not match:
            raise ValueError(f"boosts: line {n}: write e.g. “tier = vip:1”")
        attribute, values, levels = match.groups()
        boosts.append(
            {
                "attribute": attribute,
                "values": [v.strip() for v in values.split("|") if v.strip()],
                "levels": int(levels or 1),
            }
        )
    data: dict[str, Any] = {
        "id": rule_id,
        "name": str(form.get("name", "")).strip()[:200],
        "active": form.get("active") in ("on", "true", "1"),
        "survey_id": str(form.get("survey_id", "")).strip() or None,
        "checkpoint_id": str(form.get("checkpoint_key", "")).strip() or None,
        "bands": bands,
        "keywords": [k.strip() for k in str(form.get("keywords", "")).split(",") if k.strip()],
        "keyword_priority": form.get("keyword_priority") or "normal",
        "boosts": boosts,
        "sla_hours": {
            p: form.get(f"sla_{p}") or DEFAULT_RULE.sla_hours.for_priority(p) for p in PRIORITIES
        },
        "recovery_survey": form.get("recovery_survey") in ("on", "true", "1"),
    }
    if form.get("business_hours") in ("on", "true", "1"):
        data["calendar"] = {
            "timezone": str(form.get("timezone") or "UTC").strip(),
            "opens": str(form.get("opens") or "09:00").strip(),
            "closes": str(form.get("closes") or "17:00").strip(),
        }
    try:
        return msgspec.convert(data, FollowupRule, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(form_errors(exc)) from None


class RuleViews(Controller):
    path = "/followups/rules"
    include_in_schema = False

    async def _scopes(self, request: Req) -> dict[str, Any]:
        db = services(request).db
        return {
            "surveys": await context_store.survey_choices(db),
            "checkpoints": await context_store.checkpoint_choices(db),
            "priorities": PRIORITIES,
        }

    @get("/", guards=[staff("manager")])
    async def rules(self, request: Req) -> Response[str]:
        rules = await rules_store.list_rules(services(request).db)
        return await render(
            request,
            "followups/rules.html",
            {"rules": rules, "default_rule": DEFAULT_RULE, **await self._scopes(request)},
        )

    async def _form(
        self, request: Req, rule_id: str, values: dict[str, Any], error: str = ""
    ) -> Response[str]:
        return await render(
            request,
            "followups/rule_form.html",
            {"rule_id": rule_id, "v": values, "error": error, **await self._scopes(request)},
            status_code=422 if error else 200,
        )

    @get("/new", guards=[staff("admin")])
    async def new_rule(self, request: Req) -> Response[str]:
        return await self._form(request, "", rule_to_form(FollowupRule(name="")))

    @get("/{rule_id:str}", guards=[staff("admin")])
    async def edit_rule(self, request: Req, rule_id: FromPath[str]) -> Response[str]:
        rule = await rules_store.get_rule(services(request).db, rule_id)
        if rule is None:
            raise NotFoundException(detail="no such rule")
        return await self._form(request, rule_id, rule_to_form(rule))

    @post("/", guards=[staff("admin")])
    async def create_rule(self, request: Req) -> Response[Any]:
        return await self._save(request, "")

    @post("/{rule_id:str}", guards=[staff("admin")])
    async def update_rule(self, request: Req, rule_id: FromPath[str]) -> Response[Any]:
        if await rules_store.get_rule(services(request).db, rule_id) is None:
            raise NotFoundException(detail="no such rule")
        return await self._save(request, rule_id)

    @post("/{rule_id:str}/delete", guards=[staff("admin")])
    async def delete_rule(self, request: Req, rule_id: FromPath[str]) -> Redirect:
        await services(request).db.write(lambda tx: rules_store.delete_rule(tx, rule_id))
        return Redirect("/followups/rules", status_code=303)

    async def _save(self, request: Req, rule_id: str) -> Response[Any]:
        form = await read_form(request)
        try:
            rule = rule_from_form(form, rule_id)
        except ValueError as exc:
            values = {
                **form,
                "active": form.get("active") in ("on", "true", "1"),
                "business_hours": form.get("business_hours") in ("on", "true", "1"),
                "recovery_survey": form.get("recovery_survey") in ("on", "true", "1"),
            }
            for key, default in rule_to_form(FollowupRule()).items():
                values.setdefault(key, default)
            return await self._form(request, rule_id, values, error=str(exc))
        await services(request).db.write(lambda tx: rules_store.save_rule(tx, rule))
        return Redirect("/followups/rules", status_code=303)


ROUTES = [RuleViews]
