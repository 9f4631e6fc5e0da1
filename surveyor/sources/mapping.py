"""Mapping without code: JMESPath expressions from a provider's payload to an event.

Pure code. Expressions are written by admins and run on payloads from the internet,
so both are bounded: an expression is at most ``MAX_EXPRESSION`` characters, an
evaluation may visit at most ``MAX_STEPS`` nodes (a projection that doubles a list
at each step stops there instead of eating the memory), strings built by
``to_string``/``join`` stay under ``MAX_RESULT_BYTES``, and so does every result. Any
failure becomes a :class:`MappingError` naming the field and its expression.
"""

from __future__ import annotations

import json
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.functions
import jmespath.visitor
import msgspec

MAX_EXPRESSION = 500
MAX_STEPS = 20_000
MAX_RESULT_BYTES = 64 * 1024

Expression = msgspec.Meta(max_length=MAX_EXPRESSION)


class Mapping(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One expression per field; an empty string means "not mapped"."""

    contact_id: str
    email: str = ""
    phone: str = ""
    name: str = ""
    locale: str = ""
    timezone: str = ""
    attributes: str = ""
    properties: str = ""
    # Fires this checkpoint key instead of the source's own (one source, several events).
    checkpoint: str = ""
    # When set, the payload fires only if this is truthy (JMESPath truthiness).
    filter: str = ""
    # Default: the provider's event id (see ``presets``).
    idempotency_key: str = ""

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__struct_fields__}


class MappingError(ValueError):
    """A mapping expression failed or gave a value of the wrong type."""

    def __init__(self, field: str, expression: str, message: str) -> None:
        super().__init__(f"{field}: {message} (expression: {expression})")
        self.field = field
        self.expression = expression
        self.message = message


class _TooBig(Exception):
    pass


def bounded_size(value: Any, budget: int = MAX_RESULT_BYTES) -> int:
    """An upper-ish estimate of ``value``'s JSON size that stops at ``budget``: walking
    a huge result costs at most ``budget`` steps. Raises :class:`_TooBig` beyond it."""
    size = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, dict):
            size += 2
            for key, inner in item.items():
                size += len(str(key)) + 4
                stack.append(inner)
        elif isinstance(item, list):
            size += 2 + len(item)
            stack.extend(item)
        else:
            size += 8
        if size > budget:
            raise _TooBig
    return size


class _BoundedFunctions(jmespath.functions.Functions):
    """The string-building functions refuse to build more than the budget."""

    @jmespath.functions.signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        if isinstance(arg, str):
            return arg
        bounded_size(arg)
        return json.dumps(arg, separators=(",", ":"), default=str)

    @jmespath.functions.signature({"types": ["string"]}, {"types": ["array-string"]})
    def _func_join(self, separator: str, array: list[str]) -> str:
        if sum(len(item) for item in array) + len(separator) * len(array) > MAX_RESULT_BYTES:
            raise _TooBig
        return separator.join(array)


_OPTIONS = jmespath.Options(custom_functions=_BoundedFunctions())


class _BoundedInterpreter(jmespath.visitor.TreeInterpreter):
    def __init__(self) -> None:
        super().__init__(_OPTIONS)
        self.steps = 0

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooBig
        return super().visit(node, *args, **kwargs)


def compile_expression(field: str, expression: str) -> Any:
    if len(expression) > MAX_EXPRESSION:
        raise MappingError(field, expression[:40] + "…", f"longer than {MAX_EXPRESSION} characters")
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise MappingError(field, expression, f"not a valid JMESPath expression ({exc})") from None
    except RecursionError:
        raise MappingError(field, expression, "nested too deeply") from None


def check_mapping(mapping: Mapping) -> None:
    """Every expression compiles; raises :class:`MappingError` naming the first that does not."""
    for field, expression in mapping.fields().items():
        if expression:
            compile_expression(field, expression)


def evaluate(field: str, expression: str, payload: Any) -> Any:
    """One expression over one payload, defensively: any failure is a MappingError."""
    parsed = compile_expression(field, expression)
    try:
        result = _BoundedInterpreter().visit(parsed.parsed, payload)
        bounded_size(result)
    except _TooBig:
        raise MappingError(field, expression, "too much work or too large a result") from None
    except RecursionError:
        raise MappingError(field, expression, "the payload is nested too deeply") from None
    except jmespath.exceptions.JMESPathError as exc:
        raise MappingError(field, expression, str(exc).splitlines()[0]) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise MappingError(field, expression, f"failed ({type(exc).__name__})") from None
    return result


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _text(field: str, expression: str, payload: Any, *, required: bool = False) -> str | None:
    if not expression:
        if required:
            raise MappingError(field, "", "no expression")
        return None
    value = evaluate(field, expression, payload)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        hint = " (wrap it in to_string(...))" if isinstance(value, int | float) else ""
        raise MappingError(field, expression, f"gave {_type_name(value)}, not a string{hint}")
    if required and not value:
        raise MappingError(field, expression, "gave an empty string")
    return value


def _object(field: str, expression: str, payload: Any) -> dict[str, Any]:
    if not expression:
        return {}
    value = evaluate(field, expression, payload)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(field, expression, f"gave {_type_name(value)}, not an object")
    return value


class Mapped(msgspec.Struct, frozen=True, kw_only=True):
    """What a mapping made of one payload; ``fires`` is False when the filter said no."""

    fires: bool
    checkpoint: str | None = None
    contact: dict[str, Any] = msgspec.field(default_factory=dict)
    properties: dict[str, Any] = msgspec.field(default_factory=dict)
    idempotency_key: str | None = None


def apply_mapping(mapping: Mapping, payload: Any, *, default_key: str | None = None) -> Mapped:
    """Run every expression; raises :class:`MappingError` on the first that fails.

    ``default_key`` is the idempotency key used when the mapping has none (the
    provider's delivery or event id)."""
    if mapping.filter and not _truthy(evaluate("filter", mapping.filter, payload)):
        return Mapped(fires=False)
    contact: dict[str, Any] = {
        "id": _text("contact_id", mapping.contact_id, payload, required=True)
    }
    for field in ("email", "phone", "name", "locale", "timezone"):
        value = _text(field, getattr(mapping, field), payload)
        if value is not None:
            contact[field] = value
    attributes = _object("attributes", mapping.attributes, payload)
    if attributes:
        contact["attributes"] = attributes
    key = _text("idempotency_key", mapping.idempotency_key, payload) or default_key
    return Mapped(
        fires=True,
        checkpoint=_text("checkpoint", mapping.checkpoint, payload),
        contact=contact,
        properties=_object("properties", mapping.properties, payload),
        idempotency_key=key,
    )


def _truthy(value: Any) -> bool:
    # JMESPath truthiness: false, null, "" , [] and {} are false; 0 is true.
    return value is not None and value is not False and value not in ("", [], {})
