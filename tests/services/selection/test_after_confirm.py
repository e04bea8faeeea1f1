"""Confirming a draw closes the event's applications: the chat, the event page, the service and the CLI agree."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from sqlalchemy import select

from app import demo
from models import Application, ApplicationStatus, AuditLog, Citizen, Event, db
from services import selection
from services.calendar import clock
from services.participation import applications
from services.participation.applications import CATEGORIES
from services.participation.streets import ALL as STREETS
from services.programme import announcement, events
from tests.conftest import WeChat
from tests.handlers.conftest import Person

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
CONFIRMED = dt.datetime(2026, 11, 23, 10, 30, tzinfo=clock.SHANGHAI)
BASE = "http://127.0.0.1:8080"


@pytest.fixture
def drawn(app, fixed_now):
    """OD-01 with 40 applicants and a finished (not yet confirmed) draw; applications still open."""
    with app.app_context():
        demo.load(db.session, NOW)
        event = db.session.scalar(select(Event).where(Event.code == "OD-01"))
        rng = random.Random(1)
        for n in range(40):
            citizen = Citizen(openid=f"o-drawn-{n}", created_at=NOW, following=True)
            db.session.add(citizen)
            db.session.flush()
            db.session.add(Application(event_id=event.id, citizen_id=citizen.id, category=CATEGORIES[n % 6],
                                       street=rng.choice(STREETS), status=ApplicationStatus.APPLIED, created_at=NOW))
        run = selection.run_draw(db.session, event.id, seed=97531, now=NOW)
        db.session.commit()
        assert events.application_window(event, NOW).is_open
        return event.id, run.id, event.title


def _open_detail(person: Person, title: str) -> str:
    listing = person.say("活动")
    for _ in range(10):
        if title in listing:
            break
        listing = person.say("更多")
    assert title in listing, person.replies
    number = re.search(rf"(\d+)\. [^\n]*\n{re.escape(title)}", listing).group(1)
    return person.say(number)


def test_confirming_closes_applications_in_the_chat_and_on_the_event_page(app, client, drawn):
    event_id, run_id, title = drawn
    with app.app_context():
        assert selection.closes_applications_early(db.session, event_id, clock.to_utc(CONFIRMED)) is not None
        selection.confirm(db.session, run_id, None, clock.to_utc(CONFIRMED), early_reason="场地调整，需提前通知入选人员")
        db.session.commit()
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "selection.confirm"))
        assert entry.after["early_reason"] == "场地调整，需提前通知入选人员" and entry.after["closed_applications_early"]
    later = dt.datetime(2026, 11, 24, 9, 0, tzinfo=clock.SHANGHAI)  # weeks before the deadline
    with clock.frozen(later):
        citizen = Person(WeChat(client), "o_late_comer")
        detail = _open_detail(citizen, title)
        assert "报名状态：报名已截止（遴选已完成）" in detail and "遴选结果：已于 11月23日 周一 确认" in detail
        reply = citizen.say("报名")
        assert reply == f"“{title}”的报名已于 11月23日 周一 10:30 截止。回复【活动】查看其他活动。"
        # Not among the events open for applications any more.
        assert title not in Person(WeChat(client), "o_other_late_comer").say("报名")
        page = client.get(f"/events/{event_id}").get_data(as_text=True)
        assert "报名已截止（遴选已完成）" in page and "报名中" not in page and "已于 11月23日 周一 确认" in page
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert announcement.compose(event, clock.to_utc(later), BASE).window_text == "报名已截止（遴选已完成）"
        with pytest.raises(applications.ApplicationsClosed):
            applications.apply(db.session, "o_late_comer", event_id, name="王小明", mobile="13800138000",
                               category="其他群众", street=STREETS[0], reason="", now=clock.to_utc(later))
        assert db.session.scalar(select(Citizen).where(Citizen.openid == "o_late_comer")) is None or not \
            db.session.scalars(select(Application).join(Citizen).where(Citizen.openid == "o_late_comer")).all()


def test_cli_confirm_before_the_deadline_asks_for_a_reason_and_says_applications_close(app, runner, drawn):
    event_id, _run_id, _title = drawn
    refused = runner.invoke(args=["selection", "confirm", str(event_id)])
    assert refused.exit_code == 1 and "报名尚未截止" in refused.output and "--reason" in refused.output
    done = runner.invoke(args=["selection", "confirm", str(event_id), "--reason", "活动提前筹备"])
    assert done.exit_code == 0, done.output
    assert "现已提前截止（理由：活动提前筹备）" in done.output and "报名已截止" in done.output
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert events.application_window(event, clock.now()).state is events.WindowState.SELECTION_DONE


def test_an_undersubscribed_event_drawn_and_confirmed_from_the_cli_reads_selected_in_the_chat(app, client, runner,
                                                                                              fixed_now):
    with app.app_context():
        demo.load(db.session, NOW)
        event = db.session.scalar(select(Event).where(Event.code == "OD-01"))
        event.seats, event_id, title = 20, event.id, event.title
        for n in range(13):
            applications.apply(db.session, f"o_few_{n}", event_id, name="报名市民", mobile=f"1390000{n:04d}",
                               category=CATEGORIES[n % 6], street=STREETS[n % 3], reason="", now=clock.now())
        db.session.commit()
    ran = runner.invoke(args=["selection", "run", str(event_id), "--seed", "8080"])
    assert ran.exit_code == 0 and "全体报名者入选，未进行抽签" in ran.output, ran.output
    done = runner.invoke(args=["selection", "confirm", str(event_id), "--reason", "报名人数不足席位，提前通知"])
    assert done.exit_code == 0 and "入选 13 人、候补 0 人、未入选 0 人" in done.output, done.output
    mine = Person(WeChat(client), "o_few_0").say("我的报名")
    assert title in mine and "已入选（签到码" in mine
    late = Person(WeChat(client), "o_few_late")
    _open_detail(late, title)
    assert late.say("报名").startswith(f"“{title}”的报名已于 11月23日 周一 09:00 截止")
