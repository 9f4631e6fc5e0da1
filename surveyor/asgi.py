"""Entry point for ASGI servers: ``granian --interface asgi --factory surveyor.asgi:make_app``.

Settings come from ``SURVEYOR_*`` and ``SURVEYOR_CONFIG``, as for every command.
"""

from __future__ import annotations

import gc

from litestar import Litestar

from surveyor.app import create_app
from surveyor.logs import configure_logging
from surveyor.serve import die_with_parent, server_processes
from surveyor.settings import load_settings


def tune_garbage_collector() -> None:
    """Shorter collector pauses in a long-running server.

    Everything imported and built so far (modules, routes, templates) lives as long as
    the process: freezing it keeps the collector from walking it again and again. The
    young generations keep Python's defaults (small, cheap collections); full
    collections, the long pauses, are made 10× rarer. On the respondent bench this took
    p99 of the answer POST from ~65 ms to ~35–39 ms with memory flat over a 30 s soak
    (100× rarer: p99 ~34 ms but memory kept growing; a larger young generation made the
    pauses longer). See bench/README.md.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, 100)


def make_app() -> Litestar:
    die_with_parent()
    settings = load_settings(for_plugins=True)
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    app.state["services"].server_processes = server_processes()
    tune_garbage_collector()
    return app
