"""The mapping: JMESPath to an event, defensively evaluated."""

from __future__ import annotations

import pytest

from surveyor.sources.mapping import Mapping as M
from surveyor.sources.mapping import MappingError, apply_mapping, evaluate
from surveyor.sources.presets import DEFAULTS
from surveyor.sources.redact import redact

PAYLOAD = {"customer": {"id": "c1", "n": 7, "tags": ["a"]}, "type": "x"}


def test_a_mapping_makes_contact_properties_and_key() -> None:
    mapped = apply_mapping(
        M(contact_id="customer.id", properties="{type: type}", checkpoint="type"),
        PAYLOAD,
        default_key="evt_1",
    )
    assert mapped.fires and mapped.contact == {"id": "c1"}
    assert mapped.properties == {"type": "x"} and mapped.checkpoint == "x"
    assert mapped.idempotency_key == "evt_1"


def test_the_filter_decides_whether_it_fires() -> None:
    assert not apply_mapping(M(contact_id="customer.id", filter="type == 'y'"), PAYLOAD).fires


@pytest.mark.parametrize(
    "expression,message",
    [
        ("customer.tags", "gave a list"),
        ("customer.n", "gave a number, not a string (wrap it in to_string"),
        ("customer.missing", "gave nothing"),
        ("customer.id ||| x", "not a valid JMESPath"),
        ("a" * 501, "longer than 500"),
    ],
)
def test_a_contact_id_that_is_not_a_string_names_the_expression(expression, message) -> None:
    with pytest.raises(MappingError, match="contact_id") as caught:
        apply_mapping(M(contact_id=expression), PAYLOAD)
    assert message in str(caught.value)


def test_slow_or_huge_expressions_stop_at_the_bound() -> None:
    big = {"a": list(range(30_000))}
    with pytest.raises(MappingError, match="too much work"):
        evaluate("properties", "a[*].to_string(@)", big)
    with pytest.raises(MappingError, match="too much work"):
        evaluate("properties", "to_string([@, @, @, @, @, @, @, @, @, @, @, @])", big)
    doubling = "[" + ",".join(["@"] * 40) + "][][*]." + "[" + ",".join(["@"] * 40) + "][]"
    with pytest.raises(MappingError, match="too much work"):
        evaluate("properties", doubling + "|[*].[@,@,@,@][]|[*].[@,@,@,@][]", [list(range(50))])
    with pytest.raises(MappingError, match="too much work"):
        evaluate("name", "join('', [to_string(@), to_string(@)])", {"a": "x" * 40_000})


@pytest.mark.parametrize("preset", sorted(DEFAULTS))
def test_every_default_mapping_compiles_and_survives_its_own_redaction(preset) -> None:
    defaults = DEFAULTS[preset]
    for field, expression in defaults.mapping.fields().items():
        if expression:
            evaluate(field, expression, {})  # compiles and runs on an empty payload


def test_redaction_keeps_only_allow_listed_paths_in_shape() -> None:
    payload = {"data": {"object": {"customer": "c", "card": "4242"}}, "id": "e"}
    assert redact(payload, ["id", "data.object.customer"]) == {
        "id": "e",
        "data": {"object": {"customer": "c"}},
    }
