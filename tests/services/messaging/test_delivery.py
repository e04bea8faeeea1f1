"""Delivery of outbox rows against the real WeChat API emulator: channels, every failure class, recovery."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from models import Citizen, OutboxMessage, OutboxStatus, db
from scheduler import worker
from services.calendar import clock
from services.messaging import channels, delivery, outbox
from services.participation import interactions
from tests.conftest import WeChat
from tests.scheduler.fixtures import app_on_emulator, make_citizen, running_emulator

NOW = dt.datetime(2026, 10, 10, 9, 5, tzinfo=clock.SHANGHAI)
TEMPLATE = "/cgi-bin/message/template/send"
CUSTOM = "/cgi-bin/message/custom/send"
REMINDER = {
    "text": "【活动提醒】您入选的“政务开放日·医保服务”将于10月12日 09:30举行。",
    "template": "reminder",
    "data": {"title": "政务开放日·医保服务站与十五分钟便民服务圈现场体验", "time": "2026年10月12日 09:30",
             "place": "清源街道\n政务服务大厅"},
    "url": "https://zm.example.gov.cn/events/1",
}


@pytest.fixture
def emulator():
    """A fresh WeChat API emulator."""
    yield from running_emulator()


@pytest.fixture
def app(tmp_path, redis_server, redis_client, emulator):
    """The application on a fresh database, talking to the emulator."""
    yield from app_on_emulator(tmp_path, redis_server, emulator)


@pytest.fixture
def frozen():
    with clock.frozen(NOW) as now:
        yield now


def queue(app, openid: str, payload: dict | None = None, channel: str = "auto", interacted: dt.datetime | None = None,
          purpose: str = "reminder") -> int:
    """One outbox row (and the citizen) in the database; its id."""
    with app.app_context():
        if not openid.startswith("@") and db.session.query(Citizen).filter_by(openid=openid).one_or_none() is None:
            make_citizen(db.session, openid, interacted=interacted)
        row = outbox.enqueue(db.session, openid, purpose, f"test:{openid}", payload or dict(REMINDER), clock.now(),
                             channel=channel)
        db.session.commit()
        return row.id


def send(app, *ids: int):
    """Deliver rows in this process; the outcome counts."""
    return worker.deliver_now(app, list(ids), threads=4)


def row(app, row_id: int) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, row_id)
        db.session.expunge(message)
        return message


def faults(emulator, kind: str, path: str = TEMPLATE, **extra) -> None:
    emulator.admin("POST", "/faults", {"rate": 1.0, "kinds": [kind], "paths": [path], **extra})


def later(minutes: float = 30):
    return clock.frozen(NOW + dt.timedelta(minutes=minutes))


# --- channels -----------------------------------------------------------------------------------


def test_a_template_card_with_fields_mapped_shortened_and_a_client_msg_id(app, emulator, frozen):
    emulator.follower("o_t")
    row_id = queue(app, "o_t")
    assert send(app, row_id)["sent"] == 1
    [card] = emulator.messages("o_t")
    assert card["kind"] == "template" and card["payload"]["url"] == REMINDER["url"]
    fields = {f["label"]: f["value"] for f in card["payload"]["fields"]}
    assert fields["活动名称"] == "政务开放日·医保服务站与十五分钟便民服…" and len(fields["活动名称"]) == 20
    assert fields["活动地点"] == "清源街道 政务服务大厅"
    sent = row(app, row_id)
    assert sent.status == OutboxStatus.SENT and sent.sent_channel == "template"
    assert sent.wechat_msgid == str(card["payload"]["msgid"]) and sent.attempts == 1
    assert sent.in_flight_since is None and sent.claimed_by == "" and not sent.possibly_resent


def test_inside_the_48_hour_window_a_customer_service_text(app, emulator, frozen):
    emulator.follower("o_c", interaction="message")
    row_id = queue(app, "o_c", interacted=NOW - dt.timedelta(hours=3))
    send(app, row_id)
    [message] = emulator.messages("o_c")
    assert message["kind"] == "custom" and message["payload"]["text"]["content"] == REMINDER["text"]
    assert row(app, row_id).sent_channel == "custom"


def test_a_message_the_webhook_noted_seconds_ago_opens_the_window_before_the_scheduler_writes_it(
        app, emulator, frozen, redis_client):
    emulator.follower("o_just_wrote", interaction="message")
    row_id = queue(app, "o_just_wrote", interacted=NOW - dt.timedelta(days=5))  # the stored time: window closed
    pipe = redis_client.pipeline(transaction=False)
    interactions.note(pipe, "o_just_wrote", NOW - dt.timedelta(seconds=1), True)  # not yet written
    pipe.execute()
    send(app, row_id)
    [message] = emulator.messages("o_just_wrote")
    assert message["kind"] == "custom" and row(app, row_id).sent_channel == "custom"


@pytest.mark.parametrize("code", ["45015", "45047"])
def test_a_closed_window_or_a_used_quota_falls_back_to_a_template(app, emulator, frozen, code):
    emulator.follower("o_w", interaction="message")
    faults(emulator, code, CUSTOM)
    row_id = queue(app, "o_w", interacted=NOW - dt.timedelta(hours=1))
    send(app, row_id)
    assert [m["kind"] for m in emulator.messages("o_w")] == ["template"]
    assert row(app, row_id).sent_channel == "template"


def test_a_text_only_message_outside_the_window_becomes_a_notice_card(app, emulator, frozen):
    emulator.follower("o_b")
    row_id = queue(app, "o_b", {"text": "本周六开放日改在区政务服务中心举行，请留意。", "url": "https://x/1"})
    send(app, row_id)
    [card] = emulator.messages("o_b")
    assert card["payload"]["title"] == "活动通知"
    # Shortened by meaning: the clause that does not fit goes whole.
    assert card["payload"]["fields"][0]["value"] == "本周六开放日改在区政务服务中心举行…"
    assert row(app, row_id).sent_channel == "template"


def test_customer_service_only_with_the_window_closed_is_final(app, emulator, frozen):
    emulator.follower("o_k")
    row_id = queue(app, "o_k", {"text": "答复"}, channel="custom")
    assert send(app, row_id)["failed"] == 1
    failed = row(app, row_id)
    assert failed.status == OutboxStatus.FAILED and failed.last_error_code == 45015
    assert "48小时" in failed.last_error


def test_a_citizen_who_unfollowed_is_final_and_never_retried(app, emulator, frozen):
    emulator.follower("o_gone", subscribe=False)
    row_id = queue(app, "o_gone")
    assert send(app, row_id)["failed"] == 1
    failed = row(app, row_id)
    assert (failed.status, failed.last_error_code, failed.attempts) == (OutboxStatus.FAILED, 43004, 1)
    assert "取消关注" in failed.last_error
    with later(60):
        assert send(app, row_id)["skipped"] == 0  # not pending: not even loaded
    assert emulator.messages("o_gone") == []


def test_no_template_permission_falls_back_to_a_subscribe_notification_and_refusal_is_final(app, emulator, frozen):
    emulator.follower("o_s")
    faults(emulator, "48001", TEMPLATE)
    first = queue(app, "o_s")
    send(app, first)
    assert [m["kind"] for m in emulator.messages("o_s")] == ["subscribe"]
    emulator.follower("o_r", subscribe_refused=True)
    refused = queue(app, "o_r")
    send(app, refused)
    failed = row(app, refused)
    assert failed.status == OutboxStatus.FAILED and failed.last_error_code == 43101


def test_no_permission_and_no_other_channel_is_final(app, emulator, frozen):
    emulator.follower("o_p")
    faults(emulator, "48001", TEMPLATE)
    cfg = delivery.DeliveryConfig.from_settings(app.extensions["settings"])
    cfg = dataclasses.replace(cfg, channels=dataclasses.replace(cfg.channels, subscribe_ids={}))
    row_id = queue(app, "o_p")
    pool = worker.DeliveryPool(app, "w-test", 2).start()
    try:
        [loaded] = delivery.load_rows(pool.engine, [row_id])
        assert delivery.deliver(pool.store, pool.client, cfg, loaded, pool.name).result == "failed"
    finally:
        pool.close()
    assert row(app, row_id).last_error_code == 48001


# --- temporary failures -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["-1", "45009", "500", "40001", "timeout"])
def test_temporary_failures_back_off_then_deliver_exactly_once(app, emulator, frozen, kind):
    emulator.follower("o_r")
    faults(emulator, kind, timeout_seconds=0.9)
    fetches = emulator.admin("GET", "/stats")["token_fetches"]
    row_id = queue(app, "o_r")
    assert send(app, row_id)["retry"] == 1
    waiting = row(app, row_id)
    assert waiting.status == OutboxStatus.PENDING and waiting.next_attempt_at > NOW
    assert waiting.in_flight_since is None and waiting.claimed_by == ""
    assert waiting.possibly_resent == (kind == "timeout")
    if kind == "40001":
        assert emulator.admin("GET", "/stats")["token_fetches"] != fetches, "the token was refreshed"
    assert send(app, row_id)["sent"] == 0, "not before its back-off has passed"
    emulator.admin("DELETE", "/faults")
    with later(1):
        assert send(app, row_id)["sent"] == 1
    # A timeout reached WeChat: the re-send carried the same client_msg_id, so the phone shows one card.
    assert len(emulator.messages("o_r")) == 1
    assert row(app, row_id).attempts == 2


def test_attempts_are_capped_and_the_last_reason_kept(app, emulator, frozen):
    emulator.follower("o_cap")
    faults(emulator, "45009")
    row_id = queue(app, "o_cap")
    cfg = dataclasses.replace(delivery.DeliveryConfig.from_settings(app.extensions["settings"]), max_attempts=2)
    pool = worker.DeliveryPool(app, "w-cap", 2).start()
    try:
        for minutes in (0, 30):
            with later(minutes):
                [loaded] = delivery.load_rows(pool.engine, [row_id])
                outcome = delivery.deliver(pool.store, pool.client, cfg, loaded, pool.name)
        assert outcome.result == "failed"
    finally:
        pool.close()
    failed = row(app, row_id)
    assert failed.status == OutboxStatus.FAILED and failed.attempts == 2 and failed.last_error_code == 45009
    assert "已重试 2 次" in failed.last_error


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(7)
    delays = [delivery.backoff_delay(n, 2.0, 60.0, rng) for n in range(1, 9)]
    for n, delay in enumerate(delays, 1):
        ceiling = min(60.0, 2.0 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)


def test_classification_table():
    from wechatpy.exceptions import WeChatClientException

    def code(n):
        return channels.classify(WeChatClientException(n, "x"), channels.TEMPLATE).action

    assert {code(n) for n in (-1, 45009, 40001, 40014, 42001)} == {channels.RETRY}
    assert {code(n) for n in (43004, 40003)} == {channels.FINAL}
    assert {code(n) for n in (45015, 45047, 48001)} == {channels.NEXT}
    assert channels.when_no_channel_left(channels.Failure(channels.NEXT, 45015, "")) == channels.FINAL
    assert channels.when_no_channel_left(channels.Failure(channels.NEXT, 45047, "")) == channels.RETRY


# --- mass send, recovery, dispatch ----------------------------------------------------------------


def test_a_mass_send_is_not_repeated_when_retried(app, emulator, frozen):
    for openid in ("o_m1", "o_m2"):
        emulator.follower(openid)
    payload = {"mass": True, "is_to_all": True, "msgtype": "text", "text": "本月政务开放日安排", "clientmsgid": "bc1"}
    row_id = queue(app, "@all", payload, channel="mass", purpose="broadcast_mass")
    send(app, row_id)
    sent = row(app, row_id)
    assert sent.status == OutboxStatus.SENT and sent.sent_channel == "mass"
    with app.app_context():  # as if a crash lost the result: the row is sent again
        db.session.get(OutboxMessage, row_id).status = OutboxStatus.PENDING
        db.session.commit()
    send(app, row_id)
    assert row(app, row_id).wechat_msgid == sent.wechat_msgid
    assert len(emulator.messages(kind="mass")) == 2, "one per follower, not two"


def test_rows_of_a_dead_worker_are_recovered_and_flagged(app, frozen):
    ids = [queue(app, f"o_{n}") for n in range(3)]
    with app.app_context():
        rows = [db.session.get(OutboxMessage, i) for i in ids]
        for message, owner in zip(rows, ("dead", "alive", "dead"), strict=True):
            message.status, message.claimed_by, message.in_flight_since = OutboxStatus.SENDING, owner, NOW
        rows[2].attempts = 8
        db.session.commit()
        assert delivery.recover_abandoned(db.session, lambda name: name == "alive", NOW, 8) == 2
        db.session.commit()
        first, second, third = (db.session.get(OutboxMessage, i) for i in ids)
        assert (first.status, first.possibly_resent, first.claimed_by) == (OutboxStatus.PENDING, True, "")
        assert second.status == OutboxStatus.SENDING
        assert third.status == OutboxStatus.FAILED


def test_dispatch_skips_rows_of_live_jobs_and_requeues_lost_ones(app, frozen):
    ids = [queue(app, f"o_d{n}") for n in range(4)]
    with app.app_context():
        delivery.mark_queued(db.session, ids[:2], "job-alive")
        delivery.mark_queued(db.session, ids[2:3], "job-lost")
        db.session.commit()
        found = delivery.dispatchable(db.session, NOW, lambda job: job == "job-alive")
        assert found == ids[2:]
        future = outbox.enqueue(db.session, "o_later", "reminder", "later", {"text": "x"}, NOW,
                                due_at=NOW + dt.timedelta(hours=1))
        db.session.commit()
        assert future.id not in delivery.dispatchable(db.session, NOW, lambda job: False)


# --- reports and staff operations ----------------------------------------------------------------


def test_templatesendjobfinish_records_the_delivery_status(app, client, frozen):
    row_id = queue(app, "o_e")
    with app.app_context():
        message = db.session.get(OutboxMessage, row_id)
        message.status, message.wechat_msgid = OutboxStatus.SENT, "2600000042"
        db.session.commit()
    phone = WeChat(client, mode="plain")
    assert phone.event("o_e", "TEMPLATESENDJOBFINISH", MsgID="2600000042", Status="failed:user block") == {}
    assert row(app, row_id).delivery_status == "failed:user block"


def test_failures_counts_retry_and_cancel(app, emulator, frozen):
    emulator.follower("o_f", subscribe=False)
    failed_id = queue(app, "o_f")
    pending_id = queue(app, "o_x")
    send(app, failed_id)
    with app.app_context():
        [failure] = delivery.failures(db.session)
        assert failure.id == failed_id and failure.last_error_code == 43004
        assert delivery.counts(db.session)["failed"] == 1
        with pytest.raises(delivery.NotRetryable):
            delivery.retry(db.session, pending_id, NOW)
        delivery.cancel(db.session, pending_id, NOW)
        retried = delivery.retry(db.session, failed_id, NOW)
        assert (retried.status, retried.attempts) == (OutboxStatus.PENDING, 0)
        db.session.commit()
        assert delivery.counts(db.session)["cancelled"] == 1
    emulator.follower("o_f", subscribe=True)
    assert send(app, failed_id)["sent"] == 1


def test_a_row_claimed_twice_in_one_group_commit_is_won_once(app, frozen):
    from concurrent.futures import Future

    from services.messaging import outbox_store

    row_id = queue(app, "o_twice")
    with app.app_context():
        engine = db.engine
    store = outbox_store.GroupCommitStore(engine)
    try:
        claims = [Future(), Future()]
        params = {"row_id": row_id, "worker": "w1", "now": NOW}
        store._commit([("claim", dict(params), claims[0]), ("claim", dict(params), claims[1])])
        assert [claim.result() for claim in claims] == [True, False], "one claim wins, so the row is sent once"
    finally:
        store.close()


def test_group_commit_claims_each_row_once_and_isolates_a_bad_item(app, frozen):
    import threading

    from services.messaging import outbox_store

    ids = [queue(app, f"o_g{n}") for n in range(3)]
    with app.app_context():
        db.session.get(OutboxMessage, ids[2]).next_attempt_at = NOW + dt.timedelta(minutes=5)
        db.session.commit()
        engine = db.engine
    store = outbox_store.GroupCommitStore(engine)
    wins: list[tuple[int, bool]] = []
    threads = [threading.Thread(target=lambda i=i: wins.append((i, store.claim(i, "w1", NOW))))
               for i in ids + ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i for i, won in wins if won) == ids[:2], "each due row won once; the backed-off one not at all"
    with pytest.raises(KeyError):
        store.finish("no-such-result", ids[0], "w1", now=NOW)
    store.finish(delivery.SENT, ids[0], "w1", via="template", msgid="42", now=NOW)
    store.close()
    assert (row(app, ids[0]).status, row(app, ids[0]).wechat_msgid) == (OutboxStatus.SENT, "42")
    assert row(app, ids[1]).status == OutboxStatus.SENDING and row(app, ids[1]).claimed_by == "w1"


def test_redis_unreachable_never_makes_a_final_failure_and_costs_no_attempt(app, emulator, tmp_path):
    """Before: the token read's ``ConnectionError`` was an unknown error, a final failure (8 of 200 rows)."""
    import redis

    from services.messaging import delivery_texts
    from services.messaging.wechat_client import make_client

    row_id = queue(app, "o_redis_gone")
    emulator.follower("o_redis_gone")
    with app.app_context():
        engine, settings = db.engine, app.extensions["settings"]
    cfg = delivery.DeliveryConfig.from_settings(settings)
    gone = make_client(settings, redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock")))
    for minute in range(cfg.max_attempts + 2):  # more outages than attempts allowed
        pending = delivery.load_rows(engine, [row_id])
        outcome = delivery.deliver(engine, gone, cfg, pending[0], "w1", lambda m=minute: NOW + dt.timedelta(minutes=m))
        assert outcome.result == "deferred"
        stored = row(app, row_id)
        assert (stored.status, stored.attempts, stored.claimed_by) == (OutboxStatus.PENDING, 0, "")
        assert stored.last_error == delivery_texts.INFRASTRUCTURE and not stored.possibly_resent
    assert emulator.messages("o_redis_gone") == []

    back = make_client(settings, app.extensions["redis"])
    pending = delivery.load_rows(engine, [row_id])
    outcome = delivery.deliver(engine, back, cfg, pending[0], "w1", lambda: NOW + dt.timedelta(hours=1))
    assert (outcome.result, row(app, row_id).status, row(app, row_id).attempts) == ("sent", OutboxStatus.SENT, 1)
    assert len(emulator.messages("o_redis_gone")) == 1
