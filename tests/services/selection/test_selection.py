"""services.selection: quotas, the seeded draw (sortition-algorithms in a child process), confirm, verify."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app import demo
from models import (
    Application,
    ApplicationStatus,
    AuditLog,
    Citizen,
    Event,
    OutboxMessage,
    SelectionRun,
    SelectionStatus,
    db,
)
from services import selection
from services.calendar import clock
from services.participation.applications import CATEGORIES
from services.participation.checkin_codes import CHECKIN_ALPHABET
from services.participation.streets import ALL as STREETS
from services.selection import engine as selection_engine

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
# Roughly how people apply: many 其他群众 and parents, few deputies and journalists.
WEIGHTS = [2, 2, 4, 3, 1, 6]


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


@pytest.fixture
def event(session) -> Event:
    event = session.scalar(select(Event).where(Event.code == "OD-01"))
    event.seats = 30
    return event


def fill(session, event: Event, count: int, *, seed: int = 1, start: int = 0, invited: bool = False,
         category: str | None = None, street: str | None = None) -> list[Application]:
    """``count`` applications with a realistic mix (at least the default minimums of each category)."""
    rng = random.Random(seed)
    made = []
    for n in range(start, start + count):
        citizen = Citizen(openid=f"o-{event.id}-{n}", created_at=NOW, following=True)
        session.add(citizen)
        session.flush()
        value = category or (CATEGORIES[n % 6] if n < 24 else rng.choices(CATEGORIES, WEIGHTS)[0])
        application = Application(event_id=event.id, citizen_id=citizen.id, category=value,
                                  street=street or rng.choice(STREETS), invited=invited,
                                  status=ApplicationStatus.SELECTED if invited else ApplicationStatus.APPLIED,
                                  created_at=NOW)
        session.add(application)
        made.append(application)
    session.flush()
    return made


def within(counts: dict, quotas: dict) -> bool:
    return all(lo <= counts.get(value, 0) <= hi for value, (lo, hi) in quotas.items() if value != "*")


# -- quotas and feasibility ---------------------------------------------------------------------------

def test_default_quotas_for_thirty_seats_follow_the_programme_mix():
    assert selection.default_quotas(30)["category"] == {
        "人大代表": [3, 6], "政协委员": [3, 6], "群众代表（家长）": [6, 12],
        "群众代表（企业）": [6, 12], "媒体记者": [2, 4], "其他群众": [0, 10]}


@pytest.mark.parametrize("seats", [1, 5, 12, 27, 45])
def test_default_quotas_scale_and_stay_satisfiable(seats):
    table = selection.default_quotas(seats)["category"]
    assert sum(lo for lo, _ in table.values()) <= seats <= sum(hi for _, hi in table.values())
    assert all(0 <= lo <= hi <= seats for lo, hi in table.values())


def test_a_category_with_fewer_applicants_than_its_minimum_has_that_minimum_lowered():
    pool = [(i, CATEGORIES[i % 6], "兴丰街道") for i in range(1, 60)]
    pool = [row for row in pool if row[1] != "媒体记者"] + [(100, "媒体记者", "黄村镇")]
    assert selection.check_feasibility(pool, selection.default_quotas(30), 30) == []
    assert selection.quota_adjustments(pool, selection.default_quotas(30), 30) == [
        "“媒体记者”只有 1 人报名，下限由 2 调整为 1"]


def test_other_impossible_tables_are_explained():
    pool = [(i, "其他群众", "兴丰街道") for i in range(1, 11)]
    quotas = {"category": {"其他群众": [0, 10], "人大代表": [5, 3]}}
    problems = selection.check_feasibility(pool, quotas, 30)
    assert problems == ["“人大代表”的下限 5 大于上限 3"]
    assert selection.check_feasibility([], {"其他群众": [0, 10]}, 30) == ["需要抽取 30 人，但只有 0 人报名"]
    capped = selection.check_feasibility([(i, "其他群众", "") for i in range(1, 41)], {"其他群众": [0, 10]}, 30)
    assert capped == ["各类别最多可入选 10 人（上限与报名人数取较小者），不足待抽取的 30 人"]


def test_an_infeasible_draw_fails_with_the_reasons(session, event):
    fill(session, event, 40, category="其他群众")
    typed = {"category": {"其他群众": [0, 10], "人大代表": [0, 6]}}
    run = selection.run_draw(session, event.id, seed=5, now=NOW, quotas=typed)
    assert run.status == SelectionStatus.FAILED
    assert run.result["problems"] == ["各类别最多可入选 10 人（上限与报名人数取较小者），不足待抽取的 30 人"]


def test_default_quotas_never_make_an_event_with_applicants_undrawable(session, event):
    fill(session, event, 40, category="其他群众")
    run = selection.run_draw(session, event.id, seed=5, now=NOW)
    assert run.status == SelectionStatus.DONE and len(run.result["selected"]) == 30
    assert "“人大代表”只有 0 人报名，下限由 3 调整为 0" in run.result["notes"]
    assert "按默认配额无法抽满席位，“其他群众”上限由 10 调整为 40" in run.result["notes"]
    assert run.result["quotas_used"]["category"]["其他群众"] == [0, 40]
    assert selection.verify(session, event.id, 5) == (True, [])


def test_no_more_applicants_than_seats_selects_everyone_without_a_lottery(session, event):
    event.seats = 20
    applications = fill(session, event, 13)
    run = selection.run_draw(session, event.id, seed=77, now=NOW)
    assert run.status == SelectionStatus.DONE and run.algorithm_used == "everyone"
    assert run.result["selected"] == sorted(a.id for a in applications) and run.result["waitlist"] == []
    assert run.result["notes"][0] == "报名人数（13 人）不超过待抽取席位（20 个），全体报名者入选，未进行抽签"
    assert run.result["min_probability"] == 1.0
    assert event.seats == 20  # the public announcement keeps its seats
    assert selection.verify(session, event.id, 77) == (True, [])
    selection.confirm(session, run.id, None, NOW)
    assert {a.status for a in applications} == {ApplicationStatus.SELECTED}


def test_thirty_seats_and_four_applicants_of_one_category_are_all_selected(session, event):
    fill(session, event, 4, category="媒体记者")
    run = selection.run_draw(session, event.id, seed=3, now=NOW)
    assert run.status == SelectionStatus.DONE and len(run.result["selected"]) == 4
    assert run.result["quotas_used"]["category"]["媒体记者"] == [2, 4]


# -- the draw ------------------------------------------------------------------------------------------

def test_maximin_draw_honours_category_and_street_quotas(session, event):
    fill(session, event, 120)
    quotas = {**selection.default_quotas(30), "street": {"*": [0, 3], "黄村镇": [1, 3]}}
    messages = []
    run = selection.run_draw(session, event.id, seed=20261123, quotas=quotas, now=NOW,
                             progress=lambda f, m: messages.append((f, m)))
    assert run.status == SelectionStatus.DONE, run.message
    assert (run.algorithm_used, run.fell_back, run.seed) == ("maximin", False, 20261123)
    assert len(run.result["selected"]) == 30 == len(set(run.result["selected"]))
    assert within(run.result["counts"]["category"], quotas["category"])
    assert max(run.result["counts"]["street"].values()) <= 3 and run.result["counts"]["street"]["黄村镇"] >= 1
    assert 0 < run.result["min_probability"] <= 30 / 120
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("优化入选概率" in m for _, m in messages)


def test_same_seed_same_panel_and_waitlist_other_seed_other_panel(session, event):
    fill(session, event, 90)
    first = selection.run_draw(session, event.id, seed=777, now=NOW)
    again = selection.run_draw(session, event.id, seed=777, now=NOW)
    assert first.result["selected"] == again.result["selected"]
    assert first.result["waitlist"] == again.result["waitlist"]
    others = [selection.run_draw(session, event.id, seed=s, now=NOW).result["selected"] for s in (778, 779)]
    assert any(panel != first.result["selected"] for panel in others)


def test_library_per_person_maximin_is_reproducible_too(session, event):
    event.seats = 10
    fill(session, event, 24)
    runs = [selection.run_draw(session, event.id, seed=31, now=NOW, collapse_types=False) for _ in range(2)]
    assert runs[0].status == SelectionStatus.DONE and runs[0].algorithm_used == "maximin"
    assert runs[0].result["selected"] == runs[1].result["selected"]
    assert within(runs[0].result["counts"]["category"], selection.default_quotas(10)["category"])


def test_a_tiny_budget_falls_back_to_legacy_and_says_so(session, event):
    fill(session, event, 300)
    # The library's per-person maximin needs seconds on 300 applicants; 0.5 s cannot do.
    run = selection.run_draw(session, event.id, seed=4242, time_budget=0.5, now=NOW, collapse_types=False)
    assert run.status == SelectionStatus.DONE
    assert (run.algorithm_requested, run.algorithm_used, run.fell_back) == ("maximin", "legacy", True)
    assert "0.5 秒内未完成" in run.result["notes"][0]
    assert within(run.result["counts"]["category"], selection.default_quotas(30)["category"])
    legacy = selection.run_draw(session, event.id, seed=4242, algorithm="legacy", now=NOW)
    assert legacy.result["selected"] == run.result["selected"]


def test_directed_invitations_take_seats_outside_the_lottery(session, event):
    guests = fill(session, event, 3, invited=True, category="人大代表", start=1000)
    fill(session, event, 60)
    run = selection.run_draw(session, event.id, seed=9, now=NOW)
    assert run.seats == 27 and len(run.result["selected"]) == 27
    assert run.result["invited"] == [g.id for g in guests]
    assert not set(run.result["selected"]) & {g.id for g in guests}


def test_cross_feature_clash_is_relaxed_by_the_library_and_noted(session, event):
    event.seats = 6
    fill(session, event, 3, category="媒体记者", street="黄村镇", start=0)
    fill(session, event, 12, category="其他群众", street="兴丰街道", start=10)
    quotas = {"category": {"媒体记者": [2, 3], "其他群众": [0, 6]}, "street": {"黄村镇": [0, 1], "*": [0, 6]}}
    assert selection.check_feasibility(selection.pool_of(session, event.id), quotas, 6) == []
    run = selection.run_draw(session, event.id, seed=3, quotas=quotas, now=NOW)
    assert run.status == SelectionStatus.DONE, run.message
    notes = run.result["notes"]
    assert notes[0].startswith("配额无法同时满足") and len(notes) == 2
    assert notes[1] in ("“媒体记者”下限由 2 调整为 1", "“黄村镇”上限由 1 调整为 2")


def test_waitlist_is_seeded_and_puts_those_who_fit_first():
    pool = [[i, "人大代表" if i <= 10 else "其他群众", "兴丰街道"] for i in range(1, 31)]
    features = {"category": {"人大代表": (0, 2), "其他群众": (0, 30)}}
    selected = [1, 2, 11, 12]
    order = selection_engine.rank_waitlist(pool, selected, features, seed=5)
    assert order == selection_engine.rank_waitlist(pool, selected, features, seed=5)
    assert order != selection_engine.rank_waitlist(pool, selected, features, seed=6)
    assert sorted(order) == [i for i in range(1, 31) if i not in selected]
    # 人大代表 is at its maximum (2): its applicants wait behind everyone who could still be seated.
    assert all(i > 10 for i in order[:18]) and all(i <= 10 for i in order[18:])


# -- confirm, verify, background ---------------------------------------------------------------------------

def test_confirm_sets_statuses_codes_ranks_notices_and_audit(session, event):
    applications = fill(session, event, 50)
    run = selection.run_draw(session, event.id, seed=1234, now=NOW)
    later = NOW + dt.timedelta(hours=1)
    selection.confirm(session, run.id, None, later)
    by_status = Counter(a.status for a in applications)
    assert by_status == {ApplicationStatus.SELECTED: 30, ApplicationStatus.WAITLISTED: 20}
    chosen = [a for a in applications if a.status == ApplicationStatus.SELECTED]
    assert len({a.checkin_code for a in chosen}) == 30
    assert all(set(a.checkin_code) <= set(CHECKIN_ALPHABET) for a in chosen)
    ranks = {a.id: a.waitlist_rank for a in applications if a.status == ApplicationStatus.WAITLISTED}
    assert [a for a in run.result["waitlist"]] == sorted(ranks, key=ranks.get) and sorted(ranks.values()) == list(range(1, 21))
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.subject == f"event:{event.id}")).all()
    assert Counter(m.purpose for m in messages) == {"selection_selected": 30, "selection_waitlisted": 20}
    codes = {a.citizen.openid: a.checkin_code for a in chosen}
    for message in messages:
        # The selected open their entry pass (QR + code) from the card; the others the event page.
        expected = f"/pass/{codes[message.recipient]}" if message.purpose == "selection_selected" else f"/events/{event.id}"
        assert message.payload["template"] == "selection" and message.payload["url"].endswith(expected)
        assert all(len(v) <= 20 and "\n" not in v for v in message.payload["data"].values())
    selected_text = next(m for m in messages if m.purpose == "selection_selected").payload["text"]
    assert "签到码" in selected_text
    assert run.seed == 1234 and run.status == SelectionStatus.CONFIRMED and run.confirmed_at == later
    assert session.scalar(select(AuditLog).where(AuditLog.action == "selection.confirm")).after["selected"] == 30
    with pytest.raises(selection.AlreadyConfirmed):
        selection.confirm(session, run.id, None, later)
    with pytest.raises(selection.AlreadyConfirmed):
        selection.run_draw(session, event.id, now=later)


def test_not_selected_get_their_notice(session, event):
    event.seats = 6
    fill(session, event, 8, category="其他群众")
    quotas = {"category": {"其他群众": [0, 6]}}
    run = selection.run_draw(session, event.id, seed=2, quotas=quotas, now=NOW)
    assert len(run.result["waitlist"]) == 2
    selection.confirm(session, run.id, None, NOW)
    purposes = Counter(session.scalars(select(OutboxMessage.purpose)))
    assert purposes["selection_selected"] == 6 and purposes["selection_waitlisted"] == 2


def test_cli_run_then_verify_is_identical_and_a_wrong_seed_is_not(app, runner, session, event):
    fill(session, event, 60)
    session.commit()
    ran = runner.invoke(args=["selection", "run", str(event.id), "--seed", "24680", "--street", "*=0-4"])
    assert ran.exit_code == 0, ran.output
    assert "种子：24680" in ran.output and "算法：最大最小公平算法" in ran.output and "人大代表：" in ran.output
    same = runner.invoke(args=["selection", "verify", str(event.id), "--seed", "24680"])
    assert same.exit_code == 0 and "一致" in same.output
    wrong = runner.invoke(args=["selection", "verify", str(event.id), "--seed", "13579"])
    assert wrong.exit_code == 1 and "种子不同" in wrong.output


def test_background_draw_updates_the_row(app, session, event):
    fill(session, event, 60)
    session.commit()
    seen = []
    run_id = selection.start_draw_in_background(sessionmaker(bind=db.engine), event.id, NOW, seed=55,
                                                progress=lambda f, m: seen.append(f))
    with pytest.raises(selection.DrawInProgress):
        selection.run_draw(session, event.id, now=NOW)
    assert selection.wait_for_background(run_id, timeout=60)
    session.expire_all()
    run = session.get(SelectionRun, run_id)
    assert run.status == SelectionStatus.DONE and run.progress == 1.0 and len(run.result["selected"]) == 30
    assert seen and seen[-1] == 1.0


def test_verify_after_confirmation_and_after_a_change_to_the_pool(session, event):
    applications = fill(session, event, 45)
    run = selection.run_draw(session, event.id, seed=8642, now=NOW)
    selection.run_draw(session, event.id, seed=1, quotas={"其他群众": [30, 30]}, now=NOW)  # a later failed attempt
    selection.confirm(session, run.id, None, NOW)
    assert selection.verify(session, event.id, 8642) == (True, [])
    applications[0].category = "媒体记者" if applications[0].category != "媒体记者" else "其他群众"
    identical, differences = selection.verify(session, event.id, 8642)
    assert not identical and differences == [
        f"报名 {applications[0].id} 的类别已变化：抽签时为“{CATEGORIES[0]}”，现为“{applications[0].category}”"]


def test_cli_draws_an_undersubscribed_event_with_everyone_selected(app, runner, session, event):
    event.seats = 20
    fill(session, event, 13)
    session.commit()
    ran = runner.invoke(args=["selection", "run", str(event.id), "--seed", "4242"])
    assert ran.exit_code == 0, ran.output
    assert "说明：报名人数（13 人）不超过待抽取席位（20 个），全体报名者入选，未进行抽签" in ran.output
    assert "入选 13 人，候补 0 人" in ran.output and "每位报名者的最低入选概率：100.00%" in ran.output


def test_cli_confirm_applies_the_latest_draw_and_refuses_twice_or_before_a_done_draw(app, runner, session, event):
    applications = fill(session, event, 40)
    session.commit()
    event_id = event.id
    nothing = runner.invoke(args=["selection", "confirm", str(event_id)])
    assert nothing.exit_code == 1 and "还没有遴选结果" in nothing.output
    failed = selection.run_draw(session, event_id, seed=1, quotas={"其他群众": [6, 5]}, now=NOW)
    session.commit()
    assert failed.status == SelectionStatus.FAILED
    refused = runner.invoke(args=["selection", "confirm", str(event_id)])
    assert refused.exit_code == 1 and "只有已完成的遴选结果可以确认" in refused.output
    assert runner.invoke(args=["selection", "run", str(event_id), "--seed", "31337"]).exit_code == 0
    done = runner.invoke(args=["selection", "confirm", str(event_id), "--reason", "测试"])
    assert done.exit_code == 0, done.output
    assert "种子 31337" in done.output and "入选 30 人、候补 10 人、未入选 0 人" in done.output
    session.expire_all()
    assert Counter(a.status for a in applications) == {ApplicationStatus.SELECTED: 30, ApplicationStatus.WAITLISTED: 10}
    confirmed = session.scalars(select(SelectionRun).where(SelectionRun.event_id == event_id,
                                                        SelectionRun.status == SelectionStatus.CONFIRMED)).one()
    assert confirmed.seed == 31337
    assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.subject == f"event:{event_id}")).all()) == 40
    again = runner.invoke(args=["selection", "confirm", str(event_id)])
    assert again.exit_code == 1 and "遴选结果已确认" in again.output


def test_typed_street_caps_are_kept_beside_default_category_quotas_and_explained(app, runner, session, event):
    fill(session, event, 20, street="兴丰街道")
    fill(session, event, 20, start=20, seed=2)
    session.commit()
    ran = runner.invoke(args=["selection", "run", str(event.id), "--seed", "99", "--street", "兴丰街道=0-12"])
    assert ran.exit_code == 0, ran.output
    assert "兴丰街道：" in ran.output and "（配额 0–12）" in ran.output
    assert "说明：不设配额时每人入选概率为 75.00%；为满足配额，部分报名者的入选概率降至" in ran.output
    run = selection.latest_run(session, event.id)
    assert run.result["quotas_used"]["street"]["兴丰街道"] == [0, 12] and run.result["counts"]["street"]["兴丰街道"] <= 12


def test_cli_reports_zero_for_a_category_capped_at_zero_and_says_why(app, runner, session, event):
    fill(session, event, 60)
    session.commit()
    journalists = session.scalar(select(db.func.count()).select_from(Application).where(
        Application.event_id == event.id, Application.category == "媒体记者"))
    ran = runner.invoke(args=["selection", "run", str(event.id), "--seed", "4242", "--quota", "媒体记者=0-0"])
    assert ran.exit_code == 0, ran.output
    assert "每位报名者的最低入选概率：0.00%" in ran.output
    assert f"说明：“媒体记者”有 {journalists} 位报名者无法入选（入选概率为 0）：该类别的上限为 0" in ran.output
    assert "  媒体记者：0（配额 0–0），入选概率 0.00%" in ran.output
    run = selection.latest_run(session, event.id)
    assert run.result["min_probability"] == 0.0 and run.result["per_category"]["媒体记者"] == 0.0
    assert run.result["unselectable"] == [{"category": "媒体记者", "count": journalists, "reason": "该类别的上限为 0"}]
