"""Interaction times and follows written behind the webhook (services.participation.interactions).

Run on SQLite and on PostgreSQL (``make test`` runs both): the upsert is the part that differs.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from models import Citizen, db
from services.calendar import clock
from services.participation import interactions

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


def _note(client, openid: str, at: dt.datetime, interactive: bool = True, followed: bool = False) -> None:
    pipe = client.pipeline(transaction=False)
    interactions.note(pipe, openid, at, interactive, followed=followed)
    pipe.execute()


def _rows(app) -> dict[str, Citizen]:
    with app.app_context():
        rows = db.session.scalars(select(Citizen)).all()
        db.session.expunge_all()
        return {row.openid: row for row in rows}


def test_a_flush_creates_new_citizens_and_keeps_the_latest_time(app, redis_client):
    with app.app_context():
        db.session.add(Citizen(openid="o_known", created_at=T0, following=True, followed_at=T0,
                               last_interaction_at=T0 + dt.timedelta(hours=2)))
        db.session.commit()
    _note(redis_client, "o_new", T0 + dt.timedelta(minutes=5))
    _note(redis_client, "o_new", T0 + dt.timedelta(minutes=1))  # arrives late: ZADD GT keeps the later
    _note(redis_client, "o_known", T0 + dt.timedelta(hours=1))  # older than what is stored
    _note(redis_client, "o_viewer", T0, interactive=False)  # a VIEW: known, but no window opened
    with app.app_context():
        assert interactions.flush(db.session, redis_client) == 3
    rows = _rows(app)
    assert rows["o_new"].last_interaction_at == T0 + dt.timedelta(minutes=5)
    assert rows["o_new"].following is True and rows["o_new"].created_at == T0 + dt.timedelta(minutes=5)
    assert rows["o_known"].last_interaction_at == T0 + dt.timedelta(hours=2), "an older note never moves time back"
    assert rows["o_viewer"].last_interaction_at is None
    assert interactions.pending_count(redis_client) == 0


def test_a_follow_and_an_unfollow_end_as_they_happened_whatever_the_flush_order(app, redis_client):
    with app.app_context():
        db.session.add_all([
            Citizen(openid="o_left_later", created_at=T0, following=False, followed_at=T0,
                    unfollowed_at=T0 + dt.timedelta(minutes=10)),
            Citizen(openid="o_came_back", created_at=T0, following=False, followed_at=T0,
                    unfollowed_at=T0 + dt.timedelta(minutes=10)),
        ])
        db.session.commit()
    _note(redis_client, "o_left_later", T0 + dt.timedelta(minutes=5), followed=True)  # followed, then unfollowed
    _note(redis_client, "o_came_back", T0 + dt.timedelta(minutes=15), followed=True)  # unfollowed, then followed
    with app.app_context():
        interactions.flush(db.session, redis_client)
    rows = _rows(app)
    assert rows["o_left_later"].following is False
    assert rows["o_came_back"].following is True
    assert rows["o_came_back"].followed_at == T0 + dt.timedelta(minutes=15)


def test_a_flusher_killed_mid_batch_loses_no_citizen_and_records_each_once(app, redis_server, redis_client,
                                                                          database_url):
    openids = [f"o_batch_{n:04d}" for n in range(1200)]
    pipe = redis_client.pipeline(transaction=False)
    for n, openid in enumerate(openids):
        interactions.note(pipe, openid, T0 + dt.timedelta(seconds=n), True)
    pipe.execute()
    # A real process flushes in chunks of 500 and is SIGKILLed after its second chunk was committed,
    # before that chunk left the set: the worst moment.
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal, redis
        from tests.conftest import make_test_app
        from models import db
        from services.participation import interactions
        app = make_test_app(__import__("pathlib").Path("."), {redis_server!r}, DATABASE_URL={database_url!r})
        calls = []
        real_zrem = redis.Redis.zrem
        def zrem(self, *args):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_zrem(self, *args)
        redis.Redis.zrem = zrem
        with app.app_context():
            interactions.flush(db.session, app.extensions["redis"], chunk=500)
    """)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert interactions.pending_count(redis_client) == 700, "the killed batch's last 700 notes wait in Redis"
    # Meanwhile citizens keep writing: some already written, some left in the killed batch, some new.
    later = T0 + dt.timedelta(days=1)
    for openid in (openids[0], openids[700], openids[1199], "o_after_the_kill"):
        _note(redis_client, openid, later)
    with app.app_context():
        interactions.flush(db.session, redis_client)
        assert interactions.flush(db.session, redis_client) == 0, "nothing left"
        counts = dict(db.session.execute(select(Citizen.openid, func.count()).group_by(Citizen.openid)).all())
    rows = _rows(app)
    assert set(counts) == set(openids) | {"o_after_the_kill"} and set(counts.values()) == {1}
    for n, openid in enumerate(openids):
        expected = later if openid in (openids[0], openids[700], openids[1199]) else T0 + dt.timedelta(seconds=n)
        assert rows[openid].last_interaction_at == expected, openid
    assert rows["o_after_the_kill"].last_interaction_at == later
    assert interactions.pending_count(redis_client) == 0


def test_the_webhook_notes_in_redis_and_the_scheduler_job_writes(app, wechat, redis_client, fixed_now):
    wechat.text("o_writer", "帮助")
    wechat.event("o_writer", "VIEW", EventKey="http://127.0.0.1/")
    assert _rows(app) == {}, "no database work on the hot path"
    assert interactions.pending_count(redis_client) == 2  # seen (帮助) and contacted (VIEW)
    assert wechat.flush() == 1
    assert _rows(app)["o_writer"].last_interaction_at == clock.now()


def test_with_redis_down_the_webhook_records_the_interaction_at_once(tmp_path, database_url):
    from tests.conftest import WeChat, make_test_app

    app = make_test_app(tmp_path, "unix:///nonexistent/redis.sock", DATABASE_URL=database_url)
    wechat = WeChat(app.test_client())
    with clock.frozen(T0):
        assert "【报名】" in wechat.text("o_no_redis", "帮助")
    assert _rows(app)["o_no_redis"].last_interaction_at == T0


def test_redis_failing_after_handling_records_the_interaction_in_the_database(app, wechat, redis_client,
                                                                            monkeypatch, fixed_now):
    import redis as redis_lib

    from bot.dedup import OwnConnectionPipeline

    real_execute = OwnConnectionPipeline.execute

    def execute(self, *args, **kwargs):
        if any(command[0][0] == "ZADD" for command in self.command_stack):  # the trip after handling
            raise redis_lib.ConnectionError("Redis went away between the two round trips")
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(OwnConnectionPipeline, "execute", execute)
    assert "【报名】" in wechat.text("o_unlucky", "帮助")
    assert interactions.pending_count(redis_client) == 0
    assert _rows(app)["o_unlucky"].last_interaction_at == clock.now(), "written at once instead of noted"
