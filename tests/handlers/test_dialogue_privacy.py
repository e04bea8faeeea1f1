"""No name or mobile in clear in Redis during or after a dialogue (issue 17, item 4).

Before: an abandoned application kept ``"name": "王五", "mobile": "13512345678"``
under ``conv:<openid>`` for 24.5 hours. Every key of the real Redis is scanned.
"""

from __future__ import annotations

from bot.state import KEEP_SECONDS, ConversationState

NAME, MOBILE = "王五", "13512345678"


def _every_value(redis_client) -> bytes:
    """Every key and value in Redis, whatever its type, as one byte string."""
    chunks = []
    for key in redis_client.scan_iter(count=1000):
        chunks.append(key)
        kind = redis_client.type(key)
        if kind == b"string":
            chunks.append(redis_client.get(key) or b"")
        elif kind == b"hash":
            chunks.extend(b"%s=%s" % pair for pair in redis_client.hgetall(key).items())
        elif kind == b"list":
            chunks.extend(redis_client.lrange(key, 0, -1))
        elif kind in (b"set",):
            chunks.extend(redis_client.smembers(key))
        elif kind == b"zset":
            chunks.extend(member for member, _ in redis_client.zrange(key, 0, -1, withscores=True))
        elif kind == b"stream":
            chunks.extend(str(entry).encode() for entry in redis_client.xrange(key))
    return b"\n".join(chunks)


def _assert_nothing_in_clear(redis_client) -> None:
    everything = _every_value(redis_client)
    for secret in (NAME, MOBILE, MOBILE[-4:] + '"'):
        assert secret.encode() not in everything, secret


def test_an_abandoned_application_leaves_no_name_or_mobile_in_clear(citizen, programme, redis_client, app):
    citizen.say("报名")
    citizen.say("1")
    citizen.say(NAME)
    _assert_nothing_in_clear(redis_client)
    citizen.say(MOBILE)
    citizen.say("3")
    _assert_nothing_in_clear(redis_client)  # abandoned here, with name and mobile collected
    ttl = redis_client.ttl(ConversationState.key_of(citizen.openid))
    assert 0 < ttl <= app.extensions["settings"].DIALOGUE_TTL_SECONDS + KEEP_SECONDS <= 1800 + 6 * 3600


def test_the_dialogue_still_resumes_from_the_sealed_state(citizen, programme, redis_client):
    citizen.say("报名")
    citizen.say("1")
    citizen.say(NAME)
    citizen.say(MOBILE)
    citizen.say("3")
    citizen.say("黄村")
    citizen.say("跳过")
    summary = citizen.say("同意")
    assert f"姓名：{NAME}" in summary and "手机：135****5678" in summary
    _assert_nothing_in_clear(redis_client)
    assert "报名成功" in citizen.say("确认") or "已提交" in citizen.replies[-1]
    _assert_nothing_in_clear(redis_client)
