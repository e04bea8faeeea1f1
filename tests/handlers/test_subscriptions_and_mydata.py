"""Topic subscriptions, notices of new events, unfollowing, and ``我的信息`` with deletion."""

from __future__ import annotations

from sqlalchemy import select

from handlers import texts
from models import Application, Citizen, Event, OutboxMessage, OutboxStatus, Suggestion
from services.programme import events
from tests.handlers.test_apply import STEPS


def test_follow_and_unfollow_topics_by_number(citizen, programme):
    listing = citizen.click("SUBSCRIBE")
    assert "1. 优化营商环境\n" in listing and "6. 政策公开讲" in listing
    reply = citizen.say("6")
    assert reply.startswith(texts.SUBSCRIBED.format(topic="政策公开讲"))
    assert "6. 政策公开讲（已订阅）" in reply
    assert citizen.retry() == reply  # a retried message does not toggle twice
    reply = citizen.say("6")
    assert reply.startswith(texts.UNSUBSCRIBED.format(topic="政策公开讲")) and "（已订阅）" not in reply


def test_followers_of_a_topic_get_a_notice_when_an_event_is_published(citizen, make_person, programme, db_ctx,
                                                                      fixed_now):
    citizen.say("订阅")
    citizen.say("6")  # 政策公开讲
    gone = make_person("o_gone")
    gone.say("订阅")
    gone.say("6")
    gone.event("unsubscribe")
    make_person("o_other").say("订阅")
    with db_ctx() as session:
        event = session.get(Event, programme["PL-2"])
        assert events.publish_notice(session, event, fixed_now) == 1
        assert events.publish_notice(session, event, fixed_now) == 1  # idempotent
        session.commit()
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "topic_notice")).one()
    assert message.recipient == "o_citizen_a" and message.subject == f"event:{programme['PL-2']}"
    assert "政策公开讲·中介机构奖励办法宣讲" in message.payload["text"]
    assert f"/events/{programme['PL-2']}" in message.payload["url"]
    assert message.payload["template"] == "notice"
    assert all(len(v) <= 20 and "\n" not in v for v in message.payload["data"].values())


def test_unfollowing_the_account_cancels_pending_pushes(citizen, programme, db_ctx, fixed_now):
    citizen.say("订阅")
    citizen.say("1")
    with db_ctx() as session:
        events.publish_notice(session, session.get(Event, programme["OD-01"]), fixed_now)
        session.commit()
    citizen.event("unsubscribe")
    with db_ctx() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.status == OutboxStatus.CANCELLED
        assert session.scalar(select(Citizen.following).where(Citizen.openid == "o_citizen_a")) is False
        events.publish_notice(session, session.get(Event, programme["OD-02"]), fixed_now)
        session.commit()
        assert len(session.scalars(select(OutboxMessage)).all()) == 1  # nothing new for someone not following


def apply_once(person) -> None:
    person.say("报名")
    for answer, _ in [*STEPS, ("确认", "")]:
        person.say(answer)


def test_my_info_shows_what_is_held_masked(citizen, programme, wechat):
    citizen.event("subscribe")
    assert citizen.click("MY_INFO") == texts.MY_INFO_NOTHING, "the follow is written behind, within seconds"
    assert wechat.flush() == 1
    assert "常用报名信息：未保存" in citizen.click("MY_INFO")
    apply_once(citizen)
    citizen.say("订阅")
    citizen.say("2")
    info = citizen.say("我的信息")
    for expected in ("关注状态：已关注（2026年11月23日起）", "常用报名信息：张*｜138****5678｜群众代表（家长）｜黄村镇",
                     "订阅专题：便民惠民服务", "报名记录：1 条", "意见建议：0 条", "回复【删除我的信息】"):
        assert expected in info
    assert "13812345678" not in info


def test_deleting_my_data_needs_confirmation_and_keeps_records_anonymised(citizen, programme, db_ctx):
    apply_once(citizen)
    citizen.say("建议")
    citizen.send("image", PicUrl="http://x/1.jpg", MediaId="m1")
    citizen.say("0")
    citizen.say("建议增加周末开放场次，方便上班族。")
    citizen.say("订阅")
    citizen.say("1")
    assert citizen.say("删除我的信息") == texts.ERASE_CONFIRM
    assert citizen.say("算了") == texts.ERASE_KEPT
    citizen.say("删除我的信息")
    done = citizen.say("确认删除")
    assert done == texts.ERASED.format(cancelled=1, applications=1, suggestions=1)
    assert citizen.retry() == done
    with db_ctx() as session:
        person = session.scalar(select(Citizen).where(Citizen.openid == "o_citizen_a"))
        assert (person.saved_name, person.saved_mobile, person.saved_street, person.topics) == (None, None, "", [])
        application = session.scalars(select(Application)).one()
        assert (application.name, application.mobile, application.citizen_id) == (None, None, None)
        assert application.status == "cancelled" and application.category == "群众代表（家长）"
        suggestion = session.scalars(select(Suggestion)).one()
        assert suggestion.citizen_id is None and suggestion.attachments == [] and suggestion.text
    assert citizen.say("我的报名") == texts.NO_APPLICATIONS
    assert citizen.say("我的建议") == texts.NO_SUGGESTIONS
    assert "常用报名信息：未保存" in citizen.say("我的信息")
    # Applying again asks for everything afresh.
    citizen.say("报名")
    assert texts.ASK_NAME in citizen.say("1")


def test_unknown_text_and_non_text_never_go_unanswered(citizen, programme):
    assert citizen.say("你好") == texts.UNKNOWN
    assert citizen.say("13812345678") == texts.UNKNOWN
    assert citizen.send("voice", MediaId="v", Format="amr") == texts.NON_TEXT
    assert citizen.send("video", MediaId="v", ThumbMediaId="t") == texts.NON_TEXT
    assert citizen.send("location", Location_X="39.7", Location_Y="116.3", Scale="15", Label="大兴") == texts.LOCATION
    assert "【活动】" in citizen.click("HELP")
    assert citizen.say("<script>alert(1)</script>") == texts.UNKNOWN
    assert citizen.say("更多") == texts.NOTHING_MORE
