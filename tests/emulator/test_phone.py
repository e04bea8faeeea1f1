"""The phone: signed (and encrypted) posts to the webhook, passive replies, retries."""

from __future__ import annotations

import threading
import time

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from tests.emulator.helpers import Emulator, Received, WebhookReceiver

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"


def text_reply(message: dict, content: str) -> str:
    """A passive text reply to ``message``."""
    return (
        f"<xml><ToUserName><![CDATA[{message['FromUserName']}]]></ToUserName>"
        f"<FromUserName><![CDATA[{message['ToUserName']}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content></xml>"
    )


def plain_service(received: Received) -> tuple[int, str]:
    """A plain-mode service: checks the signature and echoes text."""
    p = received.params
    check_signature(TOKEN, p["signature"], p["timestamp"], p["nonce"])
    message = xmltodict.parse(received.body)["xml"]
    if message["MsgType"] != "text":
        return 200, "success"
    return 200, text_reply(message, f"收到：{message['Content']}\n<a href=\"https://x.cn/1\">详情</a>")


def aes_service(received: Received) -> tuple[int, str]:
    """A safe-mode service: verifies and decrypts with wechatpy, answers encrypted."""
    p = received.params
    assert p["encrypt_type"] == "aes"
    check_signature(TOKEN, p["signature"], p["timestamp"], p["nonce"])
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    plain = crypto.decrypt_message(received.body, p["msg_signature"], p["timestamp"], p["nonce"])
    message = xmltodict.parse(plain)["xml"]
    return 200, crypto.encrypt_message(text_reply(message, f"加密收到：{message['Content']}"), p["nonce"])


def start(make_emulator, webhook: WebhookReceiver, **settings: object) -> Emulator:
    """An emulator posting to ``webhook`` with token ``spamtest``."""
    return make_emulator({"webhook_url": webhook.url, "webhook_token": TOKEN, **settings})


def test_plain_text_message_is_signed_and_reply_recorded(make_emulator, webhook: WebhookReceiver) -> None:
    webhook.responder = plain_service
    emulator = start(make_emulator, webhook)
    emulator.phone({"openid": "o_citizen", "nickname": "张三", "type": "event", "event": "subscribe"})
    answer = emulator.phone({"openid": "o_citizen", "type": "text", "content": "活动"}).json()
    assert answer["status"] == 200 and answer["elapsed_ms"] >= 0
    assert answer["replies"] == [{"type": "text", "content": "收到：活动\n<a href=\"https://x.cn/1\">详情</a>"}]
    follow, message = (xmltodict.parse(r.body)["xml"] for r in webhook.wait_for(2))
    assert follow["Event"] == "subscribe" and follow["EventKey"] is None
    assert message["ToUserName"] == "gh_demo" and message["FromUserName"] == "o_citizen"
    assert message["MsgType"] == "text" and message["Content"] == "活动" and int(message["MsgId"]) > 0
    assert abs(int(message["CreateTime"]) - time.time()) < 5
    assert [m["kind"] for m in emulator.messages("o_citizen")] == ["passive"]
    assert emulator.admin("GET", "/users/o_citizen")["nickname"] == "张三"


def test_aes_mode_encrypts_with_wechatpy(make_emulator, webhook: WebhookReceiver) -> None:
    webhook.responder = aes_service
    emulator = start(make_emulator, webhook, webhook_aes_key=AES_KEY, appid=APPID)
    emulator.follower("o_citizen")
    answer = emulator.phone({"openid": "o_citizen", "type": "text", "content": "abcdteT"}).json()
    assert answer["replies"] == [{"type": "text", "content": "加密收到：abcdteT"}]
    body = xmltodict.parse(webhook.received[0].body)["xml"]
    assert set(body) == {"ToUserName", "Encrypt"} and body["ToUserName"] == "gh_demo"


def test_unencrypted_reply_in_safe_mode_is_unavailable(make_emulator, webhook: WebhookReceiver) -> None:
    webhook.responder = lambda received: (200, text_reply({"FromUserName": "o_citizen", "ToUserName": "gh_demo"}, "明文"))
    emulator = start(make_emulator, webhook, webhook_aes_key=AES_KEY, appid=APPID)
    emulator.follower("o_citizen")
    [reply] = emulator.phone({"openid": "o_citizen", "type": "text", "content": "x"}).json()["replies"]
    assert reply["type"] == "error" and reply["content"] == "该公众号暂时无法提供服务，请稍后再试"
    assert emulator.messages("o_citizen") == []


