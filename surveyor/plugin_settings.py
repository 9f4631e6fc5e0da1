"""Plugins' own settings: each plugin declares a frozen Struct (``register_settings``),
filled from ``SURVEYOR_<PLUGIN>_*`` variables and a ``[plugins.<name>]`` table that
``load_settings(..., for_plugins=True)`` kept aside, and checked like the core's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from surveyor.settings import (
    ENV_PREFIX,
    FIELDS,
    PLUGIN_NAME,
    SettingsError,
    SettingsSources,
    T,
)


class PluginSettings:
    """Every plugin's validated settings, looked up by the plugin's own Struct type.

    ``services.plugin_settings(ChatSettings)`` returns the ``ChatSettings`` instance
    built at start-up (typed: the result is a ``ChatSettings``).
    """

    def __init__(self, values: Mapping[str, msgspec.Struct] | None = None) -> None:
        self._by_name = dict(values or {})
        self._by_type = {type(value): value for value in self._by_name.values()}

    def __call__(self, struct: type[T]) -> T:
        try:
            return self._by_type[struct]  # type: ignore[return-value]
        except KeyError:
            raise LookupError(
                f"{struct.__qualname__}: no plugin registered these settings"
            ) from None

    def by_name(self, name: str) -> msgspec.Struct:
        """The settings registered under ``name`` (untyped; prefer calling with the type)."""
        return self._by_name[name]

    def names(self) -> list[str]:
        return sorted(self._by_name)


def env_name(plugin: str, field: str) -> str:
    """The variable of one plugin setting: ``SURVEYOR_<PLUGIN>_<FIELD>``."""
    return f"{ENV_PREFIX}{plugin.upper()}_{field.upper()}"


def _check_declaration(name: object, struct: object) -> None:
    if not isinstance(name, str) or not PLUGIN_NAME.match(name):
        raise SettingsError(
            f"register_settings: {name!r} is not a settings name (lower case, digits, _)"
        )
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        raise SettingsError(f"plugins.{name}: the settings must be a msgspec.Struct class")
    config = struct.__struct_config__
    if not (config.frozen and config.forbid_unknown_fields):
        raise SettingsError(
            f"plugins.{name}: {struct.__qualname__} must be declared with "
            "frozen=True, forbid_unknown_fields=True"
        )


def load_plugin_settings(declared: list[Any], sources: SettingsSources) -> PluginSettings:
    """Validate each declared plugin's settings from ``sources``; refuse what is left.

    ``declared`` holds ``(name, Struct)`` pairs from the ``register_settings`` hook. A
    variable ``SURVEYOR_<NAME>_X`` or a key of ``[plugins.<name>]`` that names no field
    of the plugin's Struct, a ``[plugins.<name>]`` table of no plugin, and any other
    ``SURVEYOR_*`` variable stop the start with one line naming it.
    """
    claimed: dict[str, str] = {ENV_PREFIX + f.upper(): "a core setting" for f in FIELDS}
    owner: dict[str, tuple[str, str]] = {}  # variable -> (plugin, field)
    structs: dict[str, type[msgspec.Struct]] = {}
    for item in declared:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise SettingsError(f"register_settings: call register(name, Struct), not {item!r}")
        name, struct = item
        _check_declaration(name, struct)
        if name in structs:
            raise SettingsError(f"plugins.{name}: settings registered twice")
        structs[name] = struct
        for field in struct.__struct_fields__:
            variable = env_name(name, field)
            if variable in claimed:
                raise SettingsError(
                    f"{variable}: plugin settings {name!r} clash with {claimed[variable]}"
                )
            claimed[variable] = f"plugin settings {name!r}"
            owner[variable] = (name, field)
    from_env: dict[str, dict[str, tuple[str, str]]] = {name: {} for name in structs}
    for variable in sorted(sources.environ):
        if variable in owner:
            name, field = owner[variable]
            from_env[name][field] = (variable, sources.environ[variable])
            continue
        # The longest plugin name that prefixes it: SURVEYOR_A_B_X is plugin a_b's if any.
        prefixes = [n for n in structs if variable.startswith(f"{ENV_PREFIX}{n.upper()}_")]
        if prefixes:
            name = max(prefixes, key=len)
            raise SettingsError(f"{variable}: unknown setting of plugin {name!r}")
        raise SettingsError(f"{variable}: unknown setting")
    for name in sorted(sources.tables):
        if name not in structs:
            where = f" in {sources.file}" if sources.file else ""
            raise SettingsError(f"[plugins.{name}]: no plugin declares these settings{where}")
    return PluginSettings(
        {name: _load_one(name, struct, from_env[name], sources) for name, struct in structs.items()}
    )


def _load_one(
    name: str,
    struct: type[msgspec.Struct],
    from_env: dict[str, tuple[str, str]],
    sources: SettingsSources,
) -> msgspec.Struct:
    fields = struct.__struct_fields__
    where = f" in {sources.file}" if sources.file else ""
    raw: dict[str, object] = {}
    origin: dict[str, str] = {}
    for key, value in sources.tables.get(name, {}).items():
        if key not in fields:
            raise SettingsError(f"plugins.{name}.{key}: unknown setting{where}")
        raw[key] = value
        origin[key] = f"plugins.{name}.{key}"
    for key, (variable, value) in from_env.items():  # the environment wins over the file
        raw[key] = value
        origin[key] = variable
    try:
        return msgspec.convert(raw, struct, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if " - at `$." in message:
            text, _, at = message.rpartition(" - at `$.")
            key = at.rstrip("`").split(".", 1)[0].split("[", 1)[0]
            raise SettingsError(f"{origin.get(key, env_name(name, key))}: {text}") from None
        missing = re.search(r"missing required field `([^`]+)`", message)
        if missing:
            key = missing.group(1)
            raise SettingsError(
                f"{env_name(name, key)}: required (or plugins.{name}.{key} in the file)"
            ) from None
        raise SettingsError(f"plugins.{name}: {message}") from None
