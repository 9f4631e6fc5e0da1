"""First-run polish (issue 13): printed links follow the address the server listens on."""

from __future__ import annotations

import os

import pytest

from surveyor.serve import follow_address
from surveyor.settings import load_settings


def test_links_follow_the_real_port_when_no_base_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Set (empty) through monkeypatch, so whatever follow_address writes is undone after.
    monkeypatch.setenv("SURVEYOR_BASE_URL", "")
    settings = follow_address(load_settings(environ={}), "127.0.0.1", 8123)
    assert settings.url("/setup/x") == "http://127.0.0.1:8123/setup/x"
    assert os.environ["SURVEYOR_BASE_URL"] == "http://127.0.0.1:8123"  # for the server's processes
    monkeypatch.setenv("SURVEYOR_BASE_URL", "")
    anywhere = "0.0.0.0"  # noqa: S104
    assert follow_address(load_settings(environ={}), anywhere, 9000).base_url == (
        "http://127.0.0.1:9000"
    )


def test_a_configured_base_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEYOR_BASE_URL", "")
    configured = load_settings(environ={}, base_url="https://feedback.example.com")
    assert follow_address(configured, "127.0.0.1", 8123) is configured
    assert os.environ["SURVEYOR_BASE_URL"] == ""
