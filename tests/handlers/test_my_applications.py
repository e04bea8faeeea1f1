"""``我的报名``: statuses, check-in codes, cancelling, and the waiting list — through the real webhook."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import select

from handlers import texts
from models import Application, ApplicationStatus, Citizen, Event, OutboxMessage
from services.calendar import clock
from tests.conftest import WeChat
from tests.handlers.conftest import Person

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql


def add(session, event_id: int, openid: str, status: ApplicationStatus, rank: int | None = None, code=None) -> int:
    citizen = session.scalar(select(Citizen).where(Citizen.openid == openid))
    if citizen is None:
        citizen = Citizen(openid=openid, created_at=clock.now(), following=True)
        session.add(citizen)
        session.flush()
    application = Application(event_id=event_id, citizen_id=citizen.id, name="王小明", mobile="13700001234",
                              category="群众代表（企业）", street="旧宫镇", status=status, waitlist_rank=rank,
                              checkin_code=code, created_at=clock.now())
    session.add(application)
    session.flush()
    return application.id


@pytest.fixture
def statuses(programme, db_ctx):
    """o_citizen_a with one application in each status."""
    rows = [("OD-01", ApplicationStatus.APPLIED, None, None), ("OD-02", ApplicationStatus.SELECTED, None, "7KQ3MX"),
            ("OD-03", ApplicationStatus.WAITLISTED, 3, None), ("OD-04", ApplicationStatus.NOT_SELECTED, None, None),
            ("OD-06", ApplicationStatus.CANCELLED, None, None), ("OD-07", ApplicationStatus.CHECKED_IN, None, "ABCDEF")]
    with db_ctx() as session:
        for rank in (1, 2):
            add(session, programme["OD-03"], f"o_ahead{rank}", ApplicationStatus.WAITLISTED, rank)
        ids = {code: add(session, programme[code], "o_citizen_a", status, rank, checkin)
               for code, status, rank, checkin in rows}
        session.commit()
    return ids


def test_each_application_with_its_status(citizen, statuses):
    reply = citizen.click("MY_APPLICATIONS")
    assert reply.startswith("我的报名（共 6 条）")
    for expected in ("状态：已报名", "状态：已入选（签到码 7KQ3MX，<a href=\"http://127.0.0.1:8080/pass/7KQ3MX\">点此出示入场码</a>）", "状态：候补第 3 位", "状态：未入选", "状态：已取消",
                     "状态：已签到"):
        assert expected in reply
    assert citizen.say("我的报名") == reply


def test_my_applications_are_listed_in_date_order(citizen, statuses, programme, db_ctx, fixed_now):
    with db_ctx() as session:  # one event already held: listed after the coming ones
        session.get(Event, programme["OD-04"]).starts_at = fixed_now - dt.timedelta(days=3)
        session.commit()
    reply = citizen.say("我的报名")
    assert [int(n) for n in re.findall(r"开放点(\d+)）", reply)] == [1, 2, 3, 6, 7, 4]


def test_a_selected_application_without_a_code_gets_one(citizen, statuses, db_ctx):
    with db_ctx() as session:
        session.get(Application, statuses["OD-02"]).checkin_code = None
        session.commit()
    reply = citizen.say("我的报名")
    with db_ctx() as session:
        code = session.get(Application, statuses["OD-02"]).checkin_code
    assert code and f"已入选（签到码 {code}，" in reply and f"/pass/{code}" in reply


def test_detail_and_cancel_with_confirmation(citizen, statuses, db_ctx):
    listing = citizen.say("我的报名")
    numbers = {line.split(". ")[1].split("\n")[0]: line.split(".")[0] for line in listing.split("\n\n") if ". " in line}
    od1_number = [n for title, n in numbers.items()][0]  # the soonest event (OD-01) is listed first
    detail = citizen.say(od1_number)
    assert "【政务开放日·政务服务体验（开放点1）】" in detail and "状态：已报名" in detail
    assert "王**｜137****1234｜群众代表（企业）｜旧宫镇" in detail and "回复【取消报名】" in detail
    confirm = citizen.say("取消报名")
    assert confirm.startswith("确定要取消“政务开放日·政务服务体验（开放点1）”")
    assert citizen.say("嗯？").startswith(texts.PICK_ONE_OR_TWO)
    assert citizen.retry().startswith(texts.PICK_ONE_OR_TWO)
    done = citizen.say("1")
    assert done.startswith("已取消“政务开放日·政务服务体验（开放点1）”的报名")
    assert citizen.retry() == done
    with db_ctx() as session:
        assert session.get(Application, statuses["OD-01"]).status == ApplicationStatus.CANCELLED


def test_cancel_can_be_kept_or_left(citizen, statuses, db_ctx):
    citizen.say("我的报名")
    citizen.say("1")
    citizen.say("取消报名")
    assert citizen.say("2") == texts.CANCEL_KEPT
    citizen.say("取消报名")
    assert citizen.say("取消") == texts.CANCELLED
    with db_ctx() as session:
        assert session.get(Application, statuses["OD-01"]).status == ApplicationStatus.APPLIED


def test_cancel_without_picking_asks_which(citizen, statuses):
    assert citizen.say("取消报名") == texts.CANCEL_WHICH


def test_cannot_cancel_a_final_status(citizen, statuses):
    citizen.say("我的报名")
    detail = citizen.say("6")  # OD-07: checked in
    assert "已签到" in detail and "取消报名" not in detail
    assert citizen.say("取消报名") == texts.CANNOT_CANCEL_FINAL.format(
        title="政务开放日·采购服务（开放点7）", status="已签到")


def test_cannot_cancel_once_the_event_started(citizen, statuses, db_ctx, fixed_now):
    with db_ctx() as session:
        session.get(Event, session.get(Application, statuses["OD-01"]).event_id).starts_at = (
            fixed_now + dt.timedelta(minutes=10))
        session.commit()
    citizen.say("我的报名")
    citizen.say("1")
    citizen.say("取消报名")
    with clock.frozen(fixed_now + dt.timedelta(minutes=11)):
        assert citizen.say("1") == texts.CANNOT_CANCEL_STARTED.format(title="政务开放日·政务服务体验（开放点1）",
                                                                    status="已报名")


def test_no_applications(citizen, programme):
    assert citizen.say("我的报名") == texts.NO_APPLICATIONS
    assert citizen.say("取消报名") == texts.NOTHING_TO_CANCEL_APPLICATION
    assert citizen.say("确认参加") == texts.NO_OFFER


# -- the waiting list ------------------------------------------------------------------------------

@pytest.fixture
def full_event(programme, db_ctx):
    """OD-04 with 2 seats, both taken (o_sel0, o_sel1), and three waiting (o_wait0..2)."""
    with db_ctx() as session:
        event_id = programme["OD-04"]
        session.get(Event, event_id).seats = 2
        for i in range(2):
            add(session, event_id, f"o_sel{i}", ApplicationStatus.SELECTED, code=f"SEL{i}AB")
        for i in range(3):
            add(session, event_id, f"o_wait{i}", ApplicationStatus.WAITLISTED, rank=i + 1)
        session.commit()
    return event_id


def cancel_by_chat(person: Person) -> str:
    person.say("我的报名")
    person.say("1")
    person.say("取消报名")
    return person.say("1")


def offers(db_ctx, event_id):
    with db_ctx() as session:
        rows = session.scalars(select(Application).where(Application.event_id == event_id,
                                                         Application.offer_expires_at.is_not(None))).all()
        return sorted(a.citizen.openid for a in rows)


def test_a_freed_seat_is_offered_and_accepted_in_chat(make_person, full_event, db_ctx):
    reply = cancel_by_chat(make_person("o_sel0"))
    assert texts.CANCELLED_SEAT_PASSED in reply
    assert offers(db_ctx, full_event) == ["o_wait0"]
    with db_ctx() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "waitlist_offer")).one()
        assert message.recipient == "o_wait0" and "回复【确认参加】" in message.payload["text"]
    waiting = make_person("o_wait0")
    listing = waiting.say("我的报名")
    assert "候补递补：请于 11月24日 周二 09:00 前回复【确认参加】" in listing
    accepted = waiting.say("确认参加")
    assert accepted.startswith("已为您确认名额，您已入选！") and "签到码：" in accepted
    assert waiting.retry() == accepted
    assert "已入选（签到码" in waiting.say("我的报名")
    assert make_person("o_wait1").say("我的报名").count("候补第 1 位") == 1


def test_an_offer_can_be_declined_and_passes_on(make_person, full_event, db_ctx):
    cancel_by_chat(make_person("o_sel0"))
    reply = make_person("o_wait0").say("放弃名额")
    assert reply == texts.OFFER_DECLINED.format(title="政务开放日·政务服务体验（开放点4）")
    assert offers(db_ctx, full_event) == ["o_wait1"]


def test_an_expired_offer_cannot_be_accepted(make_person, full_event, fixed_now):
    cancel_by_chat(make_person("o_sel0"))
    with clock.frozen(fixed_now + dt.timedelta(hours=25)):
        assert make_person("o_wait0").say("确认参加") == texts.NO_OFFER


def test_two_selected_citizens_cancel_at_the_same_moment(app, full_event, db_ctx):
    """Both confirm at once through the webhook: each seat goes to exactly one distinct waiting person."""
    people = [Person(WeChat(app.test_client()), f"o_sel{i}") for i in range(2)]
    for person in people:
        person.say("我的报名")
        person.say("1")
        assert person.say("取消报名").startswith("确定要取消")
    barrier = threading.Barrier(2)
    replies = [None, None]

    def confirm(i):
        barrier.wait()
        replies[i] = people[i].say("1")

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(reply.startswith("已取消") for reply in replies), replies
    assert offers(db_ctx, full_event) == ["o_wait0", "o_wait1"]
    with db_ctx() as session:
        recipients = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.purpose == "waitlist_offer"))
        assert sorted(recipients) == ["o_wait0", "o_wait1"]
