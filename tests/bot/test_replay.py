"""Replay protection (issue 17, item 1): message mode, timestamp window, each (timestamp, nonce) once.

The attack: a signed (signature, timestamp, nonce) triple copied from an access
log, replayed with a plaintext body from another citizen's openid.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from config.settings import load_settings
from models import Citizen
from services.calendar import clock
from tests import wechat_helpers as wx
from tests.conftest import TEST_TOKEN, WeChat, make_test_app


def _citizens(app, openid: str) -> int:
    from models import db

    with app.app_context():
        return db.session.scalar(select(func.count(Citizen.id)).where(Citizen.openid == openid))


def _post_plain(client, xml: str, query: dict[str, str]):
    return client.post("/wechat", query_string=query, data=xml.encode(), content_type="text/xml")


def test_a_logged_triple_replayed_with_another_citizens_body_is_refused(app, client, fixed_now):
    query = wx.signed_query(TEST_TOKEN)
    first = _post_plain(client, wx.message_xml("o_victim", "text", Content="帮助", MsgId=wx.next_msgid()), query)
    assert first.status_code == 200
    forged = wx.message_xml("o_other", "text", Content="我的报名", MsgId=wx.next_msgid())
    assert _post_plain(client, forged, query).status_code == 403
    assert _citizens(app, "o_other") == 0


def test_wechats_retry_with_the_same_triple_and_body_gets_the_same_reply(app, client, fixed_now):
    query = wx.signed_query(TEST_TOKEN)
    xml = wx.message_xml("o_retry", "text", Content="帮助", MsgId=wx.next_msgid())
    first, second = _post_plain(client, xml, query), _post_plain(client, xml, query)
    assert first.status_code == second.status_code == 200
    assert "【活动】" in first.get_data(as_text=True)
    assert second.get_data() == first.get_data()


def test_a_safe_mode_retry_reencrypted_under_the_same_triple_is_accepted(app, client, fixed_now):
    wechat = WeChat(client)
    xml = wx.message_xml("o_safe_retry", "text", Content="帮助", MsgId=wx.next_msgid())
    timestamp, nonce = wx.fresh_timestamp(), wx.fresh_nonce()
    first = wechat.post_xml(xml, timestamp=timestamp, nonce=nonce)
    second = wechat.post_xml(xml, timestamp=timestamp, nonce=nonce)  # new ciphertext, same message
    assert first.status_code == second.status_code == 200
    assert wechat.reply_of(first)["Content"] == wechat.reply_of(second)["Content"]


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_stale_timestamp_is_refused_on_post_and_get(app, client, fixed_now, offset):
    stale = str(int(clock.wall_time().timestamp()) + offset)
    xml = wx.message_xml("o_stale", "text", Content="帮助", MsgId=wx.next_msgid())
    assert _post_plain(client, xml, wx.signed_query(TEST_TOKEN, stale)).status_code == 403
    assert WeChat(client).post_xml(xml, timestamp=stale).status_code == 403
    assert _citizens(app, "o_stale") == 0
    check = client.get("/wechat", query_string=wx.signed_query(TEST_TOKEN, stale) | {"echostr": "42"})
    assert check.status_code == 403


def test_a_timestamp_inside_the_window_is_accepted(app, client, fixed_now):
    near = str(int(clock.wall_time().timestamp()) - 290)
    xml = wx.message_xml("o_near", "text", Content="帮助", MsgId=wx.next_msgid())
    assert _post_plain(client, xml, wx.signed_query(TEST_TOKEN, near)).status_code == 200


def test_the_server_check_is_accepted_once(client, fixed_now):
    query = wx.signed_query(TEST_TOKEN) | {"echostr": "4828183451932712345"}
    assert client.get("/wechat", query_string=query).get_data(as_text=True) == "4828183451932712345"
    assert client.get("/wechat", query_string=query | {"echostr": "other"}).status_code == 403


def test_safe_mode_refuses_a_plaintext_body(tmp_path, redis_server, redis_client, fixed_now):
    app = make_test_app(tmp_path, redis_server, WECHAT_MESSAGE_MODE="safe")
    client = app.test_client()
    xml = wx.message_xml("o_plain", "text", Content="我的报名", MsgId=wx.next_msgid())
    assert _post_plain(client, xml, wx.signed_query(TEST_TOKEN)).status_code == 403
    assert _citizens(app, "o_plain") == 0
    wechat = WeChat(client)
    assert "【活动】" in wechat.text("o_encrypted", "帮助")


def test_compatible_mode_accepts_both(client, fixed_now):
    wechat = WeChat(client)
    assert "【活动】" in wechat.text("o_compat", "帮助")
    xml = wx.message_xml("o_compat", "text", Content="帮助", MsgId=wx.next_msgid())
    assert _post_plain(client, xml, wx.signed_query(TEST_TOKEN)).status_code == 200


def test_without_redis_a_replayed_triple_is_refused_through_the_database(tmp_path, fixed_now):
    app = make_test_app(tmp_path, "unix:///nonexistent/redis.sock")
    client = app.test_client()
    query = wx.signed_query(TEST_TOKEN)
    xml = wx.message_xml("o_first", "text", Content="帮助", MsgId=wx.next_msgid())
    assert _post_plain(client, xml, query).status_code == 200
    assert _post_plain(client, xml, query).status_code == 200  # the retry
    forged = wx.message_xml("o_forged", "text", Content="我的报名", MsgId=wx.next_msgid())
    assert _post_plain(client, forged, query).status_code == 403
    assert _citizens(app, "o_forged") == 0


def test_the_message_mode_defaults_to_safe_in_production_and_compatible_in_development():
    from tests.config.test_settings import PRODUCTION

    assert load_settings(PRODUCTION).WECHAT_MESSAGE_MODE == "safe"
    assert load_settings({"APP_ENV": "development"}).WECHAT_MESSAGE_MODE == "compatible"
    assert load_settings(PRODUCTION | {"WECHAT_MESSAGE_MODE": "compatible"}).WECHAT_MESSAGE_MODE == "compatible"


def test_fixed_now_is_the_frozen_test_moment(fixed_now):
    # The helpers sign with the real time, as WeChat does, so frozen tests stay inside the window.
    assert clock.now() == dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
    assert abs(int(wx.fresh_timestamp()) - clock.wall_time().timestamp()) < 5


@pytest.mark.parametrize("days", [10, -10])
def test_on_a_moved_clock_pushes_signed_with_the_real_time_are_answered(app, client, monkeypatch, days):
    """Issue 26.3: a trial with ``CLOCK_NOW`` ten days ahead answered every push 403."""
    moved = clock.wall_time() + dt.timedelta(days=days)
    monkeypatch.setenv("CLOCK_NOW", moved.isoformat())
    assert abs((clock.now() - moved).total_seconds()) < 1  # the business clock is moved
    real = str(int(clock.wall_time().timestamp()))
    xml = wx.message_xml("o_trial", "text", Content="帮助", MsgId=wx.next_msgid())
    answer = _post_plain(client, xml, wx.signed_query(TEST_TOKEN, real))
    assert answer.status_code == 200 and "【活动】" in answer.get_data(as_text=True)
    assert "【活动】" in WeChat(client).text("o_trial_safe", "帮助")
    check = client.get("/wechat", query_string=wx.signed_query(TEST_TOKEN, real) | {"echostr": "26"})
    assert check.get_data(as_text=True) == "26"
    # A push stamped with the moved clock is what WeChat never sends: outside the window.
    stamped_moved = str(int(moved.timestamp()))
    other = wx.message_xml("o_trial", "text", Content="帮助", MsgId=wx.next_msgid())
    assert _post_plain(client, other, wx.signed_query(TEST_TOKEN, stamped_moved)).status_code == 403
