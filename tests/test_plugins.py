"""Plugins: where they come from, how their hooks are called, and how failures are contained."""

from __future__ import annotations

import inspect
import json
import logging
import re
from pathlib import Path
from typing import Any

import msgspec
import pluggy
import pytest

from surveyor import Channel, hookimpl, hookspecs
from surveyor.app import build_services, start_services
from surveyor.cli import main
from surveyor.plugins import (
    BUILTIN_PLUGINS,
    CORE_PLUGINS,
    PluginError,
    await_me_maybe,
    collect,
    describe,
    first_result,
    gather,
    make_plugin_manager,
)
from surveyor.settings import load_settings
from tests.conftest import login, make_user
from tests.plugins import SINGLE_FILE_DIR, sample_app_client
from tests.plugins.sample import FailingPlugin, SampleChannel, SamplePlugin

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "plugin_hooks.md"


def _settings(**overrides: Any):  # type: ignore[no-untyped-def]
    return load_settings(environ={}, **overrides)


def _pm(extra: tuple[object, ...] = (), **overrides: Any) -> pluggy.PluginManager:
    settings = _settings(**overrides)
    return make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=extra)


def _hookspecs() -> list[Any]:
    return [
        func
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, "surveyor_spec")
    ]


# ---------------------------------------------------------------------------
# The contract: every hook documented with its exact signature, and tested
# ---------------------------------------------------------------------------


def signature_text(func: Any) -> str:
    """``name(arg: Type, ...) -> Return`` as written in hookspecs.py (annotations unevaluated)."""
    sig = inspect.signature(func)
    params = []
    star_written = False
    for param in sig.parameters.values():
        if param.kind is param.KEYWORD_ONLY and not star_written:
            params.append("*")
            star_written = True
        text = param.name
        if param.annotation is not param.empty:
            text += f": {param.annotation}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        params.append(text)
    returns = "" if sig.return_annotation is sig.empty else f" -> {sig.return_annotation}"
    return f"{func.__name__}({', '.join(params)}){returns}"


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    doc = HOOKS_DOC.read_text(encoding="utf-8")
    specs = _hookspecs()
    assert specs, "no hookspecs found"
    missing = [signature_text(f) for f in specs if f"def {signature_text(f)}" not in doc]
    assert not missing, f"docs/plugin_hooks.md lacks (or has a stale signature for): {missing}"


def test_every_documented_hook_exists() -> None:
    doc = HOOKS_DOC.read_text(encoding="utf-8")
    # Signature lines end without a colon; example code (``def menu_links(user):``) does.
    documented = set(re.findall(r"^def (\w+)\(.*\)(?: -> [^:\n]+)?$", doc, flags=re.MULTILINE))
    assert documented == {f.__name__ for f in _hookspecs()}


def test_every_hook_has_a_test_named_after_it() -> None:
    tests = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("*.py"))
    untested = [
        f.__name__ for f in _hookspecs() if not re.search(rf"def test_hook_{f.__name__}\b", tests)
    ]
    assert not untested, f"hooks without a test_hook_<name> function: {untested}"


def test_every_hook_has_a_docstring_and_annotations() -> None:
    for func in _hookspecs():
        assert (func.__doc__ or "").strip(), func.__name__
        sig = inspect.signature(func)
        assert sig.return_annotation is not sig.empty, func.__name__
        for param in sig.parameters.values():
            assert param.annotation is not param.empty, f"{func.__name__}({param.name})"


def test_no_hook_parameter_is_typed_any() -> None:
    loose = [
        f"{func.__name__}({name})"
        for func in _hookspecs()
        for name, param in inspect.signature(func).parameters.items()
        if param.annotation in ("Any", Any)
    ]
    assert not loose, f"type these hook parameters: {loose}"


def test_every_domain_event_has_a_hook_taking_event_and_services() -> None:
    from surveyor.events import HOOK_FOR
    from surveyor.hookjobs import JOB_KINDS

    names = {f.__name__: f for f in _hookspecs()}
    for event_type, hook in HOOK_FOR.items():
        params = inspect.signature(names[hook]).parameters
        assert [(n, p.annotation) for n, p in params.items()] == [
            ("event", event_type.__name__),
            ("services", "Services"),
        ], hook
    assert {k.name for k in JOB_KINDS} == {f"hook.{hook}" for hook in HOOK_FOR.values()}


# ---------------------------------------------------------------------------
# Where plugins come from
# ---------------------------------------------------------------------------


def test_core_and_builtin_plugins_load() -> None:
    pm = _pm()
    for name in (*CORE_PLUGINS, *BUILTIN_PLUGINS):
        assert pm.has_plugin(name), name
    names = {row["name"]: row for row in describe(pm)}
    assert "register_routes" in names["surveyor.core_plugin"]["hooks"]
    assert names["surveyor.core_plugin"]["core"] is True


