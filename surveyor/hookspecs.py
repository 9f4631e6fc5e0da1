"""Every hook a Surveyor plugin can implement.

This file is the contract for plugin authors; ``docs/plugin_hooks.md`` documents each
hook with its exact signature, and a test keeps the two in step. Implement a hook
with ``from surveyor import hookimpl``. A hook may return a value, a callable or an
awaitable: the core awaits every result in one helper (``surveyor.plugins.gather``).
A plugin that raises is logged and skipped; the other plugins still run.

Registration hooks take a ``register`` callback and are called once, at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

# Types only: the hook contract must not import the app (pluggy reads names, not types).
if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ControllerRouterHandler

    from surveyor import Channel
    from surveyor.auth.models import User
    from surveyor.delivery.models import JobKind
    from surveyor.events import (
        Contact,
        Followup,
        FollowupChanged,
        FollowupClosed,
        FollowupOpened,
        InvitationFailed,
        InvitationSent,
        ResponseCompleted,
    )
    from surveyor.services import Services
    from surveyor.surveys.kinds import QuestionKind

hookspec = pluggy.HookspecMarker("surveyor")

# ---------------------------------------------------------------------------
# Start-up: what a plugin brings (called once, when the app is created)
# ---------------------------------------------------------------------------


@hookspec
def register_settings(register: Callable[[str, type[Any]], None]) -> None:
    """Declare the plugin's settings: ``register(name, SettingsStruct)``.

    ``SettingsStruct`` is a ``msgspec.Struct`` declared with ``frozen=True,
    forbid_unknown_fields=True``; its values come from ``SURVEYOR_<NAME>_<FIELD>``
    variables and a ``[plugins.<name>]`` table of the settings file, validated at
    start-up like the core settings (a wrong value or an unknown key stops the start
    with one line naming it). Read them with ``services.plugin_settings(SettingsStruct)``.
    """


@hookspec
def register_migrations(register: Callable[[str, Path], None]) -> None:
    """Add a folder of numbered SQL migrations: ``register(namespace, folder)``.

    ``namespace`` is usually the plugin's name; ``folder`` holds ``NNNN_name.sql`` files
    (with optional ``sqlite/`` and ``postgresql/`` variants). They are applied by
    ``surveyor migrate`` and at start-up, after the core's, in registration order.
    """


@hookspec
def register_routes(register: Callable[[ControllerRouterHandler], None]) -> None:
    """Add HTTP handlers or routers: ``register(handler_or_router)``.

    Handlers are Litestar route handlers, controllers or routers. Guard staff pages
    with ``surveyor.auth.guards`` so they honour logins, roles and CSRF.
    """


@hookspec
def register_template_dirs(register: Callable[[Path], None]) -> None:
    """Add a folder of Jinja templates: ``register(folder: Path)``.

    Plugin folders are searched after the operator's ``SURVEYOR_TEMPLATES_DIR`` and
    before the built-in templates, so a plugin may override a page; the built-in one
    stays reachable as ``default:<name>``.
    """


@hookspec
def register_channels(register: Callable[[Channel], None]) -> None:
    """Add delivery channels: ``register(channel)`` with a :class:`surveyor.Channel`."""


@hookspec
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    """Add kinds of outbox job: ``register(kind)`` with a :class:`surveyor.delivery.JobKind`
    (its name, ``async run(job, services)``, optional ``on_done``/``on_dead`` callbacks).
    Called once per app or worker, when the delivery registry is first built; a name
    registered twice is an error. Enqueue jobs of the kind with
    ``surveyor.delivery.store.enqueue_job(tx, kind, payload, ...)``.
    """


@hookspec
def register_question_kinds(register: Callable[[QuestionKind], None]) -> None:
    """Add survey question kinds: ``register(kind)`` with a
    :class:`surveyor.surveys.kinds.QuestionKind` (how it reads the form, checks an answer
    and its config, its respondent template, its designer fields, how an answer prints
    and the metric it feeds). The built-in kinds come through this hook too. Called once
    per app, when the registry is first needed; a name already registered is an error.
    """


@hookspec
def startup(services: Services) -> None:
    """Called (and awaited) once the database is connected and migrated, before the
    first request. Start background tasks here; ``services`` is the app's
    :class:`surveyor.services.Services`."""


@hookspec
def shutdown(services: Services) -> None:
    """Called (and awaited) when the app stops, before the database closes. Finish or
    release in-flight work here."""


# ---------------------------------------------------------------------------
# Rendering: called for every page
# ---------------------------------------------------------------------------


@hookspec
def extra_template_vars(template: str, request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """Variables to add to a page's context. May return a dict or an awaitable of one.

    ``template`` is the name of the template being rendered. Keys already set by the
    page win over the plugin's.
    """


@hookspec
def menu_links(user: User) -> list[dict[str, str]] | None:
    """Extra navigation links for a signed-in ``user``: ``[{"href": ..., "label": ...}]``."""


# ---------------------------------------------------------------------------
# Domain events: run by the delivery worker after the change committed
# ---------------------------------------------------------------------------
#
# Each event is queued as one durable outbox job ``hook.<name>`` in the same unit as
# the change, and the worker calls every plugin's implementation with the decoded event
# and the services, one timeout per plugin (``services.hook_timeout``, 30 s). A plugin
# that raises or overruns is logged and skipped. Delivery is at least once: a worker
# that dies mid-job runs the job again, so a reaction should tolerate a repeat (the
# event carries ids to recognise it). Work that must be atomic with the change belongs
# in ``services.tx_listeners`` instead.


@hookspec
def response_completed(event: ResponseCompleted, services: Services) -> None:
    """A respondent finished a survey; once per response.

    ``event`` is a :class:`surveyor.ResponseCompleted`: the ``response`` (status
    ``complete``, key scores filled), its ``answers`` with their questions, the survey
    ``version`` answered, the ``contact`` (None for public links), the ``invitation``
    (personal links) or ``public_slug`` (public links) and the ``checkpoint_key``.
    ``services`` is the app's :class:`surveyor.services.Services`. The return value is
    ignored; the customer's submit never waits for it.
    """


@hookspec
def invitation_sent(event: InvitationSent, services: Services) -> None:
    """A channel accepted an invitation (or its reminder: ``event.reminder``). Called by
    the delivery worker after the invitation was marked ``sent`` and committed, once per
    delivered message. ``event.invitation`` is a :class:`surveyor.Invitation`. The
    return value is ignored.
    """


@hookspec
def invitation_failed(event: InvitationFailed, services: Services) -> None:
    """An invitation could not be delivered for good: a permanent error, or every retry
    failed. Called by the delivery worker after the invitation was marked ``failed`` and
    committed. ``event.error`` is the last attempt's error. The return value is ignored.
    """


@hookspec
def followup_opened(event: FollowupOpened, services: Services) -> None:
    """A low score opened a follow-up case (in the unit that completed the response).

    ``event.followup`` is a :class:`surveyor.Followup` (priority, owner in
    ``assignee_id`` or ``team_queue``, ``due_at``), ``event.contact`` a
    :class:`surveyor.Contact` or None (anonymous response). The return value is ignored.
    """


@hookspec
def followup_changed(event: FollowupChanged, services: Services) -> None:
    """An open case changed: ``event.change`` is ``"status"`` (a move that does not
    close it), ``"assign"`` (new owner or the team queue) or ``"reopen"``.
    ``event.followup`` is the case after the change. The return value is ignored.
    """


@hookspec
def followup_closed(event: FollowupClosed, services: Services) -> None:
    """A follow-up case was resolved or closed (``event.followup.status`` says which;
    its ``root_cause`` and ``outcome`` are set). A reopened case that is closed again
    calls it again. The return value is ignored.
    """


# ---------------------------------------------------------------------------
# Decisions: the first non-None answer wins
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def followup_assignee(case: Followup, contact: Contact | None) -> str | None:
    """Choose the user id who owns a new follow-up case (``firstresult``: the first
    non-None wins; None lets the built-in choice — the contact's ``account_manager``, then
    round-robin among managers, then the team queue — decide).

    Called by ``surveyor.followups`` INSIDE the transaction that completes the response,
    so it must be quick and must not do network I/O. ``case`` is the
    :class:`surveyor.followups.models.Followup` about to be stored (no owner yet),
    ``contact`` a :class:`surveyor.contacts.models.Contact` or None. An id that is not an
    enabled staff user is ignored.
    """


__all__ = ["Path", "hookspec"]
