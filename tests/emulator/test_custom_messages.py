"""Customer-service messages: following, the 48-hour window and the allowances."""

from __future__ import annotations

from tests.emulator.helpers import Emulator

CUSTOM = "/cgi-bin/message/custom/send"


def send_text(emulator: Emulator, openid: str, text: str = "您好") -> int:
    """Send a customer-service text; the errcode."""
    body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
    return emulator.api(CUSTOM, body)["errcode"]


def test_not_following_is_43004(emulator: Emulator) -> None:
    emulator.follower("o_gone", interaction="message")
    emulator.follower("o_gone", subscribe=False)
    assert send_text(emulator, "o_gone") == 43004
    assert send_text(emulator, "o_never_seen") == 40003
    assert emulator.messages("o_gone") == []


def test_48_hour_window(emulator: Emulator) -> None:
    emulator.follower("o_citizen", interaction="message")
    emulator.move_clock(47 * 3600)
    assert send_text(emulator, "o_citizen") == 0
    emulator.move_clock(3600 + 1)
    assert send_text(emulator, "o_citizen") == 45015
    # A new message from the citizen opens the window again.
    emulator.phone({"openid": "o_citizen", "type": "text", "content": "在吗"})
    assert send_text(emulator, "o_citizen") == 0


def test_follower_who_never_interacted_is_outside_the_window(emulator: Emulator) -> None:
    emulator.follower("o_quiet")
    assert send_text(emulator, "o_quiet") == 45015


def test_five_messages_per_citizen_message(emulator: Emulator) -> None:
    emulator.follower("o_citizen", interaction="message")
    assert [send_text(emulator, "o_citizen", f"第{i}条") for i in range(6)] == [0] * 5 + [45047]
    emulator.follower("o_citizen", interaction="message")
    assert send_text(emulator, "o_citizen") == 0, "a new message resets the allowance"
    sent = emulator.messages("o_citizen", kind="custom")
    assert [m["payload"]["text"]["content"] for m in sent[:2]] == ["第0条", "第1条"]


def test_three_messages_within_a_minute_after_a_click(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    menu_click = {"openid": "o_citizen", "type": "event", "event": "CLICK", "event_key": "EVENTS"}
    emulator.phone(menu_click)
    assert [send_text(emulator, "o_citizen") for _ in range(4)] == [0, 0, 0, 45047]
    emulator.phone(menu_click)
    emulator.move_clock(61)
    assert send_text(emulator, "o_citizen") == 45047, "the click allowance lasts 1 minute"
    emulator.move_clock(48 * 3600)
    assert send_text(emulator, "o_citizen") == 45015


def test_view_button_opens_no_allowance(emulator: Emulator) -> None:
    emulator.follower("o_citizen")
    emulator.phone({"openid": "o_citizen", "type": "event", "event": "VIEW", "event_key": "https://x"})
    assert send_text(emulator, "o_citizen") == 45015


def test_follow_opens_three_then_a_message_adds_five(emulator: Emulator) -> None:
    emulator.phone({"openid": "o_new", "type": "event", "event": "subscribe"})
    emulator.phone({"openid": "o_new", "type": "text", "content": "活动"})
    assert [send_text(emulator, "o_new") for _ in range(9)] == [0] * 8 + [45047]


def test_custom_message_content_rules(emulator: Emulator) -> None:
    emulator.follower("o_citizen", interaction="message")
    assert send_text(emulator, "o_citizen", "") == 44004
    assert send_text(emulator, "o_citizen", "长" * 683) == 45002  # 2049 bytes
    two_articles = {"articles": [{"title": "a", "url": "u"}, {"title": "b", "url": "u"}]}
    body = {"touser": "o_citizen", "msgtype": "news", "news": two_articles}
    assert emulator.api(CUSTOM, body)["errcode"] == 45008
    body = {"touser": "o_citizen", "msgtype": "sticker", "sticker": {}}
    assert emulator.api(CUSTOM, body)["errcode"] == 40008
