"""The webhook's round trips on the Redis connections its process keeps (bot/dedup.OwnConnectionPipeline)."""

from __future__ import annotations

import threading

import pytest
import redis

from bot.dedup import OwnConnectionPipeline


def _client_id(client: redis.Redis) -> int:
    pipe = OwnConnectionPipeline(client)
    pipe.client_id()
    return pipe.execute()[0]


def test_trips_in_turn_share_one_connection_and_trips_at_once_have_their_own(redis_server):
    client = redis.Redis.from_url(redis_server)
    first, again = _client_id(client), _client_id(client)
    in_turn = []
    for _ in range(20):  # a thread (or greenlet) per HTTP connection, one after another
        thread = threading.Thread(target=lambda: in_turn.append(_client_id(client)))
        thread.start()
        thread.join()
    at_once, barrier = [], threading.Barrier(2)

    def blocked_trip() -> None:
        pipe = OwnConnectionPipeline(client)
        pipe.client_id()
        pipe.blpop(["own:never"], timeout=0.3)  # holds its connection while the other trip runs
        barrier.wait()
        at_once.append(pipe.execute()[0])

    threads = [threading.Thread(target=blocked_trip) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert first == again and set(in_turn) == {first}, "no connection is opened per thread and left behind"
    assert len(set(at_once)) == 2


def test_a_trip_cut_by_a_timeout_leaves_no_answer_for_the_next_trip(redis_server):
    client = redis.Redis.from_url(redis_server, socket_timeout=0.2)
    client.set("own:key", b"the value")
    pipe = OwnConnectionPipeline(client)
    pipe.blpop(["own:empty"], timeout=0.5)  # the server answers (nil) after the client gave up
    pipe.set("own:other", b"x")
    with pytest.raises(redis.TimeoutError):
        pipe.execute()
    pipe = OwnConnectionPipeline(client)
    pipe.get("own:key")
    assert pipe.execute() == [b"the value"]  # not the late nil of BLPOP, nor OK of SET


def test_a_command_error_leaves_the_connection_usable(redis_server):
    client = redis.Redis.from_url(redis_server)
    client.set("own:text", b"not a number")
    before = _client_id(client)
    pipe = OwnConnectionPipeline(client)
    pipe.incr("own:text")
    pipe.get("own:text")
    with pytest.raises(redis.ResponseError):
        pipe.execute()
    assert _client_id(client) == before  # every answer was read: the same connection goes on


def test_disconnecting_the_clients_pool_closes_it(redis_server):
    """The embedded server stops with the last process: a connection kept open here would hold it up."""
    client = redis.Redis.from_url(redis_server)
    before = _client_id(client)
    client.connection_pool.disconnect()
    ids = [int(entry["id"]) for entry in redis.Redis.from_url(redis_server).client_list()]
    assert before not in ids
    assert _client_id(client) != before  # the next trip connects afresh
