"""好差评 in the service: who may rate, the 7-day window, one rating per person, 差评 follow-ups on the
working-day calendar (across the National Day holiday), the answer pushed once, 追评 once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import (
    Application,
    ApplicationStatus,
    Citizen,
    EventMode,
    EventStatus,
    LivestreamView,
    OutboxMessage,
    Rating,
    RatingFollowUp,
    StaffRole,
    db,
)
from services.admin import rating_stats
from services.participation import rating_followups, rating_invitations, ratings
from services.programme import event_cache
from tests.scheduler.fixtures import beijing, make_event, make_participant, make_staff

ENDED = beijing("2026-09-30 15:00")  # the events below run 10:00–12:00 on Wednesday 09-30


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def event(session):
    event = make_event(session, "2026-09-30 10:00", title="政务开放日·医保服务")
    make_participant(session, event, "o_in", status=ApplicationStatus.CHECKED_IN)
    make_participant(session, event, "o_absent", status=ApplicationStatus.SELECTED)
    session.commit()
    return event


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


def test_a_checked_in_participant_rates_once_and_may_change_it_within_seven_days(session, event):
    rating, created = ratings.rate(session, "o_in", event.id, 2, ["内容实用", "讲解清楚"], " 很好 ", ENDED)
    assert created and (rating.level, rating.tags, rating.comment, rating.online) == (2, ["内容实用", "讲解清楚"], "很好", False)
    later = ENDED + dt.timedelta(days=6)
    changed, created = ratings.rate(session, "o_in", event.id, 1, [], "", later, source="page")
    assert not created and changed.id == rating.id and changed.level == 1 and changed.changes == 1
    assert count(session, Rating) == 1 and count(session, RatingFollowUp) == 0
    with pytest.raises(ratings.RatingClosed):
        ratings.rate(session, "o_in", event.id, 3, [], "", beijing("2026-10-07 12:00"))
    assert session.get(Rating, rating.id).level == 1


@pytest.mark.parametrize("level", [0, 6, "x", "", None, "1.5"])
def test_a_level_outside_one_to_five_is_refused_and_nothing_is_stored(session, event, level):
    with pytest.raises(ratings.InvalidLevel):
        ratings.rate(session, "o_in", event.id, level, [], "", ENDED)
    assert count(session, Rating) == 0


def test_tags_must_belong_to_the_level_and_the_comment_has_a_limit(session, event):
    with pytest.raises(ratings.InvalidTags):
        ratings.rate(session, "o_in", event.id, 1, ["讲解不清楚"], "", ENDED)
    with pytest.raises(ratings.CommentTooLong):
        ratings.rate(session, "o_in", event.id, 1, [], "长" * 301, ENDED)
    assert count(session, Rating) == 0
    assert ratings.tags_for(1) == ("活动组织", "内容实用", "互动充分", "时间安排", "场地交通", "讲解清楚")


def test_only_people_who_checked_in_rate_an_offline_event_and_not_before_it_ends(session, event):
    with pytest.raises(ratings.NotAttended):
        ratings.rate(session, "o_absent", event.id, 1, [], "", ENDED)
    with pytest.raises(ratings.NotAttended):
        ratings.rate(session, "o_stranger", event.id, 1, [], "", ENDED)
    with pytest.raises(ratings.EventNotRatable):
        ratings.rate(session, "o_in", event.id, 1, [], "", beijing("2026-09-30 11:59"))
    assert count(session, Rating) == 0
    assert ratings.ratable_events(session, "o_in", ENDED) == [event]
    assert ratings.ratable_events(session, "o_absent", ENDED) == []


def test_the_chat_looks_in_its_programme_snapshot_and_sees_a_check_in_not_yet_flushed(session, event):
    snapshot = event_cache.build(session, None).events.values()
    assert [e.id for e in ratings.ratable_events(session, "o_in", ENDED, snapshot)] == [event.id]
    assert ratings.ratable_events(session, "o_absent", ENDED, snapshot) == []
    late = session.scalars(select(Application).join(Citizen).where(Citizen.openid == "o_absent")).one()
    late.status = ApplicationStatus.CHECKED_IN  # pending in the session: the built read flushes it first
    assert [e.id for e in ratings.ratable_events(session, "o_absent", ENDED, snapshot)] == [event.id]
    assert ratings.ratable_events(session, "o_absent", ENDED + ratings.WINDOW, snapshot) == []


def test_only_applicants_and_signed_in_viewers_may_rate_a_livestreamed_event_online(session):
    """Issue 26 (15): a stranger's 差评 would open a follow-up nobody can answer; viewers must be verified."""
    live = make_event(session, "2026-09-30 10:00", mode=EventMode.ONLINE, kind="policy_lecture", title="政策公开讲·医保",
                      livestream_url="https://live.example.cn/1")
    cancelled = make_event(session, "2026-09-30 10:00", mode=EventMode.ONLINE, status=EventStatus.CANCELLED)
    make_participant(session, live, "o_not_selected", status=ApplicationStatus.NOT_SELECTED)
    make_participant(session, live, "o_cancelled", status=ApplicationStatus.CANCELLED)
    session.commit()
    with pytest.raises(ratings.NotAttended):
        ratings.rate(session, "o_stranger", live.id, 5, [], "", ENDED)
    assert count(session, RatingFollowUp) == 0 and ratings.ratable_events(session, "o_stranger", ENDED) == []
    for applicant in ("o_not_selected", "o_cancelled"):
        rating, _ = ratings.rate(session, applicant, live.id, 3, [], "", ENDED)
        assert rating.online
    ratings.open_livestream(session, "o_viewer", live.id, beijing("2026-09-30 10:05"))
    ratings.open_livestream(session, "o_viewer", live.id, beijing("2026-09-30 10:06"))  # once
    assert count(session, LivestreamView) == 1
    assert [e.id for e in ratings.ratable_events(session, "o_viewer", ENDED)] == [live.id]
    rating, _ = ratings.rate(session, "o_viewer", live.id, 4, [], "画面卡顿", ENDED)
    assert rating.online and count(session, RatingFollowUp) == 1
    with pytest.raises(ratings.EventNotRatable):
        ratings.rate(session, "o_not_selected", cancelled.id, 3, [], "", ENDED)


