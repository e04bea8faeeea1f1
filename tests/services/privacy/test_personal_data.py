"""Personal data: encrypted at rest, rotatable keys, erased after the retention period."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app import demo
from bot.dedup import Deduplicator
from models import Application, Citizen, Event, InboundMessage, LectureQuestion, Rating, Suggestion, cipher
from services.calendar import clock
from services.privacy import pii, retention

pytestmark = pytest.mark.postgres

MOBILE = "13912345678"
NAME = "欧阳明月"


def _applicant(session, now):
    demo.load(session, now)
    event = session.scalars(select(Event).order_by(Event.id)).first()
    citizen = Citizen(openid="o_pii", created_at=now, saved_name=NAME, saved_mobile=MOBILE)
    session.add(citizen)
    session.flush()
    session.add(Application(event_id=event.id, citizen_id=citizen.id, name=NAME, mobile=MOBILE,
                            category="群众代表（家长）", street="清源街道", created_at=now))
    session.add(Suggestion(tracking_no="JY20261123-0001", citizen_id=citizen.id, text="建议增加周末场次", created_at=now))
    session.add(LectureQuestion(event_id=event.id, citizen_id=citizen.id, text=f"我是{NAME}，电话{MOBILE}，想问补贴",
                                created_at=now))
    session.add(Rating(event_id=event.id, citizen_id=citizen.id, level=4, comment="请尽快改进签到流程", created_at=now))
    session.commit()
    return event


def test_mobile_and_name_are_never_stored_in_clear(app, db_session, database_url, request):
    _applicant(db_session, clock.now())
    raw = db_session.execute(text("SELECT mobile, name FROM applications")).one()
    assert MOBILE not in raw.mobile and NAME not in raw.name
    assert db_session.scalar(select(Application.mobile)) == MOBILE  # and read back in clear
    db_session.remove()
    if database_url.startswith("sqlite"):
        from pathlib import Path

        path = Path(database_url.removeprefix("sqlite:///"))
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert MOBILE.encode() not in stored and NAME.encode() not in stored
    else:
        dump = request.getfixturevalue("postgres_server").dump(database_url)
        assert MOBILE not in dump and NAME not in dump


def test_masking():
    assert pii.mask_mobile(MOBILE) == "139****5678"
    assert pii.mask_name(NAME) == "欧***"


def test_key_rotation_reencrypts_under_the_new_key(app, db_session):
    _applicant(db_session, clock.now())
    old_key = cipher.derive_key("test-secret-key")
    new_key = Fernet.generate_key().decode()
    cipher.configure(f"{new_key},{old_key}", "unused")
    try:
        # name+mobile of the application and the citizen, and the question before a lecture
        assert retention.rotate_keys(db_session) == 5
        cipher.configure(new_key, "unused")  # the old key is gone: everything still reads
        db_session.expire_all()
        assert db_session.scalar(select(Application.mobile)) == MOBILE
        assert db_session.scalar(select(Citizen.saved_name)) == NAME
    finally:
        cipher.configure("", "test-secret-key")


def test_personal_fields_are_erased_after_the_retention_period(app, db_session):
    now = clock.now()
    event = _applicant(db_session, now)
    nothing = {"applications": 0, "suggestions": 0, "questions": 0, "rating_comments": 0, "inbound_messages": 0}
    assert retention.erase_expired(db_session, now, days=180) == nothing
    later = event.starts_at + dt.timedelta(days=181)
    assert retention.erase_expired(db_session, later, days=180) == {"applications": 1, "suggestions": 1, "questions": 1,
                                                                  "rating_comments": 1, "inbound_messages": 0}
    assert db_session.scalars(select(LectureQuestion)).one().citizen_id is None
    assert db_session.scalars(select(Rating)).one().comment == ""
    db_session.expire_all()
    application = db_session.scalars(select(Application)).one()
    assert application.name is None and application.mobile is None and application.erased_at is not None
    assert application.category == "群众代表（家长）"  # kept for statistics
    assert db_session.scalars(select(Suggestion)).one().citizen_id is None


def test_erasing_my_data_unlinks_questions_and_blanks_rating_comments(app, db_session):
    from services.privacy import mydata

    _applicant(db_session, clock.now())
    mydata.erase(db_session, "o_pii", clock.now())
    db_session.commit()
    db_session.expire_all()
    question = db_session.scalars(select(LectureQuestion)).one()
    assert question.citizen_id is None and question.erased_at is not None
    rating = db_session.scalars(select(Rating)).one()
    assert rating.comment == "" and rating.level == 4, "the rating still counts, without what the citizen wrote"


def test_message_keys_kept_while_redis_was_away_are_deleted_after_a_day(app, db_session):
    now = clock.now()
    away = Deduplicator(None, db_session, ttl=60)  # Redis unreachable: the keys go to the database
    for number, at in ((1, now), (2, now + dt.timedelta(hours=20))):
        assert away.claim_and_read(f"m:o_away|{number}", "o_away", at)[0]
        away.remember(f"m:o_away|{number}", "success")
    result = retention.erase_expired(db_session, now + dt.timedelta(days=1, hours=1))
    assert result["inbound_messages"] == 1
    assert db_session.scalars(select(InboundMessage.key)).all() == ["m:o_away|2"]
    # The key still kept still answers WeChat's retry of its message.
    assert away.claim_and_read("m:o_away|2", "o_away", now + dt.timedelta(days=1, hours=1))[:2] == (False, "success")


def test_cli_commands(app, runner, db_session):
    _applicant(db_session, clock.now())
    assert "重新加密 0 项" in runner.invoke(args=["pii", "rotate"]).output
    erased = runner.invoke(args=["pii", "erase-expired"]).output
    assert "保留期 180 天" in erased and "清除 Redis 停用期间留存的 0 条消息记录（保留 1 天）" in erased
