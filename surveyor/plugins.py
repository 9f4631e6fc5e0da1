"""How plugins are found, and the one helper that calls them.

Three sources, one manager: the core's own domains and the built-in channel plugins
by import, installed packages through the ``surveyor`` entry-point group, and single
``.py`` files from ``--plugins-dir``. ``SURVEYOR_PLUGINS`` (an allow-list of names)
restricts everything but the core; a name in it that matches no plugin stops the start.
The manager is given those two values, not the settings: plugins' own settings are
validated after it is built (``surveyor.app.plugin_settings_for``).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
from pathlib import Path
from typing import Any, TypeVar

import pluggy

from surveyor import hookspecs

log = logging.getLogger("surveyor.plugins")
T = TypeVar("T")

# The core's domains are plugins of the core: always loaded, never allow-listed away.
CORE_PLUGINS: tuple[str, ...] = (
    "surveyor.core_plugin",
    "surveyor.auth.plugin",
    "surveyor.surveys.plugin",
    "surveyor.checkpoints.plugin",
    "surveyor.invitations.plugin",
    "surveyor.delivery.plugin",
    "surveyor.respond.plugin",
    "surveyor.followups.plugin",
    "surveyor.metrics.plugin",
    "surveyor.webhooks.plugin",
    "surveyor.sources.plugin",
    "surveyor.records.plugin",
    "surveyor.ops.plugin",
    "surveyor.branding.plugin",
)
# Built-in plugins that ship with Surveyor but may be switched off with the allow-list.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "surveyor_email",
    "surveyor_sms",
    "surveyor_webhook",
    "surveyor_text",
    "surveyor_mailbox",
)
ENTRY_POINT_GROUP = "surveyor"


class PluginError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


def make_plugin_manager(
    allowed: frozenset[str] | None = None,
    plugins_dir: str | Path | None = None,
    *,
    extra: tuple[object, ...] = (),
) -> pluggy.PluginManager:
    """A fresh manager for one app: never a global, so every test gets its own.

    ``allowed`` is the allow-list (``settings.plugin_allow_list``; None loads every
    plugin found), ``plugins_dir`` the folder of single-file plugins. An allow-list
    entry that names no plugin found stops the start: a typo there would otherwise
    switch the built-in channels off without a word.
    """
    pm = pluggy.PluginManager("surveyor")
    pm.add_hookspecs(hookspecs)
    for name in CORE_PLUGINS:
        _register(pm, importlib.import_module(name), name)
    for name in BUILTIN_PLUGINS:
        if allowed is None or name in allowed:
            _register(pm, importlib.import_module(name), name)
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and entry_point.name not in allowed:
            continue
        if pm.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginError(f"plugin {entry_point.name}: cannot load: {exc}") from exc
        _register(pm, plugin, entry_point.name)
    if plugins_dir:
        for module in load_plugins_dir(Path(plugins_dir), allowed):
            name = module.__name__.rsplit(".", 1)[-1]
            if pm.has_plugin(name):
                raise PluginError(f"plugin {name}: a plugin of that name is already loaded")
            _register(pm, module, name)
    for plugin in extra:
        _register(pm, plugin, _plugin_name(pm, plugin))
    missing = sorted(name for name in allowed or () if not pm.has_plugin(name))
    if missing:
        raise PluginError(
            f"SURVEYOR_PLUGINS: {', '.join(missing)}: no such plugin is installed "
            "(built in, entry point or plugins_dir)"
        )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(_one_line(exc)) from exc
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    # pluggy checks each hookimpl's arguments against its spec here: a wrong argument name
    # becomes a one-line start-up error that names the plugin and the hook.
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(_one_line(exc)) from exc


def _one_line(exc: Exception) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    # A module keeps its name; an instance is named by its class (pluggy would use its id()).
    name = getattr(plugin, "__name__", None)
    if not isinstance(name, str):
        name = f"{type(plugin).__module__}.{type(plugin).__qualname__}"
    return name if not pm.has_plugin(name) else f"{name}#{id(plugin)}"


def load_plugins_dir(folder: Path, allowed: frozenset[str] | None = None) -> list[Any]:
    """Import every ``*.py`` file of ``folder`` (named by its stem) that the allow-list permits.

    A file left out by the allow-list is not even imported: its code never runs.
    """
    if not folder.is_dir():
        raise PluginError(f"plugins_dir {folder}: not a folder")
    modules = []
    for path in sorted(folder.glob("*.py")):
        if allowed is not None and path.stem not in allowed:
            continue
        module_name = f"surveyor_plugins_dir.{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise PluginError(f"plugin {path}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise PluginError(f"plugin {path}: {exc}") from exc
        modules.append(module)
    return modules


async def await_me_maybe(value: Any) -> Any:
    """A hook may return a value, a callable or an awaitable; this makes it a value."""
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _impls_in_call_order(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    # pluggy calls the last registered (and tryfirst) implementations first.
    return [
        impl for impl in reversed(hook.get_hookimpls()) if not impl.hookwrapper and not impl.wrapper
    ]


def _call(impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
    return impl.function(*[kwargs[name] for name in impl.argnames])


async def gather(hook: pluggy.HookCaller, **kwargs: Any) -> list[Any]:
    """Call every implementation, await each result, skip (and log) the ones that raise.

    Returns the non-None results in pluggy's call order.
    """
    results = []
    for impl in _impls_in_call_order(hook):
        try:
            value = _call(impl, kwargs)
            if value is not None and type(value) is not dict:
                # Most template hooks answer None or a dict: only the rest is awaited
                # (a coroutine per implementation cost ~1 µs on every page).
                value = await await_me_maybe(value)
        except Exception:
            log.exception("plugin %s failed in hook %s", impl.plugin_name, hook.name)
            continue
        if value is not None:
            results.append(value)
    return results


async def gather_with_timeout(hook: pluggy.HookCaller, seconds: float, **kwargs: Any) -> None:
    """Like ``gather``, but each implementation gets ``seconds`` to finish; one that overruns
    (or raises) is logged and skipped. Results are ignored (domain-event hooks)."""
    for impl in _impls_in_call_order(hook):
        try:
            await asyncio.wait_for(await_me_maybe(_call(impl, kwargs)), seconds)
        except TimeoutError:
            log.error(
                "plugin %s timed out in hook %s after %ss", impl.plugin_name, hook.name, seconds
            )
        except Exception:
            log.exception("plugin %s failed in hook %s", impl.plugin_name, hook.name)


async def first_result(hook: pluggy.HookCaller, **kwargs: Any) -> Any:
    """The first non-None result (for ``firstresult`` hooks), with the same isolation."""
    for impl in _impls_in_call_order(hook):
        try:
            value = await await_me_maybe(_call(impl, kwargs))
        except Exception:
            log.exception("plugin %s failed in hook %s", impl.plugin_name, hook.name)
            continue
        if value is not None:
            return value
    return None


def collect(hook: pluggy.HookCaller, **kwargs: Any) -> list[Any]:
    """Run a registration hook, which takes a ``register`` callback, at start-up.

    Returns everything registered. A failing plugin stops the start: a half-registered
    plugin would be worse than none.
    """
    registered: list[Any] = []

    def register(*args: Any) -> None:
        registered.append(args[0] if len(args) == 1 else args)

    for impl in _impls_in_call_order(hook):
        try:
            _call(impl, {**kwargs, "register": register})
        except Exception as exc:
            raise PluginError(f"plugin {impl.plugin_name} failed in {hook.name}: {exc}") from exc
    return registered


def describe(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Plugins and the hooks each implements, for ``surveyor plugins`` and /-/plugins.json."""
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        version = getattr(plugin, "__version__", None)
        rows.append(
            {"name": name, "hooks": hooks, "version": version, "core": name in CORE_PLUGINS}
        )
    return rows
