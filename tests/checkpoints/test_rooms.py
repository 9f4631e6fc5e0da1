"""Rooms keep their contents (checkpoints, invitations, delivery): SQL only in stores,
HTTP exceptions only in the handlers that translate domain errors."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from surveyor.checkpoints.events import EventRejected, check_contact
from surveyor.checkpoints.models import ContactIn, EventIn

ROOT = Path(__file__).resolve().parents[2] / "surveyor"
PACKAGES = ("checkpoints", "invitations", "delivery")
HANDLERS = {"api.py", "views.py", "events_api.py", "plugin.py"}
# The demo seeders move to surveyor/demo/ on their own; they are not domain code.
SKIP = {"demo.py"}
# A room's store may be split along its seam: the reporting reads live beside the writes.
STORE_MODULES = {"store.py", "reads.py"}
SQL = re.compile(r"\.(?:fetch_one|fetch_all|fetch_val|execute|execute_many)\(")


def _modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        found += [p for p in sorted((ROOT / package).rglob("*.py")) if p.name not in SKIP]
    return found


def test_sql_is_only_in_the_stores() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if not (path.name in STORE_MODULES or path.parent.name == "store")
        and SQL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_only_handlers_use_litestar() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if path.name not in HANDLERS
        and not path.name.endswith("_views.py")
        and "litestar" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"id": "c1", "locale": "qq"}, "contact.locale"),
        ({"id": "c1", "timezone": "Mars/Olympus"}, "contact.timezone"),
    ],
)
def test_a_bad_contact_field_is_a_domain_error_naming_it(contact, field) -> None:
    data = EventIn(checkpoint="order_delivered", contact=msgspec.convert(contact, ContactIn))
    with pytest.raises(EventRejected) as raised:
        check_contact(data)
    assert raised.value.field == field
