"""A test plugin: a ``matrix`` question kind (several rows, one scale), without a core edit.

It proves the question-kind contract is complete: the kind reads one form field per row,
stores a dict ``{row: number}``, checks its ``config`` (``rows``, ``max``), brings its
respondent template and its designer fields, and prints its answers for exports, webhooks
and case pages. Load it as a single-file plugin (``SURVEYOR_PLUGINS_DIR`` = this folder)
or register the module with ``make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(matrix_kind,))``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveyor import hookimpl
from surveyor.surveys.kinds import (
    ALWAYS_OPS,
    AnswerError,
    EditorField,
    QuestionKind,
    as_int,
    read_rows,
)
from surveyor.surveys.models import Question

HERE = Path(__file__).resolve().parent
DEFAULT_MAX = 5


def rows_of(question: Question) -> list[str]:
    rows = question.config.get("rows")
    return [str(row) for row in rows] if isinstance(rows, list) else []


def top_of(question: Question) -> int:
    top = question.config.get("max", DEFAULT_MAX)
    return top if isinstance(top, int) and not isinstance(top, bool) else DEFAULT_MAX


def check_matrix(question: Question, raw: Any) -> dict[str, int]:
    """Every row answered with a number from 1 to ``max``; stored in row order."""
    rows = rows_of(question)
    if not isinstance(raw, dict) or any(key not in rows for key in raw):
        raise AnswerError("Choose a number for each row.")
    top = top_of(question)
    answer: dict[str, int] = {}
    for row in rows:
        if row not in raw:
            raise AnswerError(f"Choose a number for “{row}”.")
        value = as_int(raw[row])
        if not 1 <= value <= top:
            raise AnswerError(f"Choose a number from 1 to {top}.")
        answer[row] = value
    return answer


def validate_matrix(question: Question) -> list[tuple[str, str]]:
    problems = []
    rows = question.config.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, str) and r for r in rows):
        problems.append(("config.rows", "a matrix needs at least one row"))
    elif len(set(rows)) != len(rows):
        problems.append(("config.rows", "a row is listed twice"))
    top = question.config.get("max", DEFAULT_MAX)
    if isinstance(top, bool) or not isinstance(top, int) or not 2 <= top <= 10:
        problems.append(("config.max", "a matrix scale has from 2 to 10 points"))
    return problems


def matrix_text(question: Question, value: Any, locale: str) -> str:
    """``Speed: 4; Price: 2``."""
    if not isinstance(value, dict):
        return str(value)
    order = [row for row in rows_of(question) if row in value]
    order += [row for row in value if row not in order]
    return "; ".join(f"{row}: {value[row]}" for row in order)


MATRIX = QuestionKind(
    name="matrix",
    label="Matrix (rows × scale)",
    check=check_matrix,
    validate=validate_matrix,
    read=read_rows(rows_of),
    template="matrix/_question_matrix.html",
    editor=(
        EditorField("config.rows", "Rows, one per line", "lines"),
        EditorField(
            "config.max", "Points on the scale", "number", minimum=2, maximum=10, default=5
        ),
    ),
    text=matrix_text,
    operators=ALWAYS_OPS,
    default_text={"en": "How would you rate each of these?"},
    default_config={"rows": ["Speed", "Price"], "max": DEFAULT_MAX},
)


@hookimpl
def register_question_kinds(register: Any) -> None:
    register(MATRIX)


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(HERE / "templates")
