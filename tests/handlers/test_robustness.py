"""Whatever a citizen types, in whatever state: a polite reply, never silence, an error or broken XML."""

from __future__ import annotations

import pytest

from handlers import texts
from tests.handlers.test_apply import STEPS

ODD = ["", "   ", "😀😀😀", "<xml><a>&amp;</a></xml>", "]]>", "字" * 3000, "-1", "99999", "0", "１",
       "{title}{0}%s", "' OR 1=1 --", "取消报名", "确认参加", "放弃名额", "更多", "删除我的信息", "\u200b", "A" * 25]


def setup_none(person):
    pass


def setup_list(person):
    person.say("活动")


def setup_apply(steps):
    def setup(person):
        person.say("报名")
        for answer, _ in STEPS[:steps]:
            person.say(answer)
    return setup


def setup_reuse(person):
    setup_apply(len(STEPS))(person)
    person.say("确认")
    person.say("报名")
    person.say("1")


def setup_suggest(step):
    def setup(person):
        person.say("建议")
        if step == "text":
            person.say("0")
    return setup


def setup_cancel(person):
    setup_apply(len(STEPS))(person)
    person.say("确认")
    person.say("我的报名")
    person.say("1")
    person.say("取消报名")


def setup_erase(person):
    person.say("删除我的信息")


STATES = {"none": setup_none, "list": setup_list, "reuse": setup_reuse, "suggest-about": setup_suggest("about"),
          "suggest-text": setup_suggest("text"), "cancel": setup_cancel, "erase": setup_erase,
          **{f"apply-{i}": setup_apply(i) for i in range(len(STEPS) + 1)}}


@pytest.mark.parametrize("state", STATES)
def test_odd_input_in_every_state_gets_a_reply(citizen, programme, state):
    STATES[state](citizen)
    for text in ODD:
        reply = citizen.say(text)
        assert reply, (state, text)
        assert reply not in (texts.SORRY_ERROR, texts.SORRY_BUSY), (state, text)
    for msg_type, fields in (("image", {"PicUrl": "http://x/1.jpg", "MediaId": "m"}), ("voice", {"MediaId": "v"}),
                             ("location", {"Location_X": "39", "Location_Y": "116", "Scale": "1", "Label": "x"})):
        reply = citizen.send(msg_type, **fields)
        assert reply and reply not in (texts.SORRY_ERROR, texts.SORRY_BUSY), (state, msg_type)


def test_text_with_cdata_end_is_echoed_safely(citizen, programme):
    citizen.say("报名")
    for answer, _ in STEPS[:5]:
        citizen.say(answer)
    citizen.say("理由]]><b>x</b>")
    summary = citizen.say("同意")
    assert "报名理由：理由]]><b>x</b>" in summary  # the renderer splits the CDATA section around "]]>"
