"""The delivery queue after Redis lost data: lost queue entries are noticed, vanished beats are not deaths."""

from __future__ import annotations

import datetime as dt

from models import OutboxMessage, db
from scheduler import dispatch
from services.calendar import clock
from services.messaging import delivery, outbox

NOW = dt.datetime(2026, 10, 10, 9, 5, tzinfo=clock.SHANGHAI)


def test_a_job_whose_queue_entry_vanished_is_queued_again(app, redis_client):
    """Before: a job record still saying ``queued`` kept its rows forever, though no worker could get it."""
    with app.app_context():
        row = outbox.enqueue(db.session, "o_lost", "reminder", "e:1", {"text": "您好"}, NOW)
        db.session.commit()
        queue = dispatch.delivery_queue(app)
        assert dispatch.dispatch(db.session, queue, NOW, batch_size=10) == 1
        first = db.session.get(OutboxMessage, row.id).queue_job
        assert dispatch.dispatch(db.session, queue, NOW, batch_size=10) == 0, "a waiting job keeps its rows"
        redis_client.delete(queue.key)  # a failover to a replica that missed the push, say
        assert dispatch.dispatch(db.session, queue, NOW, batch_size=10) == 1
        second = db.session.get(OutboxMessage, row.id).queue_job
        assert second != first and queue.get_job_ids() == [second]
        db.session.remove()


def test_a_worker_is_dead_only_after_its_beat_was_missing_for_a_whole_ttl(redis_client):
    """Before: a Redis emptied a moment ago made every live worker dead, and its rows were sent again."""
    moment = [100.0]
    watch = dispatch.WorkerWatch(ttl=15, monotonic=lambda: moment[0])
    dispatch.Heartbeat(redis_client, "w-live", 15).beat()
    alive = watch.alive(redis_client)
    assert alive("w-live") and alive("w-gone"), "a missing beat starts the watch, no more"
    redis_client.flushall()
    moment[0] += 10
    assert alive("w-live") and alive("w-gone"), "10 s of a 15 s TTL: not yet dead"
    dispatch.Heartbeat(redis_client, "w-live", 15).beat()  # the live worker beats into the new Redis
    moment[0] += 10
    assert alive("w-live"), "it beat again within the TTL"
    assert not alive("w-gone"), "missing for 20 s of a 15 s TTL: dead, its rows are recovered"


def test_recovery_leaves_a_live_workers_rows_alone_after_redis_was_emptied(app, redis_client):
    with app.app_context():
        row = outbox.enqueue(db.session, "o_held", "reminder", "e:2", {"text": "您好"}, NOW)
        db.session.flush()
        row.status, row.claimed_by, row.in_flight_since = "sending", "w-live", NOW
        db.session.commit()
        redis_client.flushall()  # the worker's beat went with everything else
        alive = dispatch.worker_watch(app).alive(redis_client)
        assert delivery.recover_abandoned(db.session, alive, NOW, 8) == 0
        db.session.commit()
        assert db.session.get(OutboxMessage, row.id).status.value == "sending"
        db.session.remove()
