"""What citizens type in the chat is cleaned where it enters (ChatContext.text): bidi overrides and
isolates, C1 controls gone, NFC, before any handler validates or stores it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Application, Suggestion

pytestmark = pytest.mark.postgres
# A right-to-left override, an isolate, a C1 control (NEL) and "é" as e + combining acute: valid in XML,
# invisible in the chat, and each would be stored as typed.
DIRTY = "希望\u202e参加\u2066座谈\u2069\x85，cafe\u0301"
CLEAN = "希望参加座谈，café"


def test_a_reason_and_a_name_typed_in_the_chat_are_stored_clean(citizen, programme, db_ctx):
    citizen.say("报名")
    citizen.say("1")
    for answer in ("张\u202e三", "13812345678", "3", "黄村", DIRTY, "同意"):
        citizen.say(answer)
    assert citizen.say("确认").startswith("报名成功！")
    with db_ctx() as session:
        application = session.scalars(select(Application)).one()
        assert (application.name, application.reason) == ("张三", CLEAN)


def test_a_suggestion_typed_in_the_chat_is_stored_clean(citizen, programme, db_ctx):
    citizen.say("建议")
    assert "感谢您的意见建议" in citizen.say("政务服务大厅" + DIRTY)
    with db_ctx() as session:
        assert session.scalars(select(Suggestion.text)).one() == "政务服务大厅" + CLEAN


def test_control_characters_xml_does_not_allow_still_get_an_answer(citizen, programme, db_ctx):
    """U+0001, U+000B, U+001F make the pushed XML unreadable; the citizen used to get silence."""
    citizen.say("建议")
    reply = citizen.say("\x01政务服务\x0b大厅\x1f希望增加周末开放时间")
    assert "感谢您的意见建议" in reply
    with db_ctx() as session:
        assert session.scalars(select(Suggestion.text)).one() == "政务服务大厅希望增加周末开放时间"
