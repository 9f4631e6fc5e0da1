"""The question-kind contract and registry: everything a kind of question brings.

A :class:`QuestionKind` says, for its questions, how the answer is read from a form
(:attr:`~QuestionKind.read`: one field, several, or a structured answer), how it is
checked (:attr:`~QuestionKind.check`, raising :class:`AnswerError`), how the kind's
settings in a definition are checked (:attr:`~QuestionKind.validate`), which respondent
template renders it (:attr:`~QuestionKind.template`), which fields the designer shows to
edit it (:attr:`~QuestionKind.editor`, a list of :class:`EditorField`), how an answer
prints as text for exports, webhooks and case pages (:meth:`~QuestionKind.answer_text`),
which metric it feeds (:attr:`~QuestionKind.metric`), which comparisons display logic may
make on it (:attr:`~QuestionKind.operators`) and whether its answers are free-text
comments (:attr:`~QuestionKind.comment`). Nothing outside a kind switches on its name.

Every kind, the built-in ones included, is registered through the
``register_question_kinds(register)`` hook with ``register(QuestionKind(...))``; the
built-ins come from :func:`builtin_kinds` (in :mod:`surveyor.surveys.builtin_kinds`,
re-exported here), registered by the surveys domain's plugin.
:func:`question_kinds` builds the registry of an app once and keeps it in
``services.question_kinds``. :data:`DEFAULT_KINDS` holds the built-ins alone, for pure
code and tests without an app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from surveyor.surveys.models import Question, Text

# Operators of display logic that fit each family of question.
NUMERIC_OPS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in"})
CHOICE_OPS = frozenset({"eq", "ne", "in", "not_in", "contains"})
TEXT_OPS = frozenset({"eq", "ne", "contains"})
ALWAYS_OPS = frozenset({"answered", "not_answered"})


class AnswerError(ValueError):
    """An answer that does not fit its question; the message is shown to the respondent."""


Check = Callable[[Question, Any], Any]
Validate = Callable[[Question], list[tuple[str, str]]]
Read = Callable[[Question, Mapping[str, Any], str], Any]
Format = Callable[[Question, Any, str], str]
Bounds = Callable[[Question], "tuple[int, int] | None"]
Domain = Callable[[Question], "list[Any] | None"]


def _no_problems(_: Question) -> list[tuple[str, str]]:
    return []


# -- reading the form ----------------------------------------------------------------


def read_one(_: Question, form: Mapping[str, Any], name: str) -> Any:
    """One form field ``name``; a repeated field where one value is expected is refused."""
    raw = form.get(name)
    if isinstance(raw, list):
        raise AnswerError("Choose one answer.")  # a crafted request
    return raw


def read_many(_: Question, form: Mapping[str, Any], name: str) -> Any:
    """One form field that may repeat (checkboxes): a string or a list of strings."""
    return form.get(name)


def read_rows(rows: Callable[[Question], list[str]]) -> Read:
    """A structured answer from one field per row, ``<name>.<row index>``: a dict
    ``{row: value}`` of the rows answered (None when none is)."""

    def read(question: Question, form: Mapping[str, Any], name: str) -> Any:
        found: dict[str, Any] = {}
        for index, row in enumerate(rows(question)):
            raw = form.get(f"{name}.{index}")
            if isinstance(raw, list):
                raise AnswerError("Choose one answer per row.")
            if raw is not None and str(raw).strip():
                found[row] = raw
        return found or None

    return read


# -- the designer's fields -------------------------------------------------------------

FieldType = Literal["text", "lines", "number", "checkbox", "options"]


@dataclass(frozen=True)
class EditorField:
    """One input of the designer's question editor, rendered generically.

    ``name`` is a question attribute (``low_label``, ``scale_max``…) or ``config.<key>``
    for a key of the question's ``config``. ``type`` says how it is shown and stored:

    - ``text``: one line; a translated text in the default locale for a question
      attribute, a plain string in ``config``;
    - ``lines``: a textarea, one item per line, stored as a list of strings;
    - ``number``: a whole number (``minimum``/``maximum`` bound the input), None if empty;
    - ``checkbox``: True when ticked, removed when not;
    - ``options``: the choice list (``options``), one label per line, ids kept by position.
    """

    name: str
    label: str
    type: FieldType = "text"
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None  # shown when the question has no value yet

    @property
    def config_key(self) -> str | None:
        return self.name.removeprefix("config.") if self.name.startswith("config.") else None

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    def current(self, question: Question, locale: str) -> Any:
        """The value the editor shows (text in ``locale``, lines joined)."""
        key = self.config_key
        value = question.config.get(key) if key else getattr(question, self.name, None)
        if self.type == "options":
            return "".join(o.label.get(locale, "") + "\n" for o in question.options)
        if self.type == "lines":
            return "\n".join(str(v) for v in value or [])
        if self.type == "text" and isinstance(value, dict):
            return value.get(locale, "")
        if value is None or value == {}:
            return "" if self.default is None else self.default
        return value


# -- the contract ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionKind:
    """A kind of question. Only ``name``, ``label`` and ``check`` are required.

    - ``read(question, form, name)``: the raw answer from a posted form whose fields are
      strings or lists of strings (``name`` is the question's field, ``q_<id>``). Default
      :func:`read_one`; :func:`read_many` for checkboxes; :func:`read_rows` for one field
      per row. May raise :class:`AnswerError`.
    - ``check(question, raw)``: the answer to store (JSON-able), or raise
      :class:`AnswerError`. ``raw`` is what ``read`` gave or what an API client sent.
    - ``validate(question)``: problems of the question in a definition, as
      ``[(path relative to the question, message)]``, e.g. ``("config.rows", "...")``.
    - ``template``: the respondent fragment (default ``respond/_question_<name>.html``);
      it gets ``q`` (:class:`surveyor.surveys.questionview.QuestionView`).
    - ``editor``: the designer's fields for the kind's settings (:class:`EditorField`).
    - ``text(question, value, locale)``: an answer as people read it (exports, webhooks,
      case pages); default :func:`default_text` (option labels, lists joined with "; ").
    - ``metric``: the key score column its first shown answer fills (``nps``, ``ces``,
      ``csat``, ``emotion``) or None.
    - ``scale`` / ``bounds(question)``: the whole-number range of a numeric answer (fixed,
      or per question), which makes display logic numeric and ``?score=N`` preselect it.
    - ``operators``: display-logic operators allowed on its answers (None: any).
    - ``domain(question)``: every distinct answer, when few (reachability checks).
    - ``comment``: its answers are free-text comments (case pages, keyword rules).
    """

    name: str
    label: str  # for the designer's kind picker
    check: Check
    template: str = ""  # respondent template; defaults to respond/_question_<name>.html
    metric: str | None = None
    scale: tuple[int, int] | None = None  # fixed numeric range, when the kind has one
    bounds: Bounds | None = None  # numeric range that depends on the question
    has_options: bool = False
    validate: Validate = _no_problems
    read: Read = read_one
    editor: tuple[EditorField, ...] = ()
    text: Format | None = None
    operators: frozenset[str] | None = None
    domain: Domain | None = None
    comment: bool = False
    default_text: Text = field(default_factory=dict)
    default_config: dict[str, Any] = field(default_factory=dict)

    @property
    def template_name(self) -> str:
        return self.template or f"respond/_question_{self.name}.html"

    def numeric_range(self, question: Question) -> tuple[int, int] | None:
        """The whole-number range of this question's answers, if they are numbers."""
        if self.bounds is not None:
            return self.bounds(question)
        return self.scale

    def score(self, value: Any) -> float | None:
        """The number this answer adds to its metric (None when it feeds none)."""
        if self.metric is None or isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def answer_text(self, question: Question, value: Any, locale: str) -> str:
        """An answer as a person reads it, in ``locale`` (the definition's default)."""
        if value is None:
            return ""
        return (self.text or default_text)(question, value, locale)

    def possible_answers(self, question: Question) -> list[Any] | None:
        """Every distinct answer, or None when there are too many to list."""
        bounds = self.numeric_range(question)
        if bounds is not None:
            return list(range(bounds[0], bounds[1] + 1))
        return self.domain(question) if self.domain is not None else None


def label_of(text: Text, locale: str) -> str:
    return text.get(locale) or next(iter(text.values()), "")


def default_text(question: Question, value: Any, locale: str) -> str:
    """Option labels for choices, lists joined with "; ", JSON for anything structured."""
    options = {o.id: label_of(o.label, locale) or o.id for o in question.options}
    if isinstance(value, list):
        return "; ".join(options.get(str(v), str(v)) for v in value)
    if options and isinstance(value, str):
        return options.get(value, value)
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


# -- answer checks ---------------------------------------------------------------


def as_int(raw: Any) -> int:
    """Accept 7, "7", " 7 " (form posts are text); refuse 7.5, True and garbage."""
    if isinstance(raw, bool):
        raise AnswerError("Choose a number.")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and len(raw.strip()) < 6:
        return int(raw.strip())
    raise AnswerError("Choose a number.")


class KindRegistry(Mapping[str, QuestionKind]):
    """Kinds by name, in registration order; a name may be registered once only (so a
    plugin cannot replace a built-in)."""

    def __init__(self, kinds: list[QuestionKind] | None = None) -> None:
        self._kinds: dict[str, QuestionKind] = {}
        for kind in kinds or []:
            self.add(kind)

    def add(self, kind: QuestionKind) -> None:
        if not isinstance(kind, QuestionKind):
            raise TypeError(f"register_question_kinds: expected a QuestionKind, got {kind!r}")
        if kind.name in self._kinds:
            raise ValueError(f"question kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind

    def __getitem__(self, name: str) -> QuestionKind:
        return self._kinds[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def answer_text(self, question: Question, value: Any, locale: str) -> str:
        """An answer as people read it; an unknown kind prints like :func:`default_text`."""
        kind = self.get(question.kind)
        if kind is not None:
            return kind.answer_text(question, value, locale)
        return "" if value is None else default_text(question, value, locale)


def question_kinds(svc: Any) -> KindRegistry:
    """The app's registry (every kind registered through ``register_question_kinds``),
    made once per app."""
    found = svc.question_kinds
    if found is None:
        from surveyor.plugins import collect
        from surveyor.surveys.builtin_kinds import DEFAULT_KINDS

        kinds = collect(svc.pm.hook.register_question_kinds)
        builtin = {id(kind) for kind in DEFAULT_KINDS.values()}
        # Built-ins first (the designer's picker lists them first), then plugins' kinds.
        ordered = sorted(kinds, key=lambda kind: id(kind) not in builtin)
        found = svc.question_kinds = KindRegistry(ordered)
    return found


def __getattr__(name: str) -> Any:
    """The built-ins (:func:`builtin_kinds`, :data:`DEFAULT_KINDS`) live in
    :mod:`surveyor.surveys.builtin_kinds`, which imports this module; they are re-exported
    here lazily so the import stays one-way."""
    if name in ("DEFAULT_KINDS", "builtin_kinds"):
        from surveyor.surveys import builtin_kinds

        return getattr(builtin_kinds, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
