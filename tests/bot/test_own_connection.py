"""The webhook's round trips on each thread's own Redis connection (bot/dedup.OwnConnectionPipeline)."""

from __future__ import annotations

import threading

import pytest
import redis

from bot.dedup import OwnConnectionPipeline


def _client_id(client: redis.Redis) -> int:
    pipe = OwnConnectionPipeline(client)
    pipe.client_id()
    return pipe.execute()[0]


def test_a_thread_keeps_its_connection_and_another_thread_has_its_own(redis_server):
    client = redis.Redis.from_url(redis_server)
    first, again = _client_id(client), _client_id(client)
    other = []
    thread = threading.Thread(target=lambda: other.append(_client_id(client)))
    thread.start()
    thread.join()
    assert first == again and other[0] != first


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
