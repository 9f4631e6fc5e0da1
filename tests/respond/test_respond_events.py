"""``ResponseCompleted`` reaches plugins through the outbox, off the request path: the
event is built once, carries everything, and a slow plugin never holds a submit."""

from __future__ import annotations

import logging
import threading
from typing import Any

import anyio
import pytest
from litestar.testing import AsyncTestClient

from surveyor import Answer, Response, ResponseCompleted, hookimpl
from surveyor.app import create_app
from surveyor.hookjobs import call_plugins
from surveyor.plugins import make_plugin_manager
from surveyor.respond.completion import completed_event
from tests.conftest import app_services, drain, in_app
from tests.respond.helpers import published
from tests.respond.test_respond_http import answer_all, setup_link

# A bound for waiting on another thread: a broken build fails instead of hanging.
WAIT = 30.0


class Blocking:
    """A plugin whose ``response_completed`` waits until the test releases it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.done: list[str] = []

    @hookimpl
    async def response_completed(self, event: ResponseCompleted) -> None:
        self.entered.set()
        # Blocks this plugin (in a thread), not the app's loop.
        await anyio.to_thread.run_sync(self.release.wait)
        self.done.append(event.response.id)
        if len(self.done) == 2:
            self.finished.set()


async def test_a_blocked_response_completed_plugin_does_not_hold_the_final_submit(
    make_settings,
) -> None:
    plugin = Blocking()
    settings = make_settings(run_worker=True)
    app = create_app(
        settings,
        pm=make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(plugin,)),
    )
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        first, _ = await setup_link(client)
        done = await answer_all(client, first, 9, "Quick")
        assert done.status_code == 200 and "Thank you" in done.text
        # The worker runs the plugin, which now blocks …
        assert await anyio.to_thread.run_sync(plugin.entered.wait, WAIT)
        # … and a second customer's final submit is answered all the same.
        second, _ = await setup_link(client)
        done = await answer_all(client, second, 3, "Slow")
        assert done.status_code == 200 and "Thank you" in done.text
        assert plugin.done == []
        plugin.release.set()
        assert await anyio.to_thread.run_sync(plugin.finished.wait, WAIT)
        assert len(set(plugin.done)) == 2


class Keeper:
    def __init__(self) -> None:
        self.events: list[ResponseCompleted] = []

    @hookimpl
    def response_completed(self, event: ResponseCompleted, services: Any) -> None:
        self.events.append(event)


async def test_the_event_carries_answers_with_questions_version_contact_and_invitation(
    settings,
) -> None:
    keeper = Keeper()
    app = create_app(
        settings,
        pm=make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(keeper,)),
    )
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        token, version = await setup_link(client)
        await answer_all(client, token, 4, "Too slow")
        assert keeper.events == []  # nothing ran on the request
        assert await in_app(
            client,
            app_services(client).db.fetch_val,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'hook.response_completed'",
        )
        await drain(client)
    (event,) = keeper.events
    assert event.response.status == "complete" and event.response.nps == 4
    assert event.version.id == version.id
    assert [(a.question.id, a.question.kind) for a in event.answers][:1] == [("score", "nps")]
    assert all(isinstance(a, Answer) for a in event.answers)
    assert event.values()["score"] == 4
    assert event.contact is not None and event.contact.id == event.response.contact_id
    assert event.invitation is not None and event.invitation.id == event.response.invitation_id
    assert event.checkpoint_key == "order_delivered" and event.public_slug is None


class Stuck:
    @hookimpl
    async def response_completed(self, event: ResponseCompleted) -> None:
        await anyio.Event().wait()  # never set: only the timeout ends it


async def test_a_plugin_that_overruns_its_timeout_is_logged_and_the_others_still_run(
    settings, services, caplog: pytest.LogCaptureFixture
) -> None:
    keeper = Keeper()
    services.pm = make_plugin_manager(
        settings.plugin_allow_list, settings.plugins_dir, extra=(Stuck(), keeper)
    )
    services.hook_timeout = 0.01
    version = await published(services.db)
    stamp = "2026-01-01T00:00:00.000000Z"
    response = Response(
        id="r1",
        survey_id=version.survey_id,
        survey_version_id=version.id,
        status="complete",
        started_at=stamp,
        updated_at=stamp,
        completed_at=stamp,
        nps=3,
    )
    event = completed_event(response, {"score": 3}, version)
    with caplog.at_level(logging.ERROR, logger="surveyor.plugins"):
        await call_plugins(services, event)
    assert keeper.events == [event]
    assert "timed out in hook response_completed" in caplog.text