def test_a_tag_of_another_level_is_named_in_the_refusal(session, event):
    """Issue 26 (6): the error names the tag that does not fit the chosen level."""
    with pytest.raises(ratings.InvalidTags) as refused:
        ratings.rate(session, "o_in", event.id, 1, ["内容实用", "讲解不清楚"], "", ENDED)
    assert (refused.value.stray, refused.value.level) == (["讲解不清楚"], 1)
    assert count(session, Rating) == 0


def test_a_bad_rating_opens_one_follow_up_with_working_day_deadlines(session, event):
    rating, _ = ratings.rate(session, "o_in", event.id, 5, ["场地交通不便"], "找不到停车位", ENDED)
    ratings.rate(session, "o_in", event.id, 4, [], "", ENDED + dt.timedelta(hours=1))
    follow_up = session.scalars(select(RatingFollowUp)).one()
    # Opened Wednesday 09-30: the National Day holiday (10-01 to 10-07) is not counted.
    assert (follow_up.callback_due, follow_up.reply_due) == (dt.date(2026, 10, 8), dt.date(2026, 10, 27))
    assert follow_up.unit_id == event.unit_id and follow_up.rating_id == rating.id
    assert rating_followups.state(follow_up, dt.date(2026, 10, 8)).status == rating_followups.AMBER
    late = rating_followups.state(follow_up, dt.date(2026, 10, 9))
    assert late.status == rating_followups.RED and late.overdue == ("callback",)
    assert [f.id for f, _ in rating_followups.overdue(session, beijing("2026-10-09 09:00"))] == [follow_up.id]


def test_the_answer_is_pushed_once_and_opens_one_follow_up_rating(session, event):
    rating, _ = ratings.rate(session, "o_in", event.id, 4, [], "讲解太快", ENDED)
    follow_up = session.scalars(select(RatingFollowUp)).one()
    staff = make_staff(session, "unit1", StaffRole.UNIT, "", unit=event.unit)
    with pytest.raises(ratings.AgainNotOpen):
        ratings.rate_again(session, "o_in", rating.id, 2, "", ENDED)
    with pytest.raises(rating_followups.InvalidFollowUp):
        rating_followups.answer(session, follow_up.id, staff, "  ", beijing("2026-10-08 10:00"))
    rating_followups.answer(session, follow_up.id, staff, "已安排讲解员放慢语速并提供讲义。", beijing("2026-10-08 10:00"))
    with pytest.raises(rating_followups.InvalidFollowUp):
        rating_followups.answer(session, follow_up.id, staff, "再答复一次", beijing("2026-10-08 11:00"))
    [pushed] = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "rating_reply")).all()
    assert pushed.recipient == "o_in" and "已安排讲解员放慢语速" in pushed.payload["text"]
    assert "回复【评价】" in pushed.payload["text"]
    assert rating_followups.state(follow_up, dt.date(2026, 10, 30)).on_time is True
    assert ratings.again_open(session, "o_in", beijing("2026-10-09 09:00")) == [rating]
    ratings.rate_again(session, "o_in", rating.id, 2, "改进明显", beijing("2026-10-09 09:00"))
    assert (rating.again_level, rating.again_comment) == (2, "改进明显")
    with pytest.raises(ratings.AgainNotOpen):
        ratings.rate_again(session, "o_in", rating.id, 1, "", beijing("2026-10-09 10:00"))


def test_invitations_and_the_rates(session, event):
    make_participant(session, event, "o_in2", status=ApplicationStatus.CHECKED_IN)
    assert rating_invitations.invite(session, beijing("2026-09-30 11:59")) == 0  # not over yet
    assert rating_invitations.invite(session, ENDED, "https://zm.example.gov.cn") == 2
    assert rating_invitations.invite(session, ENDED) == 0  # once per person
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "rating_invite")).first()
    assert row.payload["url"] == f"https://zm.example.gov.cn/my/ratings/{event.id}"
    assert row.due_at == beijing("2026-09-30 12:00")
    ratings.rate(session, "o_in", event.id, 1, [], "", ENDED)
    ratings.rate(session, "o_in2", event.id, 4, [], "", ENDED)
    result = rating_stats.summary(session, [event], beijing("2026-10-09 09:00"))
    [row] = result["by_event"]
    assert (row["ratings"], row["invitations"], row["satisfaction_rate"], row["response_rate"]) == (2, 2, 50.0, 100.0)
    assert (row["follow_ups"], row["overdue"], row["on_time_rate"]) == (1, 1, 0.0)
    assert result["by_unit"][0]["name"] == event.unit.name
