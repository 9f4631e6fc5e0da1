"""Plugin settings: declared with register_settings, read from SURVEYOR_<PLUGIN>_* and
[plugins.<name>], checked at start-up with one-line errors; unknown keys still refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from surveyor import hookimpl
from surveyor.app import build_services
from surveyor.cli import main
from surveyor.plugin_settings import PluginSettings
from surveyor.plugins import PluginError, make_plugin_manager
from surveyor.settings import SettingsError, load_settings


class ChatSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: str
    timeout: float = 5.0
    channels: list[str] = msgspec.field(default_factory=list)


class ChatPlugin:
    @hookimpl
    def register_settings(self, register: Any) -> None:
        register("chat", ChatSettings)


def _services(tmp_path: Path, environ: dict[str, str], toml: str = "", *plugins: object):  # type: ignore[no-untyped-def]
    config = None
    if toml:
        config = tmp_path / "surveyor.toml"
        config.write_text(toml)
    settings = load_settings(
        config, environ=environ, for_plugins=True, database=str(tmp_path / "s.db")
    )
    pm = make_plugin_manager(
        settings.plugin_allow_list, settings.plugins_dir, extra=plugins or (ChatPlugin(),)
    )
    return build_services(settings, pm)


def _error(tmp_path: Path, environ: dict[str, str], toml: str = "", *plugins: object) -> str:
    with pytest.raises(SettingsError) as caught:
        _services(tmp_path, environ, toml, *plugins)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_values_come_from_the_environment(tmp_path: Path) -> None:
    svc = _services(
        tmp_path, {"SURVEYOR_CHAT_URL": "https://chat.example/x", "SURVEYOR_CHAT_TIMEOUT": "2.5"}
    )
    chat = svc.plugin_settings(ChatSettings)
    assert chat == ChatSettings(url="https://chat.example/x", timeout=2.5)
    assert isinstance(chat, ChatSettings)
    # The built-in mailbox declares settings too (SURVEYOR_MAILBOX_MODE, issue 13).
    assert svc.plugin_settings.names() == ["chat", "mailbox"]


def test_values_come_from_the_file_and_the_environment_wins(tmp_path: Path) -> None:
    toml = (
        'database = "ignored.db"\n'
        "[plugins]\n"
        'enabled = "surveyor_email"\n'
        "[plugins.chat]\n"
        'url = "https://file.example/"\n'
        "timeout = 7\n"
        'channels = ["#support", "#sales"]\n'
    )
    svc = _services(tmp_path, {"SURVEYOR_CHAT_TIMEOUT": "1.5"}, toml)
    assert svc.plugin_settings(ChatSettings) == ChatSettings(
        url="https://file.example/", timeout=1.5, channels=["#support", "#sales"]
    )
    # `enabled` in the [plugins] table is the allow-list.
    assert svc.settings.plugin_allow_list == frozenset({"surveyor_email"})
    assert svc.pm.has_plugin("surveyor_email") and not svc.pm.has_plugin("surveyor_sms")


def test_the_allow_list_may_still_be_a_plain_string_in_the_file(tmp_path: Path) -> None:
    svc = _services(tmp_path, {"SURVEYOR_CHAT_URL": "u"}, 'plugins = "surveyor_sms"\n')
    assert svc.settings.plugin_allow_list == frozenset({"surveyor_sms"})


@pytest.mark.parametrize(
    ("environ", "toml", "named"),
    [
        ({"SURVEYOR_CHAT_URL": "u", "SURVEYOR_CHAT_TIMEOUT": "soon"}, "", "SURVEYOR_CHAT_TIMEOUT"),
        ({}, '[plugins.chat]\nurl = "u"\ntimeout = "soon"\n', "plugins.chat.timeout"),
        ({}, "[plugins.chat]\nurl = 3\n", "plugins.chat.url"),
        ({"SURVEYOR_CHAT_URL": "u", "SURVEYOR_CHAT_COLOUR": "red"}, "", "SURVEYOR_CHAT_COLOUR"),
        ({}, '[plugins.chat]\nurl = "u"\ncolour = "red"\n', "plugins.chat.colour"),
        ({"SURVEYOR_CHAT_URL": "u", "SURVEYOR_NOPE_X": "1"}, "", "SURVEYOR_NOPE_X"),
        ({"SURVEYOR_CHAT_URL": "u"}, "[plugins.nope]\nx = 1\n", "[plugins.nope]"),
        ({"SURVEYOR_CHAT_URL": "u"}, '[plugins]\nsomething = "x"\n', "plugins.something"),
        ({}, "", "SURVEYOR_CHAT_URL"),  # required, missing
    ],
)
def test_a_wrong_or_unknown_plugin_setting_stops_the_start_with_one_line(
    tmp_path: Path, environ: dict[str, str], toml: str, named: str
) -> None:
    assert named in _error(tmp_path, environ, toml)


def test_the_message_names_the_variable_and_the_problem(tmp_path: Path) -> None:
    message = _error(tmp_path, {"SURVEYOR_CHAT_URL": "u", "SURVEYOR_CHAT_TIMEOUT": "soon"})
    assert message == "SURVEYOR_CHAT_TIMEOUT: Expected `float`, got `str`"
    assert _error(tmp_path, {"SURVEYOR_CHAT_URL": "u", "SURVEYOR_CHAT_COLOUR": "red"}) == (
        "SURVEYOR_CHAT_COLOUR: unknown setting of plugin 'chat'"
    )


def test_without_plugins_every_unknown_variable_is_refused_at_once() -> None:
    with pytest.raises(SettingsError, match="SURVEYOR_CHAT_URL: unknown setting"):
        load_settings(environ={"SURVEYOR_CHAT_URL": "u"})


def test_a_plugin_left_out_by_the_allow_list_claims_nothing(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"SURVEYOR_CHAT_URL": "u", "SURVEYOR_PLUGINS": "surveyor_email"},
        for_plugins=True,
        database=str(tmp_path / "s.db"),
    )
    with pytest.raises(SettingsError, match="SURVEYOR_CHAT_URL: unknown setting"):
        build_services(settings)


class Thawed(msgspec.Struct, forbid_unknown_fields=True):
    x: int = 1


class Lax(msgspec.Struct, frozen=True):
    x: int = 1


class Clash(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: str = ""


def _declaring(name: str, struct: object) -> object:
    class Declares:
        @hookimpl
        def register_settings(self, register: Any) -> None:
            register(name, struct)

    return Declares()


@pytest.mark.parametrize(
    ("name", "struct", "named"),
    [
        ("thawed", Thawed, "frozen=True, forbid_unknown_fields=True"),
        ("lax", Lax, "frozen=True, forbid_unknown_fields=True"),
        ("dicty", dict, "msgspec.Struct"),
        ("Bad-Name", Clash, "Bad-Name"),
        ("email", Clash, "SURVEYOR_EMAIL_URL"),  # the core's setting
        ("chat", Clash, "registered twice"),
    ],
)
def test_a_bad_declaration_stops_the_start(
    tmp_path: Path, name: str, struct: object, named: str
) -> None:
    plugins = (_declaring(name, struct),)
    if name == "chat":
        plugins = (ChatPlugin(), *plugins)
    assert named in _error(tmp_path, {"SURVEYOR_CHAT_URL": "u"}, "", *plugins)


def test_two_plugins_cannot_spell_the_same_variable(tmp_path: Path) -> None:
    class A(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        b_c: str = ""

    class B(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        c: str = ""

    message = _error(tmp_path, {}, "", _declaring("a", A), _declaring("a_b", B))
    assert "SURVEYOR_A_B_C" in message


def test_the_accessor_is_typed_and_says_what_is_missing() -> None:
    settings = PluginSettings({"chat": ChatSettings(url="u")})
    assert settings(ChatSettings).url == "u"
    assert settings.by_name("chat") == ChatSettings(url="u")
    with pytest.raises(LookupError, match="Clash"):
        settings(Clash)


def test_an_allow_list_naming_no_plugin_stops_the_start() -> None:
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(frozenset({"surveyor_email", "surveyor_emial"}))
    message = str(caught.value)
    assert message.startswith("SURVEYOR_PLUGINS: surveyor_emial:")
    assert "\n" not in message


SINGLE_FILE = """
import msgspec
from surveyor import hookimpl


class HelloSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    greeting: str = "hi"
    times: int = 1


@hookimpl
def register_settings(register):
    register("hello", HelloSettings)
"""


@pytest.mark.parametrize(
    ("environ", "named", "status"),
    [
        ({"SURVEYOR_PLUGINS": "hello,surveyor_emial"}, "surveyor_emial", 1),
        ({"SURVEYOR_HELLO_TIMES": "many"}, "SURVEYOR_HELLO_TIMES", 2),
        ({"SURVEYOR_HELLO_COLOUR": "red"}, "SURVEYOR_HELLO_COLOUR", 2),
        ({"SURVEYOR_HELO_TIMES": "2"}, "SURVEYOR_HELO_TIMES", 2),
    ],
)
def test_the_command_stops_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environ: dict[str, str],
    named: str,
    status: int,
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hello.py").write_text(SINGLE_FILE)
    monkeypatch.chdir(tmp_path)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert main(["--plugins-dir", str(folder), "migrate"]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err, err
    assert not (tmp_path / "surveyor.db").exists()


def test_the_command_runs_with_valid_plugin_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hello.py").write_text(SINGLE_FILE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SURVEYOR_HELLO_TIMES", "3")
    assert main(["--plugins-dir", str(folder), "migrate"]) == 0
    assert "applied" in capsys.readouterr().out


def test_a_variable_goes_to_the_plugin_whose_field_it_spells(tmp_path: Path) -> None:
    class A(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        x: str = ""

    class AB(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        c: str = ""

    plugins = (_declaring("a", A), _declaring("a_b", AB))
    svc = _services(tmp_path, {"SURVEYOR_A_B_C": "1", "SURVEYOR_A_X": "2"}, "", *plugins)
    assert (svc.plugin_settings(A).x, svc.plugin_settings(AB).c) == ("2", "1")
    assert "plugin 'a_b'" in _error(tmp_path, {"SURVEYOR_A_B_Z": "1"}, "", *plugins)


def test_surveyor_plugins_checks_the_plugin_settings_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hello.py").write_text(SINGLE_FILE)
    monkeypatch.setenv("SURVEYOR_HELLO_TIMES", "many")
    assert main(["--plugins-dir", str(folder), "plugins"]) == 2
    assert "SURVEYOR_HELLO_TIMES" in capsys.readouterr().err
    monkeypatch.setenv("SURVEYOR_HELLO_TIMES", "2")
    assert main(["--plugins-dir", str(folder), "plugins"]) == 0
    assert "hello (plugin): register_settings" in capsys.readouterr().out