def test_the_allow_list_cannot_switch_the_core_off() -> None:
    pm = _pm(plugins="surveyor.core_plugin")
    for name in CORE_PLUGINS:
        assert pm.has_plugin(name)
    for name in BUILTIN_PLUGINS:
        assert not pm.has_plugin(name)


ENTRY_POINT_PLUGIN = """
from surveyor import hookimpl

__version__ = "2.0.0"


@hookimpl
def menu_links(user):
    return [{"href": "/installed", "label": "Installed"}]
"""


def _install_dist(site: Path, module: str, source: str, entry_name: str) -> None:
    """A minimal installed distribution: a module and a dist-info with a surveyor entry point."""
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-2.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 2.0.0\n")
    (dist / "entry_points.txt").write_text(f"[surveyor]\n{entry_name} = {module}\n")


def test_an_installed_package_loads_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_dist(tmp_path, "surveyor_installed_demo", ENTRY_POINT_PLUGIN, "installed_demo")
    monkeypatch.syspath_prepend(str(tmp_path))
    pm = _pm()
    assert pm.has_plugin("installed_demo")
    row = next(r for r in describe(pm) if r["name"] == "installed_demo")
    assert row == {
        "name": "installed_demo",
        "hooks": ["menu_links"],
        "version": "2.0.0",
        "core": False,
    }
    # The allow-list keeps it out.
    assert not _pm(plugins="surveyor_email").has_plugin("installed_demo")
    assert _pm(plugins="installed_demo").has_plugin("installed_demo")


def test_an_entry_point_that_cannot_load_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_dist(tmp_path, "surveyor_broken_demo", "raise ImportError('no such thing')", "broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="broken"):
        _pm()


def test_a_single_file_plugin_loads_from_the_plugins_dir() -> None:
    pm = _pm(plugins_dir=str(SINGLE_FILE_DIR))
    assert pm.has_plugin("hello_single")
    row = next(r for r in describe(pm) if r["name"] == "hello_single")
    assert row["hooks"] == ["register_routes"]
    assert row["version"] == "1.2.3"


def test_the_allow_list_keeps_single_files_from_even_being_imported(tmp_path: Path) -> None:
    (tmp_path / "not_allowed.py").write_text("raise SystemExit('must never run')\n")
    (tmp_path / "allowed.py").write_text(
        "from surveyor import hookimpl\n\n@hookimpl\ndef menu_links(user):\n    return []\n"
    )
    pm = _pm(plugins_dir=str(tmp_path), plugins="allowed")
    assert pm.has_plugin("allowed")
    assert not pm.has_plugin("not_allowed")


def test_a_plugins_dir_that_is_not_a_folder_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="not a folder"):
        _pm(plugins_dir=str(tmp_path / "missing"))


def test_a_single_file_that_raises_on_import_is_named(tmp_path: Path) -> None:
    (tmp_path / "crashy.py").write_text("1 / 0\n")
    with pytest.raises(PluginError, match="crashy"):
        _pm(plugins_dir=str(tmp_path))


def test_a_misspelled_hookimpl_fails_at_start() -> None:
    class Typo:
        @hookimpl
        def register_rotues(self, register: Any) -> None:
            """One letter off: would silently never run without check_pending()."""

    with pytest.raises(PluginError, match="register_rotues"):
        _pm(extra=(Typo(),))


def test_a_hookimpl_with_a_wrong_argument_fails_at_start() -> None:
    class WrongArgs:
        @hookimpl
        def menu_links(self, person: Any) -> None:
            """``person`` is not an argument of menu_links."""

    with pytest.raises(PluginError, match="menu_links"):
        _pm(extra=(WrongArgs(),))


# ---------------------------------------------------------------------------
# Calling hooks: one helper awaits values, callables and awaitables
# ---------------------------------------------------------------------------


class ReturnsValue:
    @hookimpl
    def menu_links(self, user: Any) -> list[dict[str, str]]:
        return [{"href": "/value", "label": "value"}]


class ReturnsCallable:
    @hookimpl
    def menu_links(self, user: Any) -> Any:
        return lambda: [{"href": "/callable", "label": "callable"}]


class ReturnsAwaitable:
    @hookimpl
    async def menu_links(self, user: Any) -> list[dict[str, str]]:
        return [{"href": "/awaitable", "label": "awaitable"}]


class ReturnsNone:
    @hookimpl
    def menu_links(self, user: Any) -> None:
        return None


def _only(*plugins: object) -> pluggy.PluginManager:
    """A manager with these plugins alone: the core's own hookimpls stay out of the count."""
    pm = pluggy.PluginManager("surveyor")
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


