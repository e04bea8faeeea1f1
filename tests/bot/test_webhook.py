"""The webhook through the real route: modes, signatures, hostile bodies, every message type."""

from __future__ import annotations

import threading

import pytest
import structlog
from sqlalchemy import func, select

from bot.crypto import url_signature
from handlers import texts
from handlers.chat import TextReply
from models import Citizen, InboundMessage
from tests import wechat_helpers as wx
from tests.conftest import TEST_TOKEN, WeChat, make_test_app

pytestmark = pytest.mark.postgres


def citizen_count(app) -> int:
    from models import db

    with app.app_context():
        return db.session.scalar(select(func.count(Citizen.id)))


def test_wechat_sample_signature():
    """The URL signature WeChat's own encryption demo publishes."""
    assert url_signature("spamtest", "1409735669", "1320562132") == "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"


def test_server_check_echoes_echostr(client):
    query = wx.signed_query(TEST_TOKEN) | {"echostr": "4828183451932712345"}
    response = client.get("/wechat", query_string=query)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "4828183451932712345"


def test_server_check_with_wrong_signature_is_refused(client):
    query = wx.signed_query("othertoken") | {"echostr": "x"}
    assert client.get("/wechat", query_string=query).status_code == 403


@pytest.mark.parametrize("mode", ["plain", "safe", "compat"])
def test_help_round_trip_in_every_mode(client, mode):
    reply = WeChat(client, mode=mode).send("o_citizen_1", "text", Content="帮助")
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == "o_citizen_1"
    assert "【活动】近期活动" in reply["Content"]


def test_safe_mode_reply_is_encrypted(client):
    wechat = WeChat(client, mode="safe")
    response = wechat.post_xml(wx.message_xml("o_enc", "text", Content="帮助", MsgId=wx.next_msgid()))
    body = response.get_data(as_text=True)
    assert "<Encrypt>" in body and "帮助" not in body and "活动" not in body
    assert "【活动】" in wechat.reply_of(response)["Content"]


def test_wrong_signature_is_403_and_stores_nothing(app, client):
    xml = wx.message_xml("o_intruder", "text", Content="帮助", MsgId="1")
    query = wx.signed_query("wrongtoken")
    response = client.post("/wechat", query_string=query, data=xml, content_type="text/xml")
    assert response.status_code == 403
    assert citizen_count(app) == 0


def test_wrong_aes_key_is_403_and_stores_nothing(app, client):
    xml = wx.message_xml("o_intruder", "text", Content="帮助", MsgId="2")
    other_key = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    body, msg_signature = wx.encrypt(xml, TEST_TOKEN, other_key, "wx_test_appid", "1409735669", "1320562132")
    query = wx.signed_query(TEST_TOKEN) | {"encrypt_type": "aes", "msg_signature": msg_signature}
    response = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    assert response.status_code == 403
    assert citizen_count(app) == 0


@pytest.mark.parametrize("body", [b"<xml><ToUserName>", b"not xml at all", b"{\"json\": true}", b"", b"<other/>"])
def test_malformed_bodies_are_400(app, client, body):
    response = client.post("/wechat", query_string=wx.signed_query(TEST_TOKEN), data=body, content_type="text/xml")
    assert response.status_code == 400
    assert citizen_count(app) == 0


XXE = """<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>9</MsgId></xml>"""

