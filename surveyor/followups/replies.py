"""Replies to the customer: reply templates and the placeholders they may use.

A template's subject and body are written by managers and rendered in Jinja's
``ImmutableSandboxedEnvironment`` with only the case's placeholders in reach. Only
output expressions, a few filters and ``{% if %}`` are allowed (no loops, no macros,
no includes), so a template cannot run long or reach anything but its context. A
placeholder the context does not have is an error that names the field and the
placeholder, raised when a template is saved and again when a reply is sent.
Pure code: no I/O.
"""

from __future__ import annotations

from typing import Any, NoReturn

import jinja2
import msgspec
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_NAME = 80
MAX_SUBJECT = 200
MAX_BODY = 20_000
# Filters a reply may use; anything else is refused like an unknown placeholder.
FILTERS = frozenset({"default", "upper", "lower", "title", "capitalize", "trim", "round", "int"})
ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
    nodes.Filter,
)
# What the template page lists for managers (the names are the contract).
PLACEHOLDERS: tuple[tuple[str, str], ...] = (
    ("contact.name", "the customer's name"),
    ("contact.first_name", "the first word of their name"),
    ("contact.email", "their email address"),
    ("contact.external_id", "their id in your product"),
    ("contact.account", "their account (attribute account or company)"),
    ("contact.attributes.<name>", "any attribute of the contact (empty when missing)"),
    ("survey", "the survey's name"),
    ("checkpoint", "the journey checkpoint"),
    ("score", "the score they gave"),
    ("comment", "what they wrote"),
    ("case.priority", "the case's priority"),
    ("agent.name", "your name"),
    ("agent.email", "your email"),
    ("brand", "the workspace's name"),
)


class ReplyError(Exception):
    """A template or reply that cannot be used; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownPlaceholder(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Strict(jinja2.StrictUndefined):
    """Any use of a missing placeholder raises with its name (not Jinja's wording)."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise UnknownPlaceholder(str(self._undefined_name or "?"))

    __str__ = __iter__ = __len__ = __bool__ = __eq__ = __ne__ = _fail_with_undefined_error  # type: ignore[assignment]
    __hash__ = jinja2.StrictUndefined.__hash__


class _Attributes(dict):  # type: ignore[type-arg]
    """A contact's attributes: a missing one is empty, never an error (contacts differ)."""

    def __missing__(self, key: str) -> str:
        return ""


class ReplyContact(msgspec.Struct, frozen=True, kw_only=True):
    name: str = ""
    first_name: str = ""
    email: str = ""
    external_id: str = ""
    account: str = ""
    attributes: dict[str, Any] = {}


class ReplyPerson(msgspec.Struct, frozen=True, kw_only=True):
    name: str = ""
    email: str = ""


class ReplyCase(msgspec.Struct, frozen=True, kw_only=True):
    id: str = ""
    priority: str = ""


class ReplyContext(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a reply template can say about a case."""

    contact: ReplyContact = ReplyContact()
    survey: str = ""
    checkpoint: str = ""
    score: str = ""
    comment: str = ""
    case: ReplyCase = ReplyCase()
    agent: ReplyPerson = ReplyPerson()
    brand: str = ""

    def variables(self) -> dict[str, Any]:
        contact = msgspec.structs.replace(
            self.contact, attributes=_Attributes(self.contact.attributes)
        )
        return {
            "contact": contact,
            "survey": self.survey,
            "checkpoint": self.checkpoint,
            "score": self.score,
            "comment": self.comment,
            "case": self.case,
            "agent": self.agent,
            "brand": self.brand,
        }


SAMPLE = ReplyContext(
    contact=ReplyContact(
        name="Ada Lovelace", first_name="Ada", email="ada@example.com", external_id="c-1"
    ),
    survey="NPS",
    checkpoint="order_delivered",
    score="3",
    comment="…",
    case=ReplyCase(id="case", priority="high"),
    agent=ReplyPerson(name="Mia", email="mia@example.com"),
    brand="Surveyor",
)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus: attributes of our own structs only (no dunder walks at all)."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, msgspec.Struct):
            return attr in obj.__struct_fields__
        return super().is_safe_attribute(obj, attr, value)


ENV = _Sandbox(undefined=_Strict, autoescape=False, keep_trailing_newline=True)


def _check_nodes(tree: nodes.Node, field: str) -> None:
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise ReplyError(
                field, "only placeholders like {{ contact.name }} and {% if %} are allowed"
            )
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise ReplyError(field, f"the filter {node.name!r} is not available")


def compile_text(source: str, field: str, *, limit: int) -> jinja2.Template:
    """Parse one field; a syntax error or a forbidden construct names the field."""
    if len(source) > limit:
        raise ReplyError(field, f"at most {limit} characters")
    try:
        tree = ENV.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ReplyError(field, f"line {exc.lineno}: {exc.message}") from None
    _check_nodes(tree, field)
    return ENV.from_string(tree)


def render_text(source: str, field: str, context: ReplyContext, *, limit: int) -> str:
    """Render one field with ``context``; an unknown placeholder names the field and it."""
    template = compile_text(source, field, limit=limit)
    try:
        out = template.render(context.variables())
    except UnknownPlaceholder as exc:
        raise ReplyError(field, f"unknown placeholder {{{{ {exc.name} }}}}") from None
    except jinja2.TemplateError as exc:
        raise ReplyError(field, str(exc)) from None
    if len(out) > limit:
        raise ReplyError(field, f"at most {limit} characters once filled in")
    return out


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    body: str


def render_reply(subject: str, body: str, context: ReplyContext) -> Reply:
    """Subject (one line) and plain-text body, both checked and filled in."""
    subject_out = " ".join(render_text(subject, "subject", context, limit=MAX_SUBJECT).split())
    if not subject_out:
        raise ReplyError("subject", "write a subject")
    body_out = render_text(body, "body", context, limit=MAX_BODY).strip()
    if not body_out:
        raise ReplyError("body", "write a message")
    return Reply(subject=subject_out, body=body_out)


def check_template(name: str, subject: str, body: str) -> None:
    """A template managers save: a name, and both fields render with the sample case."""
    if not name.strip():
        raise ReplyError("name", "give the template a name")
    if len(name) > MAX_NAME:
        raise ReplyError("name", f"at most {MAX_NAME} characters")
    render_reply(subject, body, SAMPLE)
