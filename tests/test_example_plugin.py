"""The example plugin's parts, quickly and in-process (``examples/surveyor-chat``).

The end-to-end test (wheels, a fresh venv, ``surveyor serve``) is in test_packaging.py;
these check what it does not reach: failures of the channel and the kind's answers.
"""

from __future__ import annotations

import http.server
import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from surveyor import DeliveryError, Message
from surveyor.surveys.kinds import AnswerError

SRC = Path(__file__).resolve().parent.parent / "examples" / "surveyor-chat" / "src"


@pytest.fixture(scope="module")
def chat() -> Iterator[ModuleType]:
    sys.path.insert(0, str(SRC))
    try:
        yield importlib.import_module("surveyor_chat")
    finally:
        sys.path.remove(str(SRC))


@pytest.fixture
def refusing_server() -> Iterator[tuple[int, list[bytes]]]:
    """A chat service that answers every post with 500."""
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], bodies
    finally:
        server.shutdown()
        server.server_close()


def test_thumbs_reads_up_and_down_and_refuses_anything_else(chat: ModuleType) -> None:
    check = chat.THUMBS.check
    assert check(None, " Up ") == "up"
    assert check(None, False) == "down"
    for bad in ("sideways", 1, ["up"], None):
        with pytest.raises(AnswerError):
            check(None, bad)
    assert chat.THUMBS.text(None, "down", "en") == "👎 down"
    assert chat.THUMBS.domain(None) == ["up", "down"]


def test_the_channel_reaches_every_contact_only_once_configured(chat: ModuleType) -> None:
    channel = chat.ChatChannel()
    assert channel.address_for(object()) is None
    services = SimpleNamespace(plugin_settings=lambda _: chat.ChatSettings(url="json://x/"))
    channel.configure(services)
    assert channel.address_for(object()) == "room"  # a name, never the URL


async def test_a_refusing_chat_service_is_retried_and_a_bad_url_is_not(
    chat: ModuleType, refusing_server: tuple[int, list[bytes]]
) -> None:
    port, bodies = refusing_server
    channel = chat.ChatChannel()
    channel.url = f"json://127.0.0.1:{port}/hooks"
    message = Message(kind="invitation", recipient="room", recipient_name="Ana", link="http://s/1")
    with pytest.raises(DeliveryError) as refused:
        await channel.send(message)
    assert not refused.value.permanent
    assert b"Survey for Ana" in bodies[0]
    channel.url = "nonsense://"
    with pytest.raises(DeliveryError) as unusable:
        await channel.send(message)
    assert unusable.value.permanent
