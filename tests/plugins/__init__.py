"""Plugins used by the tests: real hookimpls, registered the way an operator would."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
SINGLE_FILE_DIR = HERE / "single"


def sample_app_client(settings, *plugins):  # type: ignore[no-untyped-def]
    """An AsyncTestClient on a fresh app with ``plugins`` registered next to the built-ins."""
    from litestar.testing import AsyncTestClient

    from surveyor.app import create_app
    from surveyor.plugins import make_plugin_manager

    pm = make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=tuple(plugins))
    return AsyncTestClient(app=create_app(settings, pm=pm), base_url="http://surveyor.test")
