"""services.participation.applications and the waiting list, with a fixed ``now``; concurrency with real threads."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from app import demo
from models import Application, ApplicationStatus, Citizen, Event, EventMode, OutboxMessage, db
from services.calendar import clock
from services.participation import applications, checkin_codes, waitlist
from services.participation.checkin_codes import CHECKIN_ALPHABET
from services.programme import events

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


def event_id(session, code: str) -> int:
    return session.scalar(select(Event.id).where(Event.code == code))


def person(session, openid: str, **values) -> Citizen:
    citizen = Citizen(openid=openid, created_at=NOW, following=True, **values)
    session.add(citizen)
    session.flush()
    return citizen


def add_application(session, event: int, openid: str, status=ApplicationStatus.APPLIED, rank=None) -> Application:
    citizen = person(session, openid)
    application = Application(event_id=event, citizen_id=citizen.id, name="张三", mobile="13800000000",
                              category="其他群众", street="兴丰街道", status=status, waitlist_rank=rank, created_at=NOW)
    session.add(application)
    session.flush()
    return application


def details(**overrides):
    values = dict(name="李四", mobile="13912345678", category="1", street="兴丰", reason="")
    values.update(overrides)
    return values


# -- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["张三", "欧阳娜娜", "Zhang San", "阿卜杜·热合曼", "  王 五 "])
def test_plausible_names(raw):
    assert applications.clean_name(raw) == " ".join(raw.split())


@pytest.mark.parametrize("raw", ["张", "", "12", "张3", "张三!", "a" * 21, "<script>"])
def test_implausible_names(raw):
    with pytest.raises(applications.InvalidName):
        applications.clean_name(raw)


@pytest.mark.parametrize(("raw", "clean"), [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
                                             ("+86 138-1234-5678", "13812345678"), ("8619912345678", "19912345678"),
                                             ("１３８１２３４５６７８", "13812345678")])
def test_mobiles(raw, clean):
    assert applications.clean_mobile(raw) == clean


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "010-12345678", "abc"])
def test_not_mobiles(raw):
    with pytest.raises(applications.InvalidMobile):
        applications.clean_mobile(raw)


def test_categories_by_number_and_name():
    assert applications.clean_category("1") == "人大代表"
    assert applications.clean_category("群众代表(企业)") == "群众代表（企业）"
    assert applications.clean_category("媒体") == "媒体记者"
    with pytest.raises(applications.InvalidCategory):
        applications.clean_category("7")


def test_streets():
    from services.participation import streets

    assert len(streets.STREETS) == 8 and len(streets.TOWNS) == 14
    assert applications.clean_street("兴丰") == "兴丰街道"
    assert applications.clean_street("大兴区黄村地区") == "黄村镇"
    assert applications.clean_street("23") == "其他"
    with pytest.raises(applications.InvalidStreet):
        applications.clean_street("朝阳区")


# -- applying -----------------------------------------------------------------------------------

def test_apply_creates_one_application_and_saves_details(session):
    od1 = event_id(session, "OD-01")
    application = applications.apply(session, "o_a", od1, now=NOW, **details())
    assert (application.category, application.street, application.status) == ("人大代表", "兴丰街道", "applied")
    assert applications.saved_details(session, "o_a") == {
        "name": "李四", "mobile": "13912345678", "category": "人大代表", "street": "兴丰街道"}
    with pytest.raises(applications.AlreadyApplied) as caught:
        applications.apply(session, "o_a", od1, now=NOW, **details())
    assert caught.value.application.id == application.id


def test_apply_refuses_closed_windows(session):
    od5 = event_id(session, "OD-05")  # online only
    with pytest.raises(applications.ApplicationsClosed) as caught:
        applications.apply(session, "o_a", od5, now=NOW, **details())
    assert caught.value.window.state is events.WindowState.NO_APPLICATIONS
    od1 = session.get(Event, event_id(session, "OD-01"))
    with pytest.raises(applications.ApplicationsClosed) as caught:
        applications.apply(session, "o_a", od1.id, now=od1.apply_closes_at, **details())
    assert caught.value.window.state is events.WindowState.CLOSED


def test_window_states(session):
    event = session.get(Event, event_id(session, "OD-01"))
    assert events.application_window(event, NOW).is_open
    assert events.application_window(event, event.starts_at).state is events.WindowState.STARTED
    event.apply_opens_at = NOW + dt.timedelta(days=1)
    assert events.application_window(event, NOW).state is events.WindowState.NOT_YET
    event.status = "cancelled"
    assert events.application_window(event, NOW).state is events.WindowState.CANCELLED


# -- cancelling and the waiting list ------------------------------------------------------------

def test_cancel_until_the_event_starts(session):
    od1 = session.get(Event, event_id(session, "OD-01"))
    application = applications.apply(session, "o_a", od1.id, now=NOW, **details())
    with pytest.raises(applications.CannotCancel) as caught:
        applications.cancel(session, "o_a", application.id, od1.starts_at)
    assert caught.value.reason == "started"
    outcome = applications.cancel(session, "o_a", application.id, NOW)
    assert outcome.application.status == ApplicationStatus.CANCELLED and not outcome.freed_seat
    with pytest.raises(applications.CannotCancel):
        applications.cancel(session, "o_a", application.id, NOW)
    with pytest.raises(applications.ApplicationNotFound):
        applications.cancel(session, "o_other", application.id, NOW)


def full_event(session, seats: int = 2, waiting: int = 3) -> tuple[int, list[Application], list[Application]]:
    """An event with all seats taken and a waiting list."""
    eid = event_id(session, "OD-04")
    session.get(Event, eid).seats = seats
    selected = [add_application(session, eid, f"o_sel{i}", ApplicationStatus.SELECTED) for i in range(seats)]
    waiting_rows = [add_application(session, eid, f"o_wait{i}", ApplicationStatus.WAITLISTED, rank=i + 1)
                    for i in range(waiting)]
    session.commit()
    return eid, selected, waiting_rows


def test_a_selected_citizen_who_cancels_frees_the_seat_for_the_first_waiting(session):
    eid, selected, waiting = full_event(session)
    assert waitlist.waitlist_position(session, waiting[1]) == 2
    outcome = applications.cancel(session, "o_sel0", selected[0].id, NOW)
    assert outcome.freed_seat and [a.id for a in outcome.offers] == [waiting[0].id]
    assert waiting[0].offer_expires_at == NOW + dt.timedelta(hours=24)
    assert waitlist.waitlist_position(session, waiting[1]) == 1
    message = session.scalars(select(OutboxMessage)).one()
    assert (message.recipient, message.purpose, message.subject) == ("o_wait0", "waitlist_offer", f"application:{waiting[0].id}")
    assert "确认参加" in message.payload["text"] and message.payload["template"] == "offer"
    assert message.payload["data"]["result"] == "待确认" and message.payload["data"]["place"]
    assert message.payload["url"].endswith("/my/applications")


@pytest.mark.parametrize(("mode", "place", "shown"), [
    (EventMode.HYBRID, "", "线上"), (EventMode.HYBRID, "  ", "线上"), (EventMode.OFFLINE, "", "见活动详情"),
    (EventMode.OFFLINE, "高米店街道政务服务大厅", "高米店街道政务服务大厅")])
def test_the_offer_always_names_a_place(session, mode, place, shown):
    """Issue 26.2: the offer card's place is never empty (线上 for an event followed online)."""
    eid, selected, waiting = full_event(session)
    event = session.get(Event, eid)
    event.mode, event.place = mode, place
    session.commit()
    applications.cancel(session, "o_sel0", selected[0].id, NOW)
    message = session.scalars(select(OutboxMessage)).one()
    assert message.payload["data"]["place"] == shown and f"地点：{shown}" in message.payload["text"]
    assert message.payload["data"]["deadline"] == "11月24日 09:00"