async def test_gather_awaits_a_value_a_callable_and_an_awaitable() -> None:
    pm = _only(ReturnsValue(), ReturnsCallable(), ReturnsAwaitable(), ReturnsNone())
    results = await gather(pm.hook.menu_links, user=None)
    hrefs = sorted(links[0]["href"] for links in results)
    assert hrefs == ["/awaitable", "/callable", "/value"]


async def test_await_me_maybe_unwraps_a_callable_returning_an_awaitable() -> None:
    async def later() -> int:
        return 7

    assert await await_me_maybe(7) == 7
    assert await await_me_maybe(later) == 7
    assert await await_me_maybe(later()) == 7
    assert await await_me_maybe(lambda: later()) == 7


async def test_a_plugin_that_raises_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pm = _only(ReturnsValue(), FailingPlugin(), ReturnsAwaitable())
    with caplog.at_level(logging.ERROR, logger="surveyor.plugins"):
        results = await gather(pm.hook.menu_links, user=None)
    assert sorted(links[0]["href"] for links in results) == ["/awaitable", "/value"]
    failures = [r for r in caplog.records if r.name == "surveyor.plugins"]
    assert len(failures) == 1
    assert "menu_links" in failures[0].getMessage()
    assert failures[0].exc_info is not None


async def test_first_result_skips_failures_and_nones() -> None:
    pm = _only(ReturnsValue(), ReturnsNone(), FailingPlugin())
    assert await first_result(pm.hook.menu_links, user=None) == [
        {"href": "/value", "label": "value"}
    ]


def test_a_registration_hook_that_raises_stops_the_start() -> None:
    class BrokenRoutes:
        @hookimpl
        def register_routes(self, register: Any) -> None:
            raise RuntimeError("half-registered")

    pm = _pm(extra=(BrokenRoutes(),))
    with pytest.raises(PluginError, match="register_routes"):
        collect(pm.hook.register_routes)


async def test_pages_still_render_when_a_plugin_fails_in_every_request_hook(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="surveyor.plugins"):
        async with sample_app_client(settings, SamplePlugin(), FailingPlugin()) as client:
            await login(client, await make_user(client, "admin"))
            page = await client.get("/sample/page")
    assert page.status_code == 200
    assert "hello from a plugin" in page.text
    broken = {r.getMessage() for r in caplog.records if r.name == "surveyor.plugins"}
    assert any("startup" in m for m in broken)
    assert any("extra_template_vars" in m for m in broken)
    assert any("menu_links" in m for m in broken)
    assert any("shutdown" in m for m in broken)


# ---------------------------------------------------------------------------
# Listing plugins: the command and /-/plugins.json
# ---------------------------------------------------------------------------