BILLION_LAUGHS = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol4;</Content><MsgId>10</MsgId></xml>"""


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_are_refused(app, client, payload, mode):
    response = WeChat(client, mode=mode).post_xml(payload)
    assert response.status_code == 400
    assert b"root:" not in response.get_data() and b"lollol" not in response.get_data()
    assert citizen_count(app) == 0


def test_oversize_body_is_413(app, client):
    huge = wx.message_xml("o_big", "text", Content="字" * 30000, MsgId="11")
    response = client.post("/wechat", query_string=wx.signed_query(TEST_TOKEN), data=huge.encode(), content_type="text/xml")
    assert response.status_code == 413
    assert citizen_count(app) == 0


@pytest.mark.parametrize(
    ("msg_type", "fields", "expect"),
    [
        ("text", {"Content": "你好呀"}, texts.UNKNOWN[:10]),
        ("image", {"PicUrl": "http://x/y.jpg", "MediaId": "m1"}, "只能处理文字"),
        ("voice", {"MediaId": "m2", "Format": "amr"}, "只能处理文字"),
        ("video", {"MediaId": "m3", "ThumbMediaId": "t"}, "只能处理文字"),
        ("shortvideo", {"MediaId": "m4", "ThumbMediaId": "t"}, "只能处理文字"),
        ("location", {"Location_X": "39.7", "Location_Y": "116.3", "Scale": "15", "Label": "大兴"}, "位置"),
        ("link", {"Title": "t", "Description": "d", "Url": "http://x"}, "只能处理文字"),
        ("file", {"Title": "a.pdf", "FileKey": "k", "FileMd5": "m", "FileTotalLen": "1"}, "只能处理文字"),
        ("miniprogrampage", {"Title": "t"}, texts.UNKNOWN[:10]),
    ],
)
def test_every_message_type_gets_a_polite_reply(wechat, msg_type, fields, expect):
    reply = wechat.send("o_types", msg_type, **fields)
    assert expect in reply["Content"]


@pytest.mark.parametrize(
    ("event", "extra"),
    [
        ("unsubscribe", {}),
        ("SCAN", {"EventKey": "123", "Ticket": "t"}),
        ("LOCATION", {"Latitude": "39.7", "Longitude": "116.3", "Precision": "10"}),
        ("VIEW", {"EventKey": "http://127.0.0.1/calendar"}),
        ("TEMPLATESENDJOBFINISH", {"MsgID": "200163836", "Status": "success"}),
        ("MASSSENDJOBFINISH", {"MsgID": "1000001625", "Status": "send success", "TotalCount": "3"}),
        ("some_future_event", {}),
        ("CLICK", {"EventKey": "NO_SUCH_KEY"}),
    ],
)
def test_events_never_fail(wechat, event, extra):
    response = wechat.post_xml(wx.message_xml("o_events", "event", Event=event, **extra))
    assert response.status_code == 200


def test_subscribe_welcomes_and_records_the_follower(app, wechat):
    reply = wechat.event("o_new", "subscribe")
    assert "欢迎关注" in reply["Content"]
    from models import db

    assert wechat.flush() == 1  # the scheduler writes follows behind, every INTERACTION_FLUSH_SECONDS
    with app.app_context():
        citizen = db.session.scalar(select(Citizen).where(Citizen.openid == "o_new"))
        assert citizen.following is True


def test_unsubscribe_marks_the_citizen_as_not_following(app, wechat):
    wechat.event("o_leaving", "subscribe")
    assert wechat.event("o_leaving", "unsubscribe") == {}
    wechat.flush()  # the follow, written behind, is older than the unfollow: it stays an unfollow
    from models import db

    with app.app_context():
        assert db.session.scalar(select(Citizen.following).where(Citizen.openid == "o_leaving")) is False


def test_help_click(wechat):
    assert "【报名】" in wechat.click("o_menu", "HELP")


def test_unknown_message_type_and_missing_msgtype_get_success(wechat):
    bare = "<xml><ToUserName>gh</ToUserName><FromUserName>o_bare</FromUserName><CreateTime>1</CreateTime></xml>"
    response = wechat.post_xml(bare)
    assert response.status_code == 200 and response.get_data() == b"success"


def _counting_handler(app):
    calls = []
    lock = threading.Lock()

    def handler(ctx):
        with lock:
            calls.append(ctx.key)
        import time

        time.sleep(0.2)  # the copies arrive while the first is still being handled
        return TextReply(f"已处理 {len(calls)} 次")

    app.extensions["router"].keywords["计数"] = handler
    return calls


def _post_concurrently(app, xml: str, copies: int = 3) -> list:
    results = [None] * copies

    def post(i):
        results[i] = WeChat(app.test_client()).post_xml(xml)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_three_concurrent_copies_are_handled_once_with_identical_replies(app):
    calls = _counting_handler(app)
    xml = wx.message_xml("o_retry", "text", Content="计数", MsgId=wx.next_msgid())
    responses = _post_concurrently(app, xml)
    replies = [WeChat(app.test_client()).reply_of(r)["Content"] for r in responses]
    assert len(calls) == 1
    assert replies == ["已处理 1 次"] * 3


def test_redis_down_still_answers_and_dedups_in_the_database(tmp_path):
    app = make_test_app(tmp_path, "unix:///nonexistent/redis.sock")
    calls = _counting_handler(app)
    wechat = WeChat(app.test_client())
    assert "【活动】" in wechat.text("o_noredis", "帮助")
    xml = wx.message_xml("o_noredis", "text", Content="计数", MsgId=wx.next_msgid())
    responses = _post_concurrently(app, xml)
    assert all(r.status_code == 200 for r in responses)
    assert len(calls) == 1
    replies = {WeChat(app.test_client()).reply_of(r).get("Content") for r in responses}
    assert replies == {"已处理 1 次"}
    from models import db

    with app.app_context():
        # Without Redis the once-only (timestamp, nonce) records share the table (bot/replay.py).
        messages = select(func.count(InboundMessage.id)).where(InboundMessage.key.not_like("wx-nonce:%"))
        assert db.session.scalar(messages) == 2


def _kept_answer(app, key: str) -> bytes:
    return app.extensions["redis"].get("dedup:" + key)


def test_a_retry_in_safe_mode_gets_the_same_encrypted_answer_and_nothing_is_kept_in_clear(app):
    wechat = WeChat(app.test_client(), mode="safe")
    msgid = wx.next_msgid()
    xml = wx.message_xml("o_retry_safe", "text", Content="帮助", MsgId=msgid)
    first = wechat.post_xml(xml)
    retry = wechat.post_xml(xml)  # WeChat's retry: a new nonce and ciphertext, the same message
    assert retry.get_data() == first.get_data()  # the envelope that went first, byte for byte
    assert "【活动】" in wechat.reply_of(retry)["Content"]
    kept = _kept_answer(app, f"m:o_retry_safe|{msgid}")
    assert kept.startswith(b"env:<xml>") and b"<Encrypt>" in kept and "活动".encode() not in kept


def test_a_retry_in_plain_mode_gets_the_reply_again_kept_sealed(app):
    wechat = WeChat(app.test_client(), mode="plain")
    msgid = wx.next_msgid()
    xml = wx.message_xml("o_retry_plain", "text", Content="帮助", MsgId=msgid)
    first = wechat.reply_of(wechat.post_xml(xml))
    assert wechat.reply_of(wechat.post_xml(xml)) == first
    kept = _kept_answer(app, f"m:o_retry_plain|{msgid}")
    assert "活动".encode() not in kept and not kept.startswith((b"<", b"env:"))


def test_an_encrypted_answer_kept_is_not_sent_to_a_plain_copy(app):
    """A copy arriving in clear (the mode changed between retries) cannot read the encrypted answer: success."""
    msgid = wx.next_msgid()
    xml = wx.message_xml("o_retry_mixed", "text", Content="帮助", MsgId=msgid)
    WeChat(app.test_client(), mode="safe").post_xml(xml)
    assert WeChat(app.test_client(), mode="compat").post_xml(xml, mode="plain").get_data() == b"success"


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_signed_push_to_another_account_is_dropped_with_success_and_stores_nothing(app, client, redis_client, mode):
    from models import db

    wechat = WeChat(client, mode=mode)
    follow = wx.message_xml("o_elsewhere", "event", account="gh_another0account", Event="subscribe")
    text = wx.message_xml("o_elsewhere", "text", account="gh_another0account", Content="我叫张三，电话13812345678",
                          MsgId=wx.next_msgid())
    with structlog.testing.capture_logs() as logs:
        answers = [wechat.post_xml(follow), wechat.post_xml(text)]
    assert [(a.status_code, a.get_data()) for a in answers] == [(200, b"success")] * 2
    assert citizen_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(InboundMessage.id))) == 0
    assert redis_client.keys("dedup:*") == [] and redis_client.keys("conv:*") == []
    dropped = [entry for entry in logs if entry["event"] == "webhook.other_account"]
    assert [entry["to_account"] for entry in dropped] == ["gh_another0account"] * 2
    assert "张三" not in str(logs) and "13812345678" not in str(logs) and "o_elsewhere" not in str(logs)
    # The account's own pushes are answered as before.
    assert "【活动】近期活动" in wechat.send("o_elsewhere", "text", Content="帮助")["Content"]