def test_accepting_an_offer_selects_with_a_checkin_code(session):
    eid, selected, waiting = full_event(session)
    applications.cancel(session, "o_sel0", selected[0].id, NOW)
    accepted = waitlist.accept_offer(session, "o_wait0", waiting[0].id, NOW + dt.timedelta(hours=1))
    assert accepted.status == ApplicationStatus.SELECTED and accepted.offer_expires_at is None
    assert len(accepted.checkin_code) == 6 and set(accepted.checkin_code) <= set(CHECKIN_ALPHABET)
    with pytest.raises(waitlist.NoOffer):
        waitlist.accept_offer(session, "o_wait0", waiting[0].id, NOW)


def test_declining_passes_the_seat_on(session):
    eid, selected, waiting = full_event(session)
    applications.cancel(session, "o_sel0", selected[0].id, NOW)
    waitlist.decline_offer(session, "o_wait0", waiting[0].id, NOW)
    assert waiting[0].status == ApplicationStatus.CANCELLED
    assert waiting[1].offer_expires_at is not None


def test_expired_offers_pass_the_seat_on_and_say_so(session):
    eid, selected, waiting = full_event(session)
    applications.cancel(session, "o_sel0", selected[0].id, NOW)
    later = NOW + dt.timedelta(hours=25)
    with pytest.raises(waitlist.NoOffer) as caught:
        waitlist.accept_offer(session, "o_wait0", waiting[0].id, later)
    assert caught.value.expired
    expired = waitlist.expire_offers(session, later)
    assert [a.id for a in expired] == [waiting[0].id]
    assert waiting[0].status == ApplicationStatus.NOT_SELECTED
    assert waiting[1].offer_expires_at == later + dt.timedelta(hours=24)
    purposes = sorted(m.purpose for m in session.scalars(select(OutboxMessage)))
    assert purposes == ["waitlist_offer", "waitlist_offer", "waitlist_offer_expired"]
    assert waitlist.expire_offers(session, later) == []


