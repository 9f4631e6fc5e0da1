"""The plugin's API: the themes report, one response's analysis, the dictionary, the
rules on words and the re-index (docs/api.md, "Comment themes and sentiment")."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter

from surveyor.auth.guards import api_scope
from surveyor.metrics.export import neutralise
from surveyor.metrics.filters import parse_bucket, parse_scope, scope_echo
from surveyor.services import services
from surveyor.web.errors import invalid
from surveyor_text import jobs, store
from surveyor_text.models import DictionaryIn, RulesIn
from surveyor_text.themes import themes_report


def theme_payload(themes: list[Any]) -> list[dict[str, Any]]:
    return [{"name": t.name, "en": list(t.en), "zh": list(t.zh)} for t in themes]


@get("/api/v1/themes", guards=[api_scope("read")], tags=["text"], cache=False)
async def themes_api(
    request: Request[Any, Any, Any],
    survey: Annotated[str | None, QueryParameter(name="survey")] = None,
    checkpoint: Annotated[str | None, QueryParameter(name="checkpoint")] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    segment: Annotated[str | None, QueryParameter(name="segment")] = None,
    bucket: Annotated[str | None, QueryParameter(name="bucket")] = None,
    top: Annotated[int, QueryParameter(name="top", ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The top themes of the comments in scope (the metrics' filters): count, share,
    sentiment, NPS and mean score of the respondents who mention each theme against
    those who do not (95 % intervals, difference with p-value), and the share per
    ``bucket`` (week or month)."""
    scope = parse_scope(
        survey=survey, checkpoint=checkpoint, start=date_from, end=date_to, segment=segment
    )
    size = parse_bucket(bucket) or ("week" if (scope.end - scope.start).days <= 190 else "month")
    report = await themes_report(services(request).db, scope, size, top=top)
    return {**report, **scope_echo(scope)}


EXPORT_COLUMNS = (
    "response_id",
    "completed_at",
    "survey_id",
    "checkpoint_key",
    "nps",
    "language",
    "sentiment_score",
    "sentiment_label",
    "themes",
    "key_phrases",
)


@get("/api/v1/text/export", guards=[api_scope("read")], tags=["text"], cache=False)
async def export_api(
    request: Request[Any, Any, Any],
    fmt: Annotated[str | None, QueryParameter(name="format")] = None,
    survey: Annotated[str | None, QueryParameter(name="survey")] = None,
    checkpoint: Annotated[str | None, QueryParameter(name="checkpoint")] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    segment: Annotated[str | None, QueryParameter(name="segment")] = None,
) -> Response[Any]:
    """Sentiment and themes of every analysed response in scope (the metrics' filters;
    everything since the beginning without ``from``), as CSV (themes joined by ``;``) or
    JSON; join it with ``/api/v1/export`` on ``response_id``."""
    if fmt not in (None, "", "csv", "json"):
        raise invalid("format", "expected 'csv' or 'json'")
    scope = parse_scope(
        survey=survey,
        checkpoint=checkpoint,
        start=date_from,
        end=date_to,
        segment=segment,
        default_days=None,
        max_days=None,
    )
    rows = []
    for row in await store.export_rows(services(request).db, scope):
        item = dict(row)
        item["themes"] = msgspec.json.decode(item["themes"])
        item["key_phrases"] = msgspec.json.decode(item["key_phrases"])
        rows.append(item)
    if fmt == "json":
        return Response({"items": rows, **scope_echo(scope)}, media_type=MediaType.JSON)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for item in rows:
        item["themes"] = ";".join(item["themes"])
        item["key_phrases"] = ";".join(item["key_phrases"])
        writer.writerow([neutralise(item[c]) for c in EXPORT_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="comment-themes.csv"'},
    )


class TextApi(Controller):
    path = "/api/v1/text"
    tags = ["text"]

    @get("/responses/{response_id:str}", guards=[api_scope("read")], cache=False)
    async def analysis(
        self, request: Request[Any, Any, Any], response_id: FromPath[str]
    ) -> dict[str, Any]:
        """One response's comment analysis (404 until it has landed)."""
        found = await store.get_analysis(services(request).db, response_id)
        if found is None:
            raise NotFoundException(detail="response_id: no analysis for this response")
        return {"response_id": response_id, "comment": found.comment, **found.public()}

    @get("/dictionary", guards=[api_scope("read")], cache=False)
    async def get_dictionary(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        db = services(request).db
        return {
            "version": await store.dictionary_version(db),
            "themes": theme_payload(await store.themes_or_default(db)),
        }

    @put("/dictionary", guards=[api_scope("admin")])
    async def put_dictionary(
        self, request: Request[Any, Any, Any], data: JSONBody[DictionaryIn]
    ) -> dict[str, Any]:
        """Replace the theme dictionary; old analyses become stale (see ``reindex``)."""
        db = services(request).db
        version = await db.write(lambda tx: store.save_themes(tx, list(data.themes)))
        return {"version": version, "themes": theme_payload(await store.themes_or_default(db))}

    @get("/rules", guards=[api_scope("read")], cache=False)
    async def get_rules(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        rules = await store.list_rules(services(request).db)
        return {"rules": msgspec.to_builtins(rules)}

    @put("/rules", guards=[api_scope("admin")])
    async def put_rules(
        self, request: Request[Any, Any, Any], data: JSONBody[RulesIn]
    ) -> dict[str, Any]:
        """Replace the rules on words (evaluated, in order, when an analysis lands)."""
        db = services(request).db
        for index, rule in enumerate(data.rules):
            if (
                rule.assignee_email
                and await store.staff_id_by_email(db, rule.assignee_email) is None
            ):
                raise invalid(
                    f"rules[{index}].assignee_email", "no enabled staff member has this email"
                )
        saved = await db.write(lambda tx: store.replace_rules(tx, list(data.rules)))
        return {"rules": msgspec.to_builtins(saved)}

    @post("/reindex", guards=[api_scope("admin")], status_code=202)
    async def reindex(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Read every comment analysed with an older dictionary again, in the background."""
        svc = services(request)
        total = await jobs.start_reindex(svc)
        return {"queued": total, **(await jobs.reindex_progress(svc.db))}

    @get("/reindex", guards=[api_scope("read")], cache=False)
    async def progress(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return await jobs.reindex_progress(services(request).db)


ROUTES = (themes_api, export_api, TextApi)
