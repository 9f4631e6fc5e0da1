"""Real servers on 127.0.0.1 for the channel tests: an SMTP sink (aiosmtpd) that can be
scripted to refuse recipients, and an HTTP receiver (http.server in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Keeps every message; ``rcpt_replies`` are answered to RCPT TO first (e.g. "450 …"),
    ``refuse_once`` answers a given recipient once; ``drop_connections()`` closes every
    client connection from the server's side (as an idle timeout does)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.rcpt_replies: list[str] = []
        self.refuse_once: dict[str, str] = {}
        self.rcpt_seen = 0
        self.connections: list[Any] = []  # each session's transport, in arrival order
        self.controller: Controller | None = None
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections.append(server.transport)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_seen += 1
            if self.rcpt_replies:
                return self.rcpt_replies.pop(0)
            if address in self.refuse_once:
                return self.refuse_once.pop(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 Message accepted"

    def drop_connections(self) -> int:
        """Close every open client connection now; returns how many were open."""
        assert self.controller is not None

        async def drop() -> int:
            dropped = 0
            for transport in self.connections:
                if not transport.is_closing():
                    transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
                    transport.close()
                    dropped += 1
            return dropped

        return asyncio.run_coroutine_threadsafe(drop(), self.controller.loop).result(10)


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.controller = controller
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


class Receiver:
    """What the HTTP server got, and what it answers next."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.headers: dict[str, str] = {}
        self.body = b"ok"


@contextlib.contextmanager
def http_server() -> Iterator[tuple[Receiver, int]]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append((self.path, dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.body)))
            self.end_headers()
            self.wfile.write(receiver.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
