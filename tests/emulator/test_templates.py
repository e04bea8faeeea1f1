"""Template messages and subscribe notifications."""

from __future__ import annotations

import xmltodict
from wechatpy.utils import check_signature

from tests.emulator.helpers import Emulator, WebhookReceiver

TEMPLATE = "/cgi-bin/message/template/send"
BIZSEND = "/cgi-bin/message/subscribe/bizsend"


def reminder(openid: str, **values: str) -> dict:
    """A ``tmpl_reminder`` message with the given field values."""
    data = {"thing1": "大兴区政务开放日", "time2": "2024年5月20日 09:30", "thing3": "区政务服务中心"}
    data.update(values)
    return {
        "touser": openid,
        "template_id": "tmpl_reminder",
        "url": "https://example.gov.cn/events/1",
        "data": {key: {"value": value, "color": "#173177"} for key, value in data.items()},
    }


def test_template_message_is_recorded_as_a_card(emulator: Emulator) -> None:
    emulator.follower("o_citizen")  # no interaction needed: templates ignore the 48-h window
    body = reminder("o_citizen", first="您好", remark="请准时参加")
    answer = emulator.api(TEMPLATE, body)
    assert answer["errcode"] == 0 and answer["msgid"] > 0
    [message] = emulator.messages("o_citizen")
    card = message["payload"]
    assert message["kind"] == "template" and card["title"] == "活动开始提醒"
    assert [(f["label"], f["value"]) for f in card["fields"]] == [
        ("活动名称", "大兴区政务开放日"),
        ("开始时间", "2024年5月20日 09:30"),
        ("活动地点", "区政务服务中心"),
    ]
    assert card["dropped"] == ["first", "remark"], "first/remark dropped since 2023-05-04"
    assert "color" not in str(card["fields"])
    assert card["url"] == "https://example.gov.cn/events/1"


def test_template_field_longer_than_20_characters(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    answer = emulator.api(TEMPLATE, reminder("o_citizen", thing1="二" * 21))
    assert answer["errcode"] == 47003
    assert answer["errmsg"].startswith("argument invalid! data.thing1.value")
    assert emulator.api(TEMPLATE, reminder("o_citizen", thing1="二" * 20))["errcode"] == 0


def test_template_field_with_a_line_break(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    answer = emulator.api(TEMPLATE, reminder("o_citizen", thing3="第一行\n第二行"))
    assert answer["errcode"] == 47003 and "data.thing3.value" in answer["errmsg"]
    assert emulator.messages("o_citizen") == []


def selection(openid: str, **values: str) -> dict:
    """A ``tmpl_selection`` message (遴选结果通知) with the given field values."""
    data = {"thing1": "政务开放日·社银合作", "time2": "10月12日 09:30", "thing3": "区政务服务中心",
            "phrase4": "候补", "thing5": "您现为候补第3位，有名额即通知您"}
    data.update(values)
    return {"touser": openid, "template_id": "tmpl_selection",
            "data": {key: {"value": value} for key, value in data.items()}}


def test_fields_are_checked_by_their_key_type_as_wechat_does(emulator: Emulator) -> None:
    """Issue 26.1: a phrase holds at most 5 Chinese characters, a time a time; nothing may be empty or missing."""
    emulator.follower("o_citizen")
    assert emulator.api(TEMPLATE, selection("o_citizen"))["errcode"] == 0
    for key, value in [("phrase4", "候补递补，请确认是否参加"), ("phrase4", "候补3"), ("time2", "2026年10月12日"),
                       ("time2", "10月12日 周一 09:30"), ("thing3", ""), ("thing5", " ")]:
        answer = emulator.api(TEMPLATE, selection("o_citizen", **{key: value}))
        assert (answer["errcode"], answer["errmsg"]) == (47003, f"argument invalid! data.{key}.value invalid"), value
        assert emulator.api(BIZSEND, selection("o_citizen", **{key: value}))["errcode"] == 47003
    missing = selection("o_citizen")
    del missing["data"]["thing3"]
    assert emulator.api(TEMPLATE, missing)["errmsg"] == "argument invalid! data.thing3.value invalid"
    assert len(emulator.messages("o_citizen")) == 1


def test_unknown_template_and_not_following(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    assert emulator.api(TEMPLATE, {**reminder("o_citizen"), "template_id": "nope"})["errcode"] == 40037
    emulator.follower("o_citizen", subscribe=False)
    assert emulator.api(TEMPLATE, reminder("o_citizen"))["errcode"] == 43004


def test_configured_template(make_emulator) -> None:
    extra = {"id": "tmpl_custom", "title": "自定义", "fields": [{"key": "thing9", "label": "事项"}]}
    emulator = make_emulator({"templates": [extra]})
    emulator.follower("o_citizen")
    body = {"touser": "o_citizen", "template_id": "tmpl_custom", "data": {"thing9": {"value": "测试"}}}
    assert emulator.api(TEMPLATE, body)["errcode"] == 0
    assert emulator.messages("o_citizen")[0]["payload"]["fields"][0]["label"] == "事项"


def test_template_client_msg_id_prevents_a_second_send(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    body = {**reminder("o_citizen"), "client_msg_id": "reminder-1-o_citizen"}
    first, second = emulator.api(TEMPLATE, body), emulator.api(TEMPLATE, body)
    assert first["msgid"] == second["msgid"]
    assert len(emulator.messages("o_citizen")) == 1


def test_templatesendjobfinish_is_posted_signed(make_emulator, webhook: WebhookReceiver) -> None:
    emulator = make_emulator({"webhook_url": webhook.url, "webhook_token": "tok123", "event_delay_ms": 50})
    emulator.follower("o_citizen")
    msgid = emulator.api(TEMPLATE, reminder("o_citizen"))["msgid"]
    [received] = webhook.wait_for(1)
    params = received.params
    check_signature("tok123", params["signature"], params["timestamp"], params["nonce"])
    event = xmltodict.parse(received.body)["xml"]
    assert event["MsgType"] == "event" and event["Event"] == "TEMPLATESENDJOBFINISH"
    assert event["FromUserName"] == "o_citizen" and event["ToUserName"] == "gh_demo"
    assert int(event["MsgID"]) == msgid and event["Status"] == "success"
    assert emulator.admin("GET", "/deliveries", event="TEMPLATESENDJOBFINISH")[0]["status"] == 200


def test_subscribe_notification_refused_is_43101(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    body = {**reminder("o_citizen"), "page": "https://example.gov.cn/e/1"}
    assert emulator.api(BIZSEND, body)["errcode"] == 0
    emulator.admin("POST", "/users/o_citizen/refusal", {"refused": True})
    assert emulator.api(BIZSEND, body)["errcode"] == 43101
    emulator.follower("o_other", subscribe_refused=True)
    assert emulator.api(BIZSEND, {**body, "touser": "o_other"})["errcode"] == 43101
    emulator.follower("o_citizen", subscribe=False)
    assert emulator.api(BIZSEND, body)["errcode"] == 43004
    assert [m["kind"] for m in emulator.messages("o_citizen")] == ["subscribe"]
