"""Mass sends: the monthly quota of 4, clientmsgid dedup, the finish event."""

from __future__ import annotations

import xmltodict

from tests.emulator.helpers import Emulator, WebhookReceiver

SENDALL = "/cgi-bin/message/mass/sendall"
SEND = "/cgi-bin/message/mass/send"


def broadcast(text: str, client_id: str | None = None, **audience: object) -> dict:
    """A text mass send to everybody (or the given filter)."""
    body: dict = {"filter": audience or {"is_to_all": True}, "msgtype": "text", "text": {"content": text}}
    if client_id:
        body["clientmsgid"] = client_id
    return body


def test_monthly_quota_of_four(emulator: Emulator) -> None:
    emulator.follower("o_a")
    emulator.follower("o_b", mass_received_this_month=3)
    assert emulator.api(SENDALL, broadcast("第一次", "c1"))["errcode"] == 0
    assert len(emulator.messages("o_b", kind="mass")) == 1
    for n in (2, 3, 4):
        assert emulator.api(SENDALL, broadcast(f"第{n}次", f"c{n}"))["errcode"] == 0
    assert len(emulator.messages("o_a", kind="mass")) == 4
    assert len(emulator.messages("o_b", kind="mass")) == 1, "o_b was over quota and skipped"
    assert emulator.api(SENDALL, broadcast("第五次", "c5"))["errcode"] == 45028
    emulator.move_clock(32 * 24 * 3600)
    assert emulator.api(SENDALL, broadcast("下个月", "c6"))["errcode"] == 0, "quota is per calendar month"


def test_clientmsgid_dedup(emulator: Emulator) -> None:
    emulator.follower("o_a")
    emulator.follower("o_b")
    first = emulator.api(SEND, {"touser": ["o_a", "o_b"], "msgtype": "text", "text": {"content": "通知"},
                                "clientmsgid": "broadcast-7"})
    assert first["errcode"] == 0 and first["errmsg"] == "send job submission success"
    again = emulator.api(SENDALL, broadcast("另一条", "broadcast-7"))
    assert again == {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": first["msg_id"]}
    assert len(emulator.messages("o_a")) == 1, "nothing sent again"
    emulator.move_clock(24 * 3600 + 1)
    assert emulator.api(SENDALL, broadcast("另一条", "broadcast-7"))["errcode"] == 0


def test_same_broadcast_without_clientmsgid_is_deduplicated(emulator: Emulator) -> None:
    emulator.follower("o_a")
    first = emulator.api(SENDALL, broadcast("同样的内容"))
    assert emulator.api(SENDALL, broadcast("同样的内容"))["msg_id"] == first["msg_id"]
    assert emulator.api(SENDALL, broadcast("不同的内容"))["errcode"] == 0


def test_mass_to_tag_and_openid_rules(emulator: Emulator) -> None:
    tag = emulator.api("/cgi-bin/tags/create", {"tag": {"name": "人大代表"}})["tag"]
    emulator.follower("o_a")
    emulator.follower("o_b")
    assert emulator.api("/cgi-bin/tags/members/batchtagging", {"openid_list": ["o_a"], "tagid": tag["id"]})["errcode"] == 0
    assert emulator.api(SENDALL, broadcast("代表通知", "t1", is_to_all=False, tag_id=tag["id"]))["errcode"] == 0
    assert [m["openid"] for m in emulator.messages(kind="mass")] == ["o_a"]
    one = {"touser": ["o_a"], "msgtype": "text", "text": {"content": "x"}}
    assert emulator.api(SEND, one)["errcode"] == 40130, "an openid list needs at least two"


def test_preview_uses_no_quota(emulator: Emulator) -> None:
    emulator.follower("o_a", mass_received_this_month=4)
    answer = emulator.api("/cgi-bin/message/mass/preview", {"touser": "o_a", "msgtype": "text", "text": {"content": "预览"}})
    assert answer["errcode"] == 0
    assert emulator.messages("o_a")[0]["payload"]["preview"] is True


def test_masssendjobfinish_event(make_emulator, webhook: WebhookReceiver) -> None:
    emulator = make_emulator({"webhook_url": webhook.url, "event_delay_ms": 10})
    emulator.follower("o_a")
    emulator.follower("o_b", mass_received_this_month=4)
    msg_id = emulator.api(SENDALL, broadcast("通知", "x1"))["msg_id"]
    event = xmltodict.parse(webhook.wait_for(1)[0].body)["xml"]
    assert event["Event"] == "MASSSENDJOBFINISH" and int(event["MsgID"]) == msg_id
    counts = {k: int(event[k]) for k in ("TotalCount", "FilterCount", "SentCount", "ErrorCount")}
    assert counts == {"TotalCount": 2, "FilterCount": 1, "SentCount": 1, "ErrorCount": 0}
    status = emulator.api("/cgi-bin/message/mass/get", {"msg_id": msg_id})
    assert status["msg_status"] == "SEND_SUCCESS"