def test_events_carry_event_keys(make_emulator, webhook: WebhookReceiver) -> None:
    emulator = start(make_emulator, webhook)
    emulator.phone({"openid": "o_citizen", "type": "event", "event": "subscribe", "event_key": "event_12"})
    emulator.phone({"openid": "o_citizen", "type": "event", "event": "click", "event_key": "EVENTS"})
    emulator.phone({"openid": "o_citizen", "type": "event", "event": "VIEW", "event_key": "https://x.cn"})
    events = [xmltodict.parse(r.body)["xml"] for r in webhook.wait_for(3)]
    assert [(e["Event"], e["EventKey"]) for e in events] == [
        ("subscribe", "qrscene_event_12"),
        ("CLICK", "EVENTS"),
        ("VIEW", "https://x.cn"),
    ]
    assert all("MsgId" not in e for e in events)


def test_not_following_cannot_send(emulator: Emulator) -> None:
    response = emulator.phone({"openid": "o_stranger", "type": "text", "content": "你好"})
    assert response.status_code == 409 and response.json()["message"] == "请先关注公众号，再发送消息"
    assert emulator.phone({"openid": "", "type": "text"}).status_code == 400


def test_retry_sends_three_identical_copies(make_emulator, webhook: WebhookReceiver) -> None:
    webhook.responder = plain_service
    emulator = start(make_emulator, webhook)
    emulator.follower("o_citizen")
    answer = emulator.phone({"openid": "o_citizen", "type": "text", "content": "报名", "retry": True}).json()
    copies = [xmltodict.parse(r.body)["xml"] for r in webhook.wait_for(3)]
    assert len(copies) == 3 and len(answer["attempts"]) == 3
    assert len({(c["MsgId"], c["CreateTime"], c["Content"]) for c in copies}) == 1
    assert len(answer["replies"]) == 1, "the citizen sees one reply"
    assert len(emulator.messages("o_citizen")) == 1


def test_concurrent_retries(make_emulator, webhook: WebhookReceiver) -> None:
    arrived = threading.Barrier(3, timeout=5)

    def slow_service(received: Received) -> tuple[int, str]:
        arrived.wait()  # all three copies are in flight at once
        return 200, "success"

    webhook.responder = slow_service
    emulator = start(make_emulator, webhook)
    emulator.follower("o_citizen")
    body = {"openid": "o_citizen", "type": "text", "content": "报名", "retry": True, "concurrent": True}
    answer = emulator.phone(body).json()
    assert [a["status"] for a in answer["attempts"]] == [200, 200, 200]
    assert answer["replies"] == []


def test_webhook_timeout_shows_unavailable(make_emulator, webhook: WebhookReceiver) -> None:
    def too_slow(received: Received) -> tuple[int, str]:
        time.sleep(0.5)
        return 200, "success"

    webhook.responder = too_slow
    emulator = start(make_emulator, webhook, webhook_timeout=0.2)
    emulator.follower("o_citizen")
    answer = emulator.phone({"openid": "o_citizen", "type": "text", "content": "x"}).json()
    assert answer["status"] is None and answer["attempts"][0]["error"] == "timeout"
    assert answer["replies"][0]["content"] == "该公众号暂时无法提供服务，请稍后再试"


def test_admin_webhook_settings(emulator: Emulator, webhook: WebhookReceiver) -> None:
    webhook.responder = aes_service
    settings = {"url": webhook.url, "token": TOKEN, "aes_key": AES_KEY, "appid": APPID}
    assert emulator.admin("POST", "/webhook", settings)["mode"] == "aes"
    assert emulator.admin("POST", "/webhook", {"aes_key": "short"})["error"] == "bad_request"
    emulator.follower("o_citizen")
    answer = emulator.phone({"openid": "o_citizen", "type": "text", "content": "hi"}).json()
    assert answer["replies"][0]["content"] == "加密收到：hi"


def test_on_a_moved_clock_the_push_is_signed_with_the_real_time(make_emulator, webhook: WebhookReceiver) -> None:
    """Issue 26.3: WeChat signs with the real time; the emulator's moved clock moves CreateTime only."""
    webhook.responder = plain_service
    emulator = start(make_emulator, webhook, clock_now="2031-05-06T09:00+08:00")
    emulator.follower("o_trial")
    emulator.move_clock(3600)  # and /_admin/clock moves it further
    answer = emulator.phone({"openid": "o_trial", "type": "text", "content": "活动"}).json()
    assert answer["replies"] == [{"type": "text", "content": "收到：活动\n<a href=\"https://x.cn/1\">详情</a>"}]
    [received] = webhook.received
    assert abs(int(received.params["timestamp"]) - time.time()) < 5
    message = xmltodict.parse(received.body)["xml"]
    assert abs(int(message["CreateTime"]) - 1935795600 - 3600) < 5  # 2031-05-06 09:00 Beijing, plus an hour
