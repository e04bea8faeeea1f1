"""The leader lock and the scheduler process's leadership tick, on a real Redis."""

from __future__ import annotations

import time

from scheduler import jobs
from scheduler.runner import HEARTBEAT_KEY, LEADER_KEY, LeaderLock, SchedulerProcess


def test_one_leader_at_a_time_and_a_takeover_after_the_ttl(redis_client):
    first, second = LeaderLock(redis_client, ttl=1, identity="a"), LeaderLock(redis_client, ttl=1, identity="b")
    assert first.refresh() and not second.refresh()
    assert first.refresh(), "the leader renews"
    assert redis_client.get(LEADER_KEY) == b"a"
    time.sleep(1.2)  # the leader stopped renewing (it died)
    assert second.refresh() and redis_client.get(LEADER_KEY) == b"b"
    assert not first.refresh(), "the old leader notices it lost the lock"
    assert not first.still_held() and second.still_held()
    second.release()
    assert redis_client.get(LEADER_KEY) is None
    assert first.refresh(), "after a clean release another takes over at once"


def test_a_new_leader_beats_and_runs_every_job_once(app, redis_client, monkeypatch, client):
    ran = []
    monkeypatch.setattr(jobs, "JOBS", tuple(
        jobs.JobDefinition(job.name, lambda ctx, name=job.name: ran.append(name) or (0, ""), job.every, "")
        for job in jobs.JOBS))
    monkeypatch.setattr("scheduler.runner.JOBS", jobs.JOBS)
    process = SchedulerProcess(app)
    process.leadership()
    [catch_up] = process.scheduler.get_jobs()  # a new leader runs every job at once, in order
    process.scheduler.remove_job(catch_up.id)
    catch_up.func()
    assert ran == [job.name for job in jobs.JOBS]
    assert redis_client.get(HEARTBEAT_KEY) is not None
    process.leadership()
    assert process.scheduler.get_jobs() == [], "a leader that stays leader does not catch up again"
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "running"
    other = SchedulerProcess(app)
    other.leadership()
    other.run_job(jobs.JOBS[0])
    assert len(ran) == len(jobs.JOBS), "a waiting scheduler runs nothing"
    process.lock.release()


def test_every_job_reads_its_interval_from_a_setting_that_exists(app):
    settings = app.extensions["settings"]
    intervals = {job.name: job.every(settings) for job in jobs.JOBS}
    assert intervals["record_interactions"] == settings.INTERACTION_FLUSH_SECONDS
    assert intervals["dispatch_outbox"] == settings.DELIVERY_DISPATCH_SECONDS
    assert all(isinstance(seconds, float) and seconds > 0 for seconds in intervals.values())
