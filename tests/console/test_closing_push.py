"""The closing report pushes the lecture video (or an open day's materials) once to each applicant and follower."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import Application, ApplicationStatus, Citizen, Event, EventKind, EventStatus, OutboxMessage, Topic, db
from scheduler import worker
from services.calendar import clock
from tests.scheduler.fixtures import app_on_emulator, follow_all, running_emulator

PAST = dt.datetime(2026, 2, 26, 14, 0, tzinfo=clock.SHANGHAI)
VIDEO = "https://www.bjdx.gov.cn/zcgkj/video/2026-01.mp4"


@pytest.fixture
def emulator():
    yield from running_emulator()


@pytest.fixture
def app(tmp_path, redis_server, redis_client, emulator):
    """The console's app, delivering to the WeChat API emulator."""
    yield from app_on_emulator(tmp_path, redis_server, emulator)


def _citizen(openid: str, following: bool = True, interacted: dt.datetime | None = None) -> Citizen:
    citizen = Citizen(openid=openid, following=following, created_at=clock.now(), last_interaction_at=interacted)
    db.session.add(citizen)
    db.session.flush()
    return citizen


def _apply(event_id: int, citizen: Citizen, status: ApplicationStatus) -> None:
    db.session.add(Application(event_id=event_id, citizen_id=citizen.id, category="群众代表", status=status,
                               created_at=clock.now()))


def _past_event(app, kind: EventKind, event_id: int | None = None) -> int:
    """An event of ``kind`` moved to the past; with applicants and topic followers of every kind."""
    with app.app_context():
        event = db.session.get(Event, event_id) if event_id else db.session.scalars(
            select(Event).where(Event.kind == kind)).first()
        event.starts_at, event.status = PAST, EventStatus.PUBLISHED
        topic = db.session.get(Topic, event.topic_id)
        checked_in = _citizen(f"o_in_{event.id}", interacted=clock.now() - dt.timedelta(hours=2))
        _apply(event.id, checked_in, ApplicationStatus.CHECKED_IN)
        _apply(event.id, _citizen(f"o_notsel_{event.id}"), ApplicationStatus.NOT_SELECTED)
        _apply(event.id, _citizen(f"o_cancel_{event.id}"), ApplicationStatus.CANCELLED)
        both = _citizen(f"o_both_{event.id}")
        _apply(event.id, both, ApplicationStatus.SELECTED)
        both.topics.append(topic)
        fan, gone = _citizen(f"o_fan_{event.id}"), _citizen(f"o_gone_{event.id}", following=False)
        fan.topics.append(topic)
        gone.topics.append(topic)
        db.session.commit()
        return event.id


def _deliver(app) -> None:
    with app.app_context():
        ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")))
    worker.deliver_now(app, ids, threads=2)


def test_the_lecture_video_reaches_each_applicant_and_follower_once(app, emulator, console_data, login_as):
    event_id = _past_event(app, EventKind.POLICY_LECTURE)
    # Issue 26 (15): who cancelled is sent the video too (docs/ratings-and-recordings.md).
    reached = [f"o_{who}_{event_id}" for who in ("in", "notsel", "cancel", "both", "fan")]
    follow_all(emulator, *reached)
    emulator.follower(f"o_in_{event_id}", interaction="message")
    client = login_as("coordinator")
    form = {"materials": "https://www.bjdx.gov.cn/zcgkj/1.html", "video_url": VIDEO, "note": "讲解了新政策要点"}
    saved = client.post(f"/console/events/{event_id}/closing", data=form, follow_redirects=True)
    assert "已推送给报名者和专题订阅者（5 人，每人一次）" in saved.get_data(as_text=True)
    _deliver(app)
    # Saved again (a corrected note): nobody hears twice.
    client.post(f"/console/events/{event_id}/closing", data={**form, "note": "补充：现场答疑 8 个问题"})
    _deliver(app)
    for openid in reached:
        [message] = emulator.messages(openid)
        if message["kind"] == "custom":
            assert VIDEO in message["payload"]["text"]["content"] and "讲解视频" in message["payload"]["text"]["content"]
        else:
            assert message["kind"] == "template" and message["payload"]["url"] == VIDEO
    assert emulator.messages(f"o_in_{event_id}")[0]["kind"] == "custom"
    assert emulator.messages(f"o_gone_{event_id}") == []
    page = app.test_client().get(f"/events/{event_id}").get_data(as_text=True)
    assert f'id="event-video" href="{VIDEO}"' in page and "观看讲解视频" in page


def test_an_open_day_pushes_its_materials_link_and_an_open_day_without_materials_pushes_nothing(
        app, emulator, console_data, login_as):
    with_materials = _past_event(app, EventKind.OPEN_DAY, console_data.event_a_id)
    without = _past_event(app, EventKind.OPEN_DAY, console_data.event_b_id)
    follow_all(emulator, f"o_fan_{with_materials}", f"o_fan_{without}")
    client = login_as("coordinator")
    links = "https://www.bjdx.gov.cn/kfr/1.html\nhttps://www.bjdx.gov.cn/kfr/2.html"
    client.post(f"/console/events/{with_materials}/closing", data={"materials": links, "video_url": "", "note": ""})
    client.post(f"/console/events/{without}/closing", data={"materials": "", "video_url": "", "note": "顺利举行"})
    _deliver(app)
    [card] = emulator.messages(f"o_fan_{with_materials}")
    assert card["kind"] == "template" and card["payload"]["url"] == f"https://zm.example.gov.cn/events/{with_materials}"
    assert emulator.messages(f"o_fan_{without}") == []
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == f"o_fan_{with_materials}")).one()
        assert "活动资料已发布" in row.payload["text"] and "https://www.bjdx.gov.cn/kfr/2.html" in row.payload["text"]
    page = app.test_client().get(f"/events/{with_materials}").get_data(as_text=True)
    assert 'href="https://www.bjdx.gov.cn/kfr/1.html"' in page and 'href="https://www.bjdx.gov.cn/kfr/2.html"' in page


def test_a_link_corrected_before_delivery_replaces_the_queued_text(app, emulator, console_data, login_as):
    event_id = _past_event(app, EventKind.POLICY_LECTURE)
    client = login_as("coordinator")
    form = {"materials": "", "video_url": "https://www.bjdx.gov.cn/v/wrong.mp4", "note": ""}
    client.post(f"/console/events/{event_id}/closing", data=form)
    client.post(f"/console/events/{event_id}/closing", data={**form, "video_url": VIDEO})
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == f"o_fan_{event_id}")).all()
        assert len(rows) == 1 and VIDEO in rows[0].payload["text"] and "wrong" not in rows[0].payload["text"]
