"""Helpers for tests that run the emulator for real: a server thread and a webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from emulator import create_app

APPID = "wx_demo_appid"
SECRET = "demo_secret"


class ServerThread:
    """A WSGI app served by werkzeug on a free loopback port, in a daemon thread."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        # A short poll interval makes shutdown() quick between tests.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Emulator:
    """A running emulator and shortcuts to call it like a WeChat SDK would."""

    base: str
    app: Flask
    _token: str | None = None

    def token(self, fresh: bool = False) -> str:
        """An access token (fetched once unless ``fresh``)."""
        if fresh or self._token is None:
            answer = self.get("/cgi-bin/token", grant_type="client_credential", appid=APPID, secret=SECRET)
            self._token = answer["access_token"]
        return self._token

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """GET a WeChat API path with query parameters; the JSON answer."""
        return requests.get(self.base + path, params=params, timeout=10).json()

    def api(self, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
        """POST JSON to a WeChat API path with the access token; the JSON answer."""
        params = {"access_token": token or self.token()}
        response = requests.post(self.base + path, params=params, json=body or {}, timeout=10)
        assert response.status_code == 200, "WeChat answers HTTP 200 even for errors"
        return response.json()

    def admin(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Call the admin API (``/_admin/...``); the JSON answer."""
        response = requests.request(method, self.base + "/_admin" + path, json=body, params=params, timeout=10)
        return response.json()

    def follower(self, openid: str, **fields: Any) -> dict[str, Any]:
        """Create or update a follower through the admin API."""
        return self.admin("POST", "/users", {"openid": openid, **fields})

    def move_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward by ``seconds`` (the cached token may expire)."""
        self.admin("POST", "/clock", {"advance_seconds": seconds})
        self._token = None

    def messages(self, openid: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """What reached phones, in order."""
        if openid:
            params["openid"] = openid
        return self.admin("GET", "/messages", **params)

    def phone(self, body: dict[str, Any]) -> requests.Response:
        """What the citizen does on the phone."""
        return requests.post(self.base + "/_phone/send", json=body, timeout=30)


def start_emulator(config: dict[str, Any] | None = None) -> tuple[Emulator, ServerThread]:
    """Start an emulator on a free port."""
    app = create_app(config)
    server = ServerThread(app)
    return Emulator(server.base, app), server


@dataclass
class Received:
    """One request the fake service received."""

    path: str
    params: dict[str, str]
    body: str


Responder = Callable[[Received], tuple[int, str]]


@dataclass
class WebhookReceiver:
    """A tiny HTTP server standing in for the service's ``/wechat``."""

    responder: Responder = field(default=lambda received: (200, "success"))
    url: str = ""
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        """Serve on a free port; returns the webhook URL."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                got = Received(parts.path, dict(parse_qsl(parts.query)), self.rfile.read(length).decode("utf-8"))
                with receiver.lock:
                    receiver.received.append(got)
                status, body = receiver.responder(got)
                data = body.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the emulator gave up waiting (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/wechat"
        return self.url

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least ``count`` requests arrived; the requests."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} webhook posts, got {len(self.received)}")