def test_surveyor_plugins_lists_plugins_and_hooks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SURVEYOR_PLUGINS_DIR", raising=False)
    assert main(["--plugins-dir", str(SINGLE_FILE_DIR), "plugins"]) == 0
    out = capsys.readouterr().out
    assert "surveyor.core_plugin (core): " in out
    assert "hello_single (plugin): register_routes" in out
    assert main(["--plugins-dir", str(SINGLE_FILE_DIR), "plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {
        "name": "hello_single",
        "hooks": ["register_routes"],
        "version": "1.2.3",
        "core": False,
    } in rows


async def test_plugins_json_is_for_admins_only(settings: Any) -> None:
    async with sample_app_client(settings, SamplePlugin()) as client:
        anonymous = await client.get("/-/plugins.json", follow_redirects=False)
        assert anonymous.status_code in (401, 303)
        await login(client, await make_user(client, "manager"))
        assert (await client.get("/-/plugins.json")).status_code == 403
        client.cookies.clear()
        await login(client, await make_user(client, "admin"))
        response = await client.get("/-/plugins.json")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert "surveyor.core_plugin" in rows
    sample = rows["tests.plugins.sample.SamplePlugin"]
    assert "register_channels" in sample["hooks"]
    assert sample["version"] == "0.0.1"


# ---------------------------------------------------------------------------
# One test per hook: test_hook_<name>
# ---------------------------------------------------------------------------


async def test_hook_register_settings(tmp_path: Path) -> None:
    class GreetingSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
        greeting: str = "hello"
        times: int = 1

    seen: list[GreetingSettings] = []

    class Greeter:
        @hookimpl
        def register_settings(self, register: Any) -> None:
            register("greeter", GreetingSettings)

        @hookimpl
        def startup(self, services: Any) -> None:
            seen.append(services.plugin_settings(GreetingSettings))

    config = tmp_path / "surveyor.toml"
    config.write_text('[plugins.greeter]\ngreeting = "bonjour"\n')
    settings = load_settings(
        config,
        environ={"SURVEYOR_GREETER_TIMES": "3"},
        for_plugins=True,
        database=str(tmp_path / "s.db"),
    )
    svc = build_services(
        settings,
        make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(Greeter(),)),
    )
    await start_services(svc)
    try:
        await gather(svc.pm.hook.startup, services=svc)
    finally:
        await svc.db.close()
    assert seen == [GreetingSettings(greeting="bonjour", times=3)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_hook_register_migrations(settings: Any) -> None:
    svc = build_services(
        settings,
        make_plugin_manager(
            settings.plugin_allow_list, settings.plugins_dir, extra=(SamplePlugin(),)
        ),
    )
    await start_services(svc)
    try:
        assert await svc.db.fetch_val("SELECT body FROM sample_notes") == (
            "written by a plugin migration"
        )
        ids = {r["id"] for r in await svc.db.fetch_all("SELECT id FROM schema_migrations")}
        assert "sample:0001_sample_notes.sql" in ids
        assert "core:0001_foundation.sql" in ids
    finally:
        await svc.db.close()
    # Applied once: starting again does not run it a second time (its INSERT would fail).
    svc = build_services(
        settings,
        make_plugin_manager(
            settings.plugin_allow_list, settings.plugins_dir, extra=(SamplePlugin(),)
        ),
    )
    await start_services(svc)
    try:
        assert await svc.db.fetch_val("SELECT count(*) FROM sample_notes") == 1
    finally:
        await svc.db.close()


async def test_hook_register_routes(settings: Any) -> None:
    async with sample_app_client(settings, SamplePlugin()) as client:
        page = await client.get("/sample/page")
        assert page.status_code == 200
        assert "Sample page" in page.text
        # Guards from surveyor.auth.guards work on plugin routes too.
        assert (await client.get("/sample/staff", follow_redirects=False)).status_code == 303


async def test_hook_register_template_dirs(settings: Any) -> None:
    svc = build_services(
        settings,
        make_plugin_manager(
            settings.plugin_allow_list, settings.plugins_dir, extra=(SamplePlugin(),)
        ),
    )
    template = svc.templates.get_template("sample/_part.html")
    assert template.render(count=2).strip() == '<div id="part">fragment 2</div>'


def test_hook_register_channels() -> None:
    pm = _pm(extra=(SamplePlugin(),))
    channels = [c for c in collect(pm.hook.register_channels) if isinstance(c, SampleChannel)]
    assert len(channels) == 1
    assert isinstance(channels[0], Channel)
    assert channels[0].name == "sample"


async def test_hook_startup(settings: Any) -> None:
    plugin = SamplePlugin()
    async with sample_app_client(settings, plugin) as client:
        assert plugin.events == ["startup"]
        # startup ran after the migrations, with the app's own services.
        assert plugin.startup_value == "written by a plugin migration"
        assert (await client.get("/healthz")).status_code == 200


async def test_hook_shutdown(settings: Any) -> None:
    plugin = SamplePlugin()
    async with sample_app_client(settings, plugin):
        pass
    assert plugin.events == ["startup", "shutdown"]
    # It ran while the database was still open.
    assert plugin.shutdown_value == 1


async def test_hook_extra_template_vars(settings: Any) -> None:
    plugin = SamplePlugin(banner="<b>escaped</b>")
    async with sample_app_client(settings, plugin) as client:
        page = await client.get("/sample/page")
    assert '<p id="banner">&lt;b&gt;escaped&lt;/b&gt;</p>' in page.text
    # The page's own keys win over the plugin's.
    assert '<p id="page-var">from the page</p>' in page.text
    assert plugin.template_requests == ["sample/page.html"]


async def test_hook_menu_links(settings: Any) -> None:
    async with sample_app_client(settings, SamplePlugin()) as client:
        await login(client, await make_user(client, "designer"))
        page = await client.get("/dashboard")
    assert '<a href="/sample/page">Sample for designer</a>' in page.text


def test_pluggy_is_the_plugin_manager() -> None:
    # The public API re-exports pluggy's marker under the "surveyor" project name.
    assert isinstance(hookimpl, pluggy.HookimplMarker)
    assert hookimpl.project_name == "surveyor"


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (
            "from surveyor import hookimpl\n\n@hookimpl\ndef menu_linkz(user):\n    return []\n",
            "menu_linkz",
        ),
        (
            "from surveyor import hookimpl\n\n@hookimpl\ndef menu_links(person):\n    return []\n",
            "person",
        ),
        ("raise RuntimeError('cannot start')\n", "typo_plugin"),
    ],
)
def test_a_broken_plugin_stops_the_command_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    named: str,
) -> None:
    monkeypatch.delenv("SURVEYOR_PLUGINS_DIR", raising=False)
    (tmp_path / "typo_plugin.py").write_text(source)
    assert main(["--plugins-dir", str(tmp_path), "plugins"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert named in err
