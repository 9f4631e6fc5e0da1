"""Settings come from SURVEYOR_* and an optional TOML file; a wrong key or value stops start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from surveyor.cli import main
from surveyor.plugin_settings import env_name
from surveyor.plugins import collect, make_plugin_manager
from surveyor.settings import Settings, SettingsError, load_settings


def test_nothing_is_required_for_a_first_run_on_sqlite() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert not settings.is_postgres
    assert settings.database == "surveyor.db"


def test_environment_variables_are_read_and_converted() -> None:
    settings = load_settings(
        environ={
            "SURVEYOR_DATABASE": "postgresql://db.example/surveyor",
            "SURVEYOR_MAX_BODY_BYTES": "2048",
            "SURVEYOR_ALLOW_PRIVATE_WEBHOOKS": "true",
            "SURVEYOR_PLUGINS": "surveyor_email, my_plugin",
            "SURVEYOR_NEW_PASSWORD": "not a setting, read by users create",
            "PATH": "/usr/bin",
        }
    )
    assert settings.is_postgres
    assert settings.max_body_bytes == 2048
    assert settings.allow_private_webhooks is True
    assert settings.plugin_allow_list == frozenset({"surveyor_email", "my_plugin"})


def test_toml_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "surveyor.toml"
    config.write_text('database = "x.db"\nbase_url = "https://feedback.example.com"\n')
    settings = load_settings(config, environ={})
    assert settings.database == "x.db"
    assert settings.base_url == "https://feedback.example.com"
    assert settings.secure_cookies


def test_toml_file_can_be_named_by_surveyor_config(tmp_path: Path) -> None:
    config = tmp_path / "surveyor.toml"
    config.write_text("session_days = 3\n")
    assert load_settings(environ={"SURVEYOR_CONFIG": str(config)}).session_days == 3


def test_environment_beats_the_file(tmp_path: Path) -> None:
    config = tmp_path / "surveyor.toml"
    config.write_text('database = "file.db"\nsession_days = 3\n')
    settings = load_settings(config, environ={"SURVEYOR_DATABASE": "env.db"})
    assert settings.database == "env.db"
    assert settings.session_days == 3


@pytest.mark.parametrize(
    ("environ", "toml", "named"),
    [
        ({"SURVEYOR_DATABSE": "x.db"}, "", "SURVEYOR_DATABSE"),
        ({}, 'databse = "x.db"\n', "databse"),
        ({"SURVEYOR_MAX_BODY_BYTES": "lots"}, "", "max_body_bytes"),
        ({"SURVEYOR_MAX_BODY_BYTES": "10"}, "", "max_body_bytes"),
        ({}, "session_days = 0\n", "session_days"),
        ({"SURVEYOR_SQLITE_SYNCHRONOUS": "OFF"}, "", "sqlite_synchronous"),
        ({"SURVEYOR_BASE_URL": "feedback.example.com"}, "", "base_url"),
        ({"SURVEYOR_SECRET_KEY": "short"}, "", "secret_key"),
        ({"SURVEYOR_DEBUG": "perhaps"}, "", "debug"),
        ({}, "run_worker = 3\n", "run_worker"),
    ],
)
def test_a_wrong_key_or_value_names_the_key(
    tmp_path: Path, environ: dict[str, str], toml: str, named: str
) -> None:
    config = None
    if toml:
        config = tmp_path / "surveyor.toml"
        config.write_text(toml)
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ=environ)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_or_broken_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "missing.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("database = \n")
    with pytest.raises(SettingsError, match=r"broken\.toml"):
        load_settings(broken, environ={})


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})
    with pytest.raises(AttributeError):
        settings.database = "other.db"  # type: ignore[misc]


def test_links_are_built_from_base_url() -> None:
    settings = load_settings(environ={"SURVEYOR_BASE_URL": "https://x.example/feedback/"})
    assert settings.url("/s/abc") == "https://x.example/feedback/s/abc"


@pytest.mark.parametrize(
    ("environ", "toml", "named"),
    [
        ({"SURVEYOR_DATABSE": "x.db"}, "", "SURVEYOR_DATABSE"),
        ({}, 'log_levl = "INFO"\n', "log_levl"),
        ({"SURVEYOR_LOG_LEVEL": "LOUD"}, "", "log_level"),
    ],
)
def test_the_command_stops_with_one_line_naming_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environ: dict[str, str],
    toml: str,
    named: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    argv = ["migrate"]
    if toml:
        (tmp_path / "surveyor.toml").write_text(toml)
        argv = ["--config", str(tmp_path / "surveyor.toml"), "migrate"]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert named in err
    assert not (tmp_path / "surveyor.db").exists()


def test_a_real_process_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "surveyor.cli", "migrate"],
        env={"SURVEYOR_SESSION_DAYS": "forever", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "session_days" in result.stderr


def test_every_setting_is_documented_in_the_deployment_guide() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "deployment.md").read_text()
    rows = {line.split("`")[1] for line in guide.splitlines() if line.startswith("| `SURVEYOR_")}
    fields = {"SURVEYOR_" + name.upper() for name in Settings.__struct_fields__}
    # The built-in plugins' own settings (``register_settings``) belong in the table too.
    for name, struct in collect(make_plugin_manager().hook.register_settings):
        fields |= {env_name(name, field) for field in struct.__struct_fields__}
    assert fields - rows == set(), "add these to the settings table of docs/deployment.md"
    assert rows - fields == set(), "these documented settings do not exist"
