"""Hostile input on the webhook: random XML, random text and emoji, wrong encodings, replays.

Never a 5xx, never an uncaught exception, nothing stored from a rejected request.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import Citizen, InboundMessage
from tests import wechat_helpers as wx
from tests.conftest import TEST_TOKEN, WeChat

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text a citizen might type, including emoji, control characters and very long input.
citizen_text = st.one_of(
    st.text(min_size=0, max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), min_size=1, max_size=20),
    st.sampled_from(["活动", "报名", "1", "99", "-1", "更多", "取消", "我的信息", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "' OR 1=1 --"]),
    st.text(alphabet="0123456789", min_size=1, max_size=30),
)


def _count(app, model) -> int:
    from models import db

    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


@FUZZ
@given(content=citizen_text)
def test_any_text_gets_a_reply_and_never_an_error(app, content):
    wechat = WeChat(app.test_client())
    xml = wx.message_xml("o_fuzz_text", "text", Content=_xml_safe(content), MsgId=wx.next_msgid())
    response = wechat.post_xml(xml)
    assert response.status_code == 200
    body = wechat.reply_of(response)
    assert body.get("Content") or body.get("MsgType") == "news", "silence for a typed message"
    assert len(body.get("Content", "").encode()) <= 2048


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters; WeChat never sends them."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF and ord(ch) not in (0xFFFE, 0xFFFF)))


@FUZZ
@given(body=st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly(app, body):
    client = app.test_client()
    response = client.post("/wechat", query_string=wx.signed_query(TEST_TOKEN), data=body, content_type="text/xml")
    assert response.status_code in (200, 400, 413)
    assert _count(app, Citizen) == 0 or response.status_code == 200


tags = st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey", "Encrypt", "X"])


@FUZZ
@given(fields=st.lists(st.tuples(tags, st.text(max_size=40)), max_size=8), mode=st.sampled_from(["plain", "safe"]))
def test_random_wechat_shaped_xml_never_fails(app, fields, mode):
    xml = "<xml>" + "".join(f"<{tag}>{escape(_xml_safe(value))}</{tag}>" for tag, value in fields) + "</xml>"
    response = WeChat(app.test_client(), mode=mode).post_xml(xml)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "latin-1"])
def test_other_encodings_are_answered_not_crashed(app, encoding):
    xml = f'<?xml version="1.0" encoding="{encoding}"?>' + wx.message_xml("o_enc", "text", Content="活动帮助" if encoding != "latin-1" else "help", MsgId=wx.next_msgid())
    response = app.test_client().post("/wechat", query_string=wx.signed_query(TEST_TOKEN), data=xml.encode(encoding), content_type="text/xml")
    assert response.status_code in (200, 400)


def test_replayed_message_is_answered_from_cache_and_handled_once(app, redis_client):
    wechat = WeChat(app.test_client())
    xml = wx.message_xml("o_replay", "text", Content="帮助", MsgId=wx.next_msgid())
    first = wechat.reply_of(wechat.post_xml(xml))
    redis_client.flushall()  # even after the dedup window, the reply is the same kind of answer
    second = wechat.reply_of(wechat.post_xml(xml))
    assert first["Content"] == second["Content"]


def test_oversized_field_inside_the_limit_is_handled(app):
    reply = WeChat(app.test_client()).text("o_big_field", "长" * 5000)
    assert reply and len(reply.encode()) <= 2048


def test_rejected_requests_store_nothing(app):
    client = app.test_client()
    bad = [
        ("/wechat", {"signature": "0" * 40, "timestamp": "1", "nonce": "2"}, wx.message_xml("o_x", "text", Content="报名", MsgId="5")),
        ("/wechat", wx.signed_query(TEST_TOKEN) | {"encrypt_type": "aes", "msg_signature": "bad"}, "<xml><Encrypt>AAAA</Encrypt></xml>"),
    ]
    for path, query, body in bad:
        assert client.post(path, query_string=query, data=body, content_type="text/xml").status_code == 403
    assert _count(app, Citizen) == 0 and _count(app, InboundMessage) == 0
