"""``followup.*`` webhooks are committed with the case change that causes them: in the
same unit, so no crash between a commit and some after-commit work can lose one.

Proof by the unit's edges: right after the change commits (no worker, no hook run),
the webhook job is there; and when a later listener in that unit fails, the change
and its webhook job roll back together. ``test_crash.py`` kills a real server in its
after-commit work.
"""

from __future__ import annotations

from typing import Any

import pytest

from surveyor.events import FollowupClosed, FollowupOpened
from surveyor.followups import plugin as followups_plugin
from surveyor.followups.service import Actor, change_status
from surveyor.followups.store import case_for_response
from surveyor.webhooks import plugin as webhooks_plugin
from surveyor.webhooks.models import SubscriptionIn
from surveyor.webhooks.store import create_subscription
from tests.webhooks.test_webhooks import _complete_response


@pytest.fixture
async def wired(services: Any) -> Any:
    """Services with the listeners an app adds at start-up, and one subscriber."""
    followups_plugin.startup(services)
    webhooks_plugin.startup(services)
    await create_subscription(
        services.db,
        SubscriptionIn(
            url="https://hooks.example.com/in", event_types=["followup.opened", "followup.closed"]
        ),
    )
    return services


async def webhook_jobs(svc: Any, event_type: str) -> int:
    return await svc.db.fetch_val(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'webhook.deliver' AND payload LIKE ?",
        (f'%"type":"{event_type}"%',),
    )


async def test_followup_opened_webhook_commits_in_the_unit_that_opens_the_case(wired) -> None:
    response_id = await _complete_response(wired, nps=1, reason="broken")
    case = await case_for_response(wired.db, response_id)
    assert case is not None
    assert await webhook_jobs(wired, "followup.opened") == 1


async def test_a_failing_listener_rolls_back_the_case_and_its_webhook_together(wired) -> None:
    async def broken(tx: Any, event: FollowupOpened) -> None:
        raise RuntimeError("crash inside the unit")

    wired.tx_listeners.followup_opened.append(broken)  # runs after the webhook listener
    with pytest.raises(RuntimeError, match="crash inside the unit"):
        await _complete_response(wired, nps=1, reason="broken")
    assert await wired.db.fetch_val("SELECT COUNT(*) FROM followups") == 0
    assert await wired.db.fetch_val("SELECT COUNT(*) FROM responses WHERE status = 'complete'") == 0
    assert await webhook_jobs(wired, "followup.opened") == 0


async def test_followup_closed_webhook_commits_or_rolls_back_with_the_close(wired) -> None:
    response_id = await _complete_response(wired, nps=1, reason="broken")
    case = await case_for_response(wired.db, response_id)
    assert case is not None

    async def broken(tx: Any, event: FollowupClosed) -> None:
        raise RuntimeError("crash inside the unit")

    wired.tx_listeners.followup_closed.append(broken)
    actor = Actor(user_id=None)
    with pytest.raises(RuntimeError):
        await change_status(wired, case.id, "closed", actor, root_cause="other", outcome="ok")
    assert (await case_for_response(wired.db, response_id)).status == "new"
    assert await webhook_jobs(wired, "followup.closed") == 0

    wired.tx_listeners.followup_closed.remove(broken)
    await change_status(wired, case.id, "closed", actor, root_cause="other", outcome="ok")
    assert (await case_for_response(wired.db, response_id)).status == "closed"
    assert await webhook_jobs(wired, "followup.closed") == 1
