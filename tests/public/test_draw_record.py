"""The public record of a confirmed draw (遴选公示): every figure to check it, nothing personal, linked from the event page and the notice."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter

import pytest
from sqlalchemy import select

from app import demo
from models import Application, ApplicationStatus, Citizen, Event, OutboxMessage, SelectionRun, db
from services import selection
from services.calendar import clock
from services.participation.applications import CATEGORIES
from services.participation.streets import ALL as STREETS
from services.selection import record

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
BASE = "http://127.0.0.1:8080"


def _event_with_applicants(count: int = 60) -> Event:
    demo.load(db.session, NOW)
    event = db.session.scalar(select(Event).where(Event.code == "OD-01"))
    event.seats = 30
    rng = random.Random(3)
    for n in range(count):
        citizen = Citizen(openid=f"o-record-{n}", created_at=NOW, following=True)
        db.session.add(citizen)
        db.session.flush()
        category = "媒体记者" if n < 8 else CATEGORIES[n % 6]
        db.session.add(Application(event_id=event.id, citizen_id=citizen.id, category=category, name=f"张{n}",
                                   mobile=f"1380000{n:04d}", street=rng.choice(STREETS[:8]),
                                   status=ApplicationStatus.APPLIED, created_at=NOW))
    db.session.flush()
    return event


@pytest.fixture
def confirmed(app, fixed_now):
    """OD-01: 60 applicants, journalists capped at 0, each street at most 4; the draw confirmed."""
    with app.app_context():
        event = _event_with_applicants()
        quotas = selection.default_quotas(30)
        quotas["category"]["媒体记者"] = [0, 0]
        quotas["street"] = {"*": [0, 4]}
        run = selection.run_draw(db.session, event.id, seed=8642, now=NOW, quotas=quotas)
        assert run.status.value == "done", run.message
        selection.confirm(db.session, run.id, None, NOW, base_url=BASE, early_reason="测试")
        db.session.commit()
        return event.id, run.id


def test_the_record_shows_every_figure_of_the_confirmed_draw(app, client, confirmed):
    event_id, run_id = confirmed
    response = client.get(f"/events/{event_id}/draw")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.app_context():
        run = db.session.get(SelectionRun, run_id)
        pool, chosen = run.result["pool"], set(run.result["selected"])
        per_category = run.result["per_category"]
    assert '<dd id="record-seed"><strong>8642</strong></dd>' in page
    assert "60 人报名，入选 30 人" in page and "公开遴选 30 人" in page
    assert "最大最小公平算法（maximin）" in page
    assert re.search(r'id="record-software">sortition-algorithms 0\.12\.\d+，highspy [\d.]+<', page)
    assert '<dd id="record-min">0.00%（每位报名者中最低者）</dd>' in page
    journalists = sum(1 for row in pool if row[1] == "媒体记者")
    assert f"“媒体记者”有 {journalists} 位报名者无法入选（入选概率为 0）：该类别的上限为 0" in page
    assert f"<code id=\"record-command\">flask selection verify {event_id} --seed 8642</code>" in page
    digest = record.pool_digest(pool)  # shown in groups of 16 that a phone may wrap (<wbr>), copied whole
    assert "<wbr>".join(digest[i:i + 16] for i in range(0, 64, 16)) in page
    applied = Counter(row[1] for row in pool)
    picked = Counter(row[1] for row in pool if row[0] in chosen)
    for category, count in applied.items():
        lo, hi = run.result["quotas_used"]["category"][category]
        assert (f"<tr><td>{category}</td><td>{count}</td><td>{picked[category]}</td><td>{lo}–{hi}</td>"
                f"<td>{selection.texts.percent(per_category[category])}</td></tr>") in page
    streets_applied = Counter(row[2] for row in pool)
    streets_picked = Counter(row[2] for row in pool if row[0] in chosen)
    for street, count in streets_applied.items():
        assert f"<tr><td>{street}</td><td>{count}</td><td>{streets_picked[street]}</td><td>0–4</td></tr>" in page
        assert streets_picked[street] <= 4


def test_the_record_holds_nothing_personal(app, client, confirmed):
    event_id, _run_id = confirmed
    page = client.get(f"/events/{event_id}/draw").get_data(as_text=True)
    with app.app_context():
        people = db.session.scalars(select(Application).where(Application.event_id == event_id)).all()
        for application in people:
            assert application.name not in page and application.mobile not in page
            assert application.citizen.openid not in page
            assert application.checkin_code is None or application.checkin_code not in page
    assert not re.search(r"张\d", page)


def test_the_published_command_reproduces_the_draw(app, runner, confirmed):
    event_id, _run_id = confirmed
    ran = runner.invoke(args=["selection", "verify", str(event_id), "--seed", "8642"])
    assert ran.exit_code == 0 and "一致" in ran.output


def test_the_event_page_and_every_notice_link_to_the_record(app, client, confirmed):
    event_id, _run_id = confirmed
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'<a id="draw-record-link" href="/events/{event_id}/draw">查看遴选公示</a>' in page
    with app.app_context():
        notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject == f"event:{event_id}")).all()
        purposes = Counter(n.purpose for n in notices)
        texts = [json.loads(n.payload)["text"] if isinstance(n.payload, str) else n.payload["text"] for n in notices]
    assert purposes["selection_selected"] == 30 and purposes["selection_not_selected"] + purposes["selection_waitlisted"] == 30
    line = f"遴选公示（种子、配额与各类别入选概率，可复核）：{BASE}/events/{event_id}/draw"
    assert all(line in text for text in texts)


def test_before_confirmation_the_record_says_it_is_not_yet_there(app, client, fixed_now):
    with app.app_context():
        event = _event_with_applicants(40)
        selection.run_draw(db.session, event.id, seed=5, now=NOW)  # drawn, not confirmed
        db.session.commit()
        event_id = event.id
    response = client.get(f"/events/{event_id}/draw")
    assert response.status_code == 404 and "本场活动的遴选结果尚未确认" in response.get_data(as_text=True)
    assert "draw-record-link" not in client.get(f"/events/{event_id}").get_data(as_text=True)
    assert client.get("/events/999999/draw").status_code == 404
