"""Slow clients (issue 25): 48 connections that send their request's headers one line every two seconds
hold no web process. Real gunicorn with the production ``gunicorn.conf.py`` (2 processes): WeChat's
pushes and the liveness probe are answered within a second while the slow connections hang, and the
server drops each slow connection once its header deadline passes.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from tests.reliability.web_processes import Gunicorn, flask, service_env

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]  # the web processes, not the database, are tested

SLOW_CONNECTIONS = 48
LINE_EVERY = 2.0
HEADER_DEADLINE = 5.0  # web_worker.HEADER_SECONDS
BODY_DEADLINE = 3.0  # WEB_BODY_TIMEOUT_SECONDS for the test (10 s by default)


class Slowloris:
    """Keeps ``count`` connections sending a request's headers one line every ``LINE_EVERY`` seconds,
    and opens a new one for each the server closes (as an attacker's tool does)."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.lifetimes: list[float] = []  # seconds from opening to the server closing it
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Slowloris:
        self._thread.start()
        deadline = time.monotonic() + 10
        while self.opened < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # every connection has reached a worker
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _open(self) -> list:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(b"POST /wechat HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened += 1
        now = time.monotonic()
        return [sock, now, now]

    def _run(self) -> None:
        conns = [self._open() for _ in range(self.count)]
        while not self._stop.is_set():
            for conn in conns:
                sock, opened, last = conn
                if self._closed_by_server(sock):
                    self.lifetimes.append(time.monotonic() - opened)
                    sock.close()
                    try:
                        conn[:] = self._open()
                    except OSError:
                        return  # the server is gone (the test failed and stopped it)
                elif time.monotonic() - last >= LINE_EVERY:
                    try:
                        sock.sendall(b"X-Slow: 1\r\n")
                    except OSError:
                        continue  # closed: noticed on the next round
                    conn[2] = time.monotonic()
            self._stop.wait(0.2)
        for sock, _, _ in conns:
            sock.close()

    @staticmethod
    def _closed_by_server(sock: socket.socket) -> bool:
        try:
            sock.recv(1024, socket.MSG_DONTWAIT)  # b"" (closed) or an answer before closing
        except BlockingIOError:
            return False
        except OSError:
            pass
        return True


def test_48_slow_connections_leave_the_webhook_and_the_liveness_probe_answering_within_a_second(tmp_path):
    env = service_env(tmp_path, WEB_BODY_TIMEOUT_SECONDS=str(BODY_DEADLINE))
    flask(env, "db", "upgrade")
    flask(env, "demo", "load")
    web = Gunicorn(env, workers=2, threads=4)  # the threads of a gthread worker; gevent's ignores them
    try:
        wechat = web.wechat(timeout=3)
        assert wechat.text("o_slow_warm", "帮助")
        webhook, live = [], []
        with Slowloris(web.port, SLOW_CONNECTIONS) as slow:
            for n in range(16):  # 8 s while the slow connections hang (and are replaced when dropped)
                webhook.append(_timed(lambda n=n: wechat.text(f"o_slow_{n % 4}", "帮助")))
                live.append(_timed(lambda: requests.get(web.base_url + "/livez", timeout=3)))
                time.sleep(0.5)
            dropped = list(slow.lifetimes)
        late = [(seconds, str(answer)[:60]) for seconds, answer in webhook
                if seconds >= 1.0 or not isinstance(answer, str) or not answer]
        assert not late, f"{len(late)} of {len(webhook)} pushes late or unanswered: {late[:3]}\n{web.output()}"
        assert all(seconds < 1.0 and answer.status_code == 200 for seconds, answer in live), live
        # Every slow connection is dropped once its header deadline passes (they hang no longer than that).
        assert len(dropped) >= SLOW_CONNECTIONS, (len(dropped), dropped[:5])
        assert max(dropped) < HEADER_DEADLINE + LINE_EVERY + 1, max(dropped)
        assert "server" not in {name.lower() for name in live[-1][1].headers}, live[-1][1].headers
        # A body sent as slowly is refused once its deadline passes, and the connection closed.
        started = time.monotonic()
        answer = _slow_body(web.port)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - started < BODY_DEADLINE + LINE_EVERY + 1
    finally:
        web.stop()


def _slow_body(port: int) -> bytes:
    """Whole headers, then the first byte of a 100-byte body and no more; what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=BODY_DEADLINE + 10) as sock:
        sock.sendall(b"POST /wechat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                     b"Content-Length: 100\r\n\r\n<")
        answer = b""
        sock.setblocking(False)
        for _ in range(int((BODY_DEADLINE + 5) / 0.1)):
            try:
                chunk = sock.recv(4096)
            except BlockingIOError:
                time.sleep(0.1)
                continue
            if not chunk:
                break
            answer += chunk
        return answer


def _timed(call) -> tuple[float, object]:
    started = time.monotonic()
    try:
        answer = call()
    except requests.RequestException as error:
        answer = error
    return time.monotonic() - started, answer