def test_offer_deadline_never_passes_the_last_moment_before_the_event(session):
    eid, selected, waiting = full_event(session)
    starts = session.get(Event, eid).starts_at
    late = starts - dt.timedelta(hours=10)
    applications.cancel(session, "o_sel0", selected[0].id, late)
    assert waiting[0].offer_expires_at == starts - dt.timedelta(hours=2)


def test_no_offer_to_a_citizen_who_unfollowed(session):
    eid, selected, waiting = full_event(session)
    waiting[0].citizen.following = False
    applications.cancel(session, "o_sel0", selected[0].id, NOW)
    assert waiting[0].offer_expires_at is None and waiting[1].offer_expires_at is not None


def test_checkin_codes_avoid_ambiguous_characters():
    codes = {checkin_codes.generate_checkin_code() for _ in range(2000)}
    # Random codes may collide (about 0.3 % of runs have one pair); uniqueness is the database's job.
    assert len(codes) >= 1995
    assert not set("".join(codes)) & set("0O1IL")


# -- concurrency --------------------------------------------------------------------------------

def _run_together(app, jobs):
    """Run each job in its own thread and app context, released at the same moment."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        with app.app_context():
            try:
                barrier.wait()
                job(db.session)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_two_selected_cancel_at_the_same_moment_each_seat_goes_to_one_distinct_person(app, session, round_):
    eid, selected, waiting = full_event(session, seats=2, waiting=3)
    ids = [(f"o_sel{i}", a.id) for i, a in enumerate(selected)]
    session.remove()
    errors = _run_together(app, [
        lambda s, openid=openid, aid=aid: applications.cancel(s, openid, aid, NOW) for openid, aid in ids
    ])
    assert errors == []
    with app.app_context():
        rows = {a.citizen.openid: a for a in db.session.scalars(select(Application).where(Application.event_id == eid))}
        assert {o for o, a in rows.items() if a.status == ApplicationStatus.CANCELLED} == {"o_sel0", "o_sel1"}
        offered = {o for o, a in rows.items() if a.offer_expires_at is not None}
        assert offered == {"o_wait0", "o_wait1"}
        messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "waitlist_offer")).all()
        assert sorted(m.recipient for m in messages) == ["o_wait0", "o_wait1"]


def test_the_same_application_cancelled_twice_at_once_frees_one_seat(app, session):
    eid, selected, waiting = full_event(session, seats=2, waiting=3)
    aid = selected[0].id
    session.remove()
    errors = _run_together(app, [lambda s: applications.cancel(s, "o_sel0", aid, NOW)] * 2)
    assert len(errors) == 1 and isinstance(errors[0], applications.CannotCancel)
    with app.app_context():
        offered = db.session.scalar(select(func.count(Application.id)).where(Application.offer_expires_at.is_not(None)))
        assert offered == 1


def test_an_offer_claimed_by_a_concurrent_transaction_moves_on_to_the_next(session, monkeypatch):
    """The conditional UPDATE's row count decides: a candidate taken meanwhile is skipped."""
    from services.participation import waitlist

    eid, selected, waiting = full_event(session, seats=2, waiting=3)
    real_first = waitlist._first_waiting
    stale = {"served": False}

    def first_waiting_then_stale(s, event, tried):
        if not stale["served"]:
            stale["served"] = True
            # Another transaction offered the seat to the first person after we read them.
            s.execute(waitlist.update(Application).where(Application.id == waiting[0].id)
                      .values(offer_expires_at=NOW + dt.timedelta(hours=24)))
            return waiting[0].id
        return real_first(s, event, tried)

    monkeypatch.setattr(waitlist, "_first_waiting", first_waiting_then_stale)
    selected[0].status = ApplicationStatus.CANCELLED
    selected[1].status = ApplicationStatus.CANCELLED
    session.flush()
    offers = waitlist.offer_free_seats(session, eid, NOW, limit=1)
    assert [a.id for a in offers] == [waiting[1].id]
