"""Entry point for ASGI servers: ``granian --interface asgi --factory surveyor.asgi:make_app``.

Settings come from ``SURVEYOR_*`` and ``SURVEYOR_CONFIG``, as for every command.
"""

from __future__ import annotations

from litestar import Litestar

from surveyor.app import create_app
from surveyor.logs import configure_logging
from surveyor.settings import load_settings


def make_app() -> Litestar:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
