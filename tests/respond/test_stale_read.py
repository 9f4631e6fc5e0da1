"""An answer POST trusts what it read earlier in its unit only while that still holds
(issue 17): on PostgreSQL another unit may change the response in between, and then the
response and its answers are read again under the row lock."""

from __future__ import annotations

import asyncio
from typing import Any

from surveyor.invitations.store import invitation_for_token
from surveyor.respond.models import NewResponse, ReadInUnit
from surveyor.respond.store import blank_answers, get_response, save_answers, save_answers_tx
from tests.respond.helpers import invite, published


async def _link(db: Any) -> tuple[str, NewResponse]:
    version = await published(db)
    token, contact_id = await invite(db, version)
    state = await invitation_for_token(db, token)
    assert state is not None
    new = NewResponse(
        invitation_id=state.invitation.id,
        survey_id=version.survey_id,
        survey_version_id=version.id,
        contact_id=contact_id,
    )
    return token, new


async def test_a_response_changed_between_the_read_and_the_write_is_re_read(db) -> None:
    token, new = await _link(db)
    await save_answers(db, new, {"score": 9}, step="right")
    read_done, other_done = asyncio.Event(), asyncio.Event()

    async def slow(tx: Any) -> Any:
        state = await invitation_for_token(tx, token)
        assert state is not None and state.answers == {"score": 9}
        read = ReadInUnit(
            response=state.response,
            answers=state.answers,
            invitation_status=state.invitation.status,
        )
        read_done.set()
        if tx.backend != "sqlite":  # the other unit commits between our read and write
            await other_done.wait()
        # (On SQLite the other unit waits for the one writer: our read still holds.)
        return await save_answers_tx(tx, new, {"topics": ["price"]}, step="topics", read=read)

    async def other() -> Any:
        await read_done.wait()
        result = await save_answers(db, new, {"right": "Fast"}, step="topics")
        other_done.set()
        return result

    first, second = await asyncio.gather(db.write(slow), other())
    everything = {"score": 9, "right": "Fast", "topics": ["price"]}
    last = second if db.backend == "sqlite" else first
    assert last.answers == everything
    assert last.response.current_step == "topics"


async def test_an_unchanged_response_is_trusted_and_a_stale_step_is_not(db) -> None:
    token, new = await _link(db)
    await save_answers(db, new, {"score": 9}, step="right")
    state = await invitation_for_token(db, token)
    assert state is not None and state.response is not None
    read = ReadInUnit(response=state.response, answers=state.answers, invitation_status="opened")
    result = await db.write(
        lambda tx: save_answers_tx(tx, new, {"right": "Fast"}, step="topics", read=read)
    )
    assert result.answers == {"score": 9, "right": "Fast"}
    # ``read`` is stale now (the step and updated_at moved): PostgreSQL reads again.
    if db.backend != "sqlite":
        result = await db.write(
            lambda tx: save_answers_tx(tx, new, {"topics": ["ease"]}, step="topics", read=read)
        )
        assert result.answers == {"score": 9, "right": "Fast", "topics": ["ease"]}


async def test_blanking_answers_moves_a_partial_response_so_a_stale_read_is_not_trusted(
    db,
) -> None:
    token, new = await _link(db)
    saved = await save_answers(db, new, {"score": 9, "right": "My name is Ada"}, step="topics")
    before = saved.response.updated_at
    await db.write(
        lambda tx: blank_answers(tx, [(saved.response.id, "right")], "2999-01-01T00:00:00.000000Z")
    )
    after = await get_response(db, saved.response.id)
    assert after is not None and after.updated_at != before
    state = await invitation_for_token(db, token)
    assert state is not None and state.answers["right"] == ""
