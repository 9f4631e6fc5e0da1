"""Dates and numbers in the reader's language and the workspace's time zone (issue 19 §6).

Templates format moments and numbers with the Babel-backed filters of
``surveyor/web/formats.py``; none slices or patches ISO text for display.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from surveyor.web.formats import (
    format_ago,
    format_day,
    format_fixed,
    format_number,
    format_ratio,
    format_when,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(
    [
        *ROOT.glob("templates/**/*.html"),
        *ROOT.glob("plugins/*/**/templates/**/*.html"),
        *ROOT.glob("plugins/*/**/templates/**/*.txt"),
    ]
)
# Machine formats stay ISO: form input values and <time datetime="…">.
MACHINE = re.compile(r"""\b(?:value|datetime|min|max)="[^"]*\"""")
HAND_FORMATTED = re.compile(
    r"""\[:(?:7|10|13|16|19)\]"""  # ISO text cut to a day, an hour, a minute, a second
    r"""|replace\(\s*["']T["']"""  # the ISO "T" turned into a space
    r"""|\.strftime\(|\.isoformat\(\)"""  # Python's own date formats
    r"""|["']%[+ ]?\.?\d*[df]["']\s*\|\s*format"""  # "%.1f" | format(x)
    r"""|\|\s*round\b"""  # numbers rounded by hand
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_formats_dates_or_numbers_by_hand(path: Path) -> None:
    found = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        shown = MACHINE.sub("", line)
        found += [f"{lineno}: {m.group(0)}" for m in HAND_FORMATTED.finditer(shown)]
    assert found == [], "use the when/day/number/decimal/percent filters (surveyor/web/formats.py)"


MOMENT = "2026-12-02T14:05:09.123456+00:00"


@pytest.mark.parametrize(
    ("locale", "zone", "expected"),
    [
        ("en", "UTC", "Dec 2, 2026, 2:05\u202fPM"),
        ("zh_Hans", "UTC", "2026年12月2日 14:05"),
        ("zh_Hans", "Asia/Shanghai", "2026年12月2日 22:05"),
        ("en", "America/New_York", "Dec 2, 2026, 9:05\u202fAM"),
    ],
)
def test_a_moment_reads_in_the_locale_and_the_workspace_zone(
    locale: str, zone: str, expected: str
) -> None:
    assert format_when(MOMENT, locale, zone) == expected
    assert format_when(MOMENT.replace("+00:00", "Z"), locale, zone) == expected
    assert format_when(datetime(2026, 12, 2, 14, 5, 9, tzinfo=UTC), locale, zone) == expected


def test_days_numbers_and_shares() -> None:
    assert format_day(MOMENT, "en", "UTC") == "Dec 2, 2026"
    assert format_day(MOMENT, "zh_Hans", "UTC") == "2026年12月2日"
    # Late on 2 December in UTC is already 3 December in Shanghai.
    assert format_day("2026-12-02T20:00:00Z", "zh_Hans", "Asia/Shanghai") == "2026年12月3日"
    assert format_day(date(2026, 12, 2), "en", "UTC") == "Dec 2, 2026"
    assert format_day("2026-12-02", "zh_Hans", "UTC") == "2026年12月2日"
    assert format_when(MOMENT, "en", "UTC", name_zone=True).endswith(" UTC")
    assert format_when(None, "en", "UTC") == "—"
    assert format_number(1234567, "en") == "1,234,567"
    assert format_number(1234.5, "de") == "1.234,5"
    assert format_fixed(0.12345, "en", 3) == "0.123"
    assert format_fixed(0.25, "en", 2, signed=True) == "+0.25"
    assert format_fixed(-0.25, "zh_Hans", 2, signed=True) == "-0.25"
    assert format_ratio(0.453, "en", 1) == "45.3%"
    assert format_ratio(0.453, "zh_Hans") == "45%"
    now = datetime(2026, 12, 2, 17, 5, tzinfo=UTC)
    assert format_ago(MOMENT, "en", now) == "3 hours ago"
    assert format_ago(MOMENT, "zh_Hans", now) == "3小时前"


async def test_the_filters_take_the_page_locale_and_zone(client) -> None:
    from tests.conftest import app_services

    env = app_services(client).templates
    template = env.from_string(
        "{{ at | when }} · {{ at | day }} · {{ n | number }} · {{ r | percent(1) }}"
        " · {{ x | decimal(2) }}"
    )
    values = {"at": MOMENT, "n": 12345, "r": 0.125, "x": 3.14159}
    english = template.render(locale="en", time_zone="UTC", **values)
    assert english == "Dec 2, 2026, 2:05\u202fPM · Dec 2, 2026 · 12,345 · 12.5% · 3.14"
    chinese = template.render(locale="zh_Hans", time_zone="Asia/Shanghai", **values)
    assert chinese == "2026年12月2日 22:05 · 2026年12月2日 · 12,345 · 12.5% · 3.14"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Dec 2, 2026, 10:05\u202fPM"), ("zh_Hans", "2026年12月2日 22:05")],
)
async def test_an_english_and_a_chinese_page_show_localized_dates(
    make_settings, locale: str, expected: str
) -> None:
    from litestar.testing import AsyncTestClient

    from surveyor.app import create_app
    from surveyor.auth import store
    from tests.conftest import api_key, app_services, in_app, login, make_user

    app = create_app(make_settings(timezone="Asia/Shanghai"))
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        admin = await api_key(client, "admin")
        created = await client.post(
            "/api/v1/surveys", json={"template": "nps", "name": "Dated"}, headers=admin
        )
        assert created.status_code == 201, created.text
        survey_id = created.json()["id"]

        async def set_clock() -> None:
            async def unit(tx) -> None:
                await tx.execute(
                    "UPDATE surveys SET updated_at = ? WHERE id = ?",
                    ("2026-12-02T14:05:09.000000Z", survey_id),
                )

            await app_services(client).db.write(unit)

        await in_app(client, set_clock)
        user = await make_user(client, "designer")

        async def speak() -> None:
            await store.update_user(app_services(client).db, user.id, locale=locale)

        await in_app(client, speak)
        await login(client, user)
        page = await client.get("/surveys")
        assert page.status_code == 200
        assert f'<time datetime="2026-12-02T14:05:09.000000Z">{expected}</time>' in page.text
        assert "2026-12-02 14:05" not in page.text


async def test_badges_made_in_python_read_in_chinese(client) -> None:
    from tests.conftest import app_services

    template = app_services(client).templates.from_string("{{ text | say }}")
    text = "▲ +2.1 · not significant after FDR control"
    assert template.render(locale="zh_Hans", text=text) == "▲ +2.1 · 经 FDR 控制后不显著"
    assert template.render(locale="en", text=text) == text
