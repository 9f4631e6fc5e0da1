"""``surveyor text reindex``: old comments read again with the current dictionary."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from surveyor_text import analyze, store
from surveyor_text.models import ThemeIn

from surveyor.app import build_services, start_services
from surveyor.cli import main
from surveyor.settings import load_settings
from tests.followups.helpers import answer, contact, nps_version


def _in_db(work: Any) -> Any:
    async def run() -> Any:
        svc = build_services(load_settings())
        await start_services(svc)
        try:
            return await work(svc)
        finally:
            await svc.db.close()

    return asyncio.run(run())


def test_reindex_reads_old_comments_again_with_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("SURVEYOR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SURVEYOR_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("SURVEYOR_SECRET_KEY", "s" * 40)
    text = "Parking is impossible near your shop."

    async def seed(svc: Any) -> str:
        version = await nps_version(svc.db)
        response = await answer(svc, version, await contact(svc.db), 6, text, on_complete=[])
        result = analyze.analyze(text, analyze.Dictionary(analyze.default_themes()))
        await svc.db.write(lambda tx: store.save_analysis(tx, response.id, text, result, 0))
        themes = [ThemeIn(name="parking", en=["parking"], zh=["停车"])]
        await svc.db.write(lambda tx: store.save_themes(tx, themes))
        # Answered while the plugin was off: no analysis at all yet.
        older = await answer(svc, version, await contact(svc.db), 3, "停车太难了", on_complete=[])
        return response.id, older.id

    response_id, older_id = _in_db(seed)
    assert main(["text", "reindex"]) == 0
    out = capsys.readouterr().out
    assert "1 comments analysed for the first time" in out and "1/1 comments" in out
    found = _in_db(lambda svc: store.get_analysis(svc.db, response_id))
    assert found.themes == ["parking"] and found.dictionary_version == 1
    first = _in_db(lambda svc: store.get_analysis(svc.db, older_id))
    assert first.language == "zh" and first.themes == ["parking"]
