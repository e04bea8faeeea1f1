"""The sealed lottery end to end: seal through the CLI, the public draw.json, draw with a public number, verify.

The verifier runs as its own process (``python3 scripts/verify_draw.py``), on
the record exactly as the public endpoint serves it, and on tampered copies.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from app import demo
from models import Application, ApplicationStatus, Citizen, Event, SelectionSeal, db
from scheduler import jobs
from services import selection
from services.calendar import clock
from services.participation.applications import CATEGORIES
from services.participation.streets import ALL as STREETS

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "scripts" / "verify_draw.py"
# The machine's own python3 (not the project's virtualenv): the verifier needs nothing else.
PYTHON3 = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
SEATS = 10


@pytest.fixture
def session(app, fixed_now):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


@pytest.fixture
def event(session) -> Event:
    """OD-01 with 10 seats and 40 applicants, applications closed an hour ago."""
    event = session.scalar(select(Event).where(Event.code == "OD-01"))
    event.seats, event.apply_closes_at = SEATS, NOW - dt.timedelta(hours=1)
    event.starts_at = NOW + dt.timedelta(days=10)
    event.selection_planned_on = (NOW + dt.timedelta(days=1)).date()
    rng = random.Random(7)
    for n in range(40):
        citizen = Citizen(openid=f"o-lottery-{n}", created_at=NOW, following=True)
        session.add(citizen)
        session.flush()
        session.add(Application(event_id=event.id, citizen_id=citizen.id, name=f"张{n:02d}", mobile="13800001111",
                                category=CATEGORIES[n % 6] if n < 18 else rng.choice(CATEGORIES),
                                street=rng.choice(STREETS[:5]), status=ApplicationStatus.APPLIED, created_at=NOW))
    session.commit()
    return event


def verify(record: dict, tmp_path: Path, name: str) -> subprocess.CompletedProcess:
    """The verifier as its own process, with nothing but python3 and the file (no project on the path)."""
    path = tmp_path / name
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([PYTHON3, "-I", str(VERIFIER), str(path)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, env={"PATH": "/usr/bin:/bin"})


def fetch(client, event_id: int) -> dict:
    response = client.get(f"/events/{event_id}/draw.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_data(as_text=True)
    record = json.loads(body)
    assert body == json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # canonical
    return record


def test_seal_publish_draw_and_verify_a_forty_applicant_event(app, runner, client, session, event, tmp_path):
    sealed = runner.invoke(args=["selection", "seal", str(event.id), "--street", "*=0-3"])
    assert sealed.exit_code == 0, sealed.output
    assert "40 人参加，1000 份等可能的候选名单，每份 10 人" in sealed.output and "封存指纹" in sealed.output

    before = fetch(client, event.id)
    numbers = {a.number for a in session.scalars(select(Application).where(Application.event_id == event.id))}
    assert len(before["pool"]) == 40 and {e["number"] for e in before["pool"]} == numbers
    assert all(set(entry) == {"number", "category", "street"} for entry in before["pool"])
    assert "张0" not in json.dumps(before, ensure_ascii=False) and "13800001111" not in json.dumps(before)
    assert len(before["panels"]) == 1000 and before["selected"] is None and before["beacon"]["value"] is None
    assert before["beacon"]["date"] == "2026-11-24" and "福彩3D" in before["beacon"]["source"]
    assert before["seats"] == {"event": SEATS, "invited": 0, "drawn": SEATS}
    fairness = before["fairness"]
    assert fairness["max_deviation"] <= fairness["bound"] == 1 / 1000
    assert abs(fairness["lottery_lowest"] - fairness["maximin_lowest"]) <= 1 / 1000
    assert [a["kind"] for a in before["attempts"]] == ["seal"]
    assert verify(before, tmp_path, "before.json").returncode == 0

    again = runner.invoke(args=["selection", "seal", str(event.id)])
    assert again.exit_code != 0 and "已于" in again.output and "--reason" in again.output
    seeded = runner.invoke(args=["selection", "run", str(event.id), "--seed", "24680"])
    assert seeded.exit_code != 0 and "--beacon" in seeded.output

    drawn = runner.invoke(args=["selection", "run", str(event.id), "--beacon", "527"])
    assert drawn.exit_code == 0, drawn.output
    assert "公开随机数：527，抽出第 527 号名单" in drawn.output
    record = fetch(client, event.id)
    assert record["selected"] == record["panels"][527] and record["beacon"]["value"] == "527"
    assert record["pool"] == before["pool"] and record["panels"] == before["panels"]
    assert record["digest"] == before["digest"]
    assert record["attempts"][-1] | {"at": None} == {"kind": "draw", "at": None, "digest": record["digest"],
                                                      "beacon": "527", "index": 527, "selected": record["panels"][527]}
    refused = runner.invoke(args=["selection", "run", str(event.id), "--beacon", "528"])
    assert refused.exit_code != 0 and "已按公开随机数 527" in refused.output
    assert fetch(client, event.id)["selected"] == record["panels"][527]

    checked = verify(record, tmp_path, "draw.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "核验通过" in checked.stdout and "选中第 527 号名单" in checked.stdout
    appearances = Counter(n for panel in record["panels"] for n in panel)
    some = record["pool"][0]["number"]
    assert f"{some}\t{appearances[some] / 1000:.4%}" in checked.stdout and "最低入选机会" in checked.stdout

    run = selection.latest_run(session, event.id)
    session.refresh(run)
    by_id = {a.id: a.number for a in session.scalars(select(Application).where(Application.event_id == event.id))}
    assert sorted(by_id[i] for i in run.result["selected"]) == sorted(record["panels"][527])
    verified = runner.invoke(args=["selection", "verify", str(event.id), "--seed", str(run.seed)])
    assert verified.exit_code == 0, verified.output
    confirmed = runner.invoke(args=["selection", "confirm", str(event.id)])
    assert confirmed.exit_code == 0, confirmed.output
    session.expire_all()
    chosen = {a.number for a in session.scalars(select(Application).where(
        Application.event_id == event.id, Application.status == ApplicationStatus.SELECTED))}
    assert chosen == set(record["panels"][527])


def test_tampered_records_are_refused_by_the_verifier(app, runner, client, session, event, tmp_path):
    assert runner.invoke(args=["selection", "seal", str(event.id)]).exit_code == 0
    assert runner.invoke(args=["selection", "run", str(event.id), "--beacon", "058"]).exit_code == 0
    record = fetch(client, event.id)
    assert record["selected"] == record["panels"][58]

    swapped = json.loads(json.dumps(record))
    outsider = next(e["number"] for e in record["pool"] if e["number"] not in record["selected"])
    swapped["selected"][0] = outsider
    result = verify(swapped, tmp_path, "swapped.json")
    assert result.returncode == 1 and "核验未通过：入选名单不是公开随机数 058 所指的第 58 号名单" in result.stdout

    changed = json.loads(json.dumps(record))
    entry = changed["pool"][3]
    entry["category"] = next(c for c in CATEGORIES if c != entry["category"])
    result = verify(changed, tmp_path, "changed.json")
    assert result.returncode == 1 and "核验未通过：封存指纹不符" in result.stdout

    other = json.loads(json.dumps(record))
    other["beacon"]["value"] = "059"
    result = verify(other, tmp_path, "beacon.json")
    assert result.returncode == 1 and "核验未通过" in result.stdout and "059" in result.stdout

    named = json.loads(json.dumps(record))
    named["pool"][0]["name"] = "张00"
    result = verify(named, tmp_path, "named.json")
    assert result.returncode == 1 and "核验未通过" in result.stdout


def test_reseal_needs_a_reason_which_the_record_shows(app, runner, client, session, event):
    assert runner.invoke(args=["selection", "seal", str(event.id)]).exit_code == 0
    assert runner.invoke(args=["selection", "run", str(event.id), "--beacon", "100"]).exit_code == 0
    first = fetch(client, event.id)
    refused = runner.invoke(args=["selection", "seal", str(event.id)])
    assert refused.exit_code != 0 and "已按公开随机数 100 抽签" in refused.output
    resealed = runner.invoke(args=["selection", "seal", str(event.id), "--reason", "一位报名者的类别登记有误，已更正"])
    assert resealed.exit_code == 0, resealed.output
    record = fetch(client, event.id)
    assert record["selected"] is None and record["beacon"]["value"] is None
    assert [a["kind"] for a in record["attempts"]] == ["seal", "draw", "reseal"]
    assert record["attempts"][1]["selected"] == first["panels"][100] and not record["attempts"][0]["in_force"]
    assert record["attempts"][2]["reason"] == "一位报名者的类别登记有误，已更正"
    assert runner.invoke(args=["selection", "run", str(event.id), "--beacon", "7"]).exit_code == 0
    assert fetch(client, event.id)["selected"] == record["panels"][7]
    page = client.get(f"/events/{event.id}/draw").get_data(as_text=True)
    assert "一位报名者的类别登记有误，已更正" in page and "下载完整记录（draw.json）" in page and "如何复核" in page


def test_the_page_tells_an_applicant_their_chance(app, runner, client, session, event):
    assert client.get(f"/events/{event.id}/draw.json").status_code == 404
    assert runner.invoke(args=["selection", "seal", str(event.id)]).exit_code == 0
    record = fetch(client, event.id)
    number = record["pool"][5]["number"]
    share = sum(number in panel for panel in record["panels"]) / 1000
    assert 'id="lottery-link"' in client.get(f"/events/{event.id}").get_data(as_text=True)
    page = client.get(f"/events/{event.id}/draw?number={number}").get_data(as_text=True)
    assert "抽签公示" in page and "尚未公布（2026-11-24）" in page
    assert f"编号 {number} 在 {round(share * 1000)} 份候选名单中，入选机会 {share:.2%}" in page


def test_sealing_is_refused_while_applications_are_open(app, runner, session, event):
    event.apply_closes_at = NOW + dt.timedelta(days=1)
    session.commit()
    result = runner.invoke(args=["selection", "seal", str(event.id)])
    assert result.exit_code != 0 and "报名尚未截止" in result.output
    assert session.scalar(select(SelectionSeal.id)) is None


def test_the_scheduler_seals_at_the_close_of_applications(app, session, event):
    event.apply_closes_at = NOW + dt.timedelta(hours=2)
    session.commit()
    count, _summary = jobs.seal_lotteries(jobs.JobContext(app, session, NOW))
    assert count == 0
    later = NOW + dt.timedelta(hours=3)
    count, summary = jobs.seal_lotteries(jobs.JobContext(app, session, later))
    assert count >= 1 and "封存抽签" in summary
    row = selection.current_seal(session, event.id)
    assert row is not None and row.beacon["date"] == "2026-11-24" and row.panel_count == 1000
    assert jobs.seal_lotteries(jobs.JobContext(app, session, later))[0] == 0  # once


# -- the rounding itself (pure) -------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "seats", "street_cap"), [(300, 30, 4), (41, 10, None), (8, 10, None)])
def test_every_chance_is_within_one_panel_in_m_of_the_exact_maximin(size, seats, street_cap):
    from services.selection import engine, lottery, runs
    from tests.services.selection import exact

    rng = random.Random(size)
    pool = [[f"{10_000_000 + n * 7919}", rng.choices(CATEGORIES, [2, 2, 4, 3, 1, 6])[0], rng.choice(STREETS)]
            for n in range(size)]
    quotas = runs.default_quotas(seats) | ({"street": {"*": [0, street_cap]}} if street_cap else {})
    sealed = lottery.seal(pool, quotas, seats, 1000, default_quotas=True)
    assert len(sealed.panels) == 1000 and sealed == lottery.seal(pool, quotas, seats, 1000, default_quotas=True)
    features = {name: {v: tuple(b) for v, b in values.items()} for name, values in sealed.quotas.items()}
    by_number = {row[0]: row for row in pool}
    for panel in sealed.panels:
        assert len(panel) == min(seats, size) == len(set(panel))
        for position, name in enumerate(features, start=1):
            counts = Counter(by_number[n][position] for n in panel)
            assert all(lo <= counts[value] <= hi for value, (lo, hi) in features[name].items())
    appearances = Counter(n for panel in sealed.panels for n in panel)
    if size <= seats:
        assert set(appearances.values()) == {1000}
        return
    types = engine.group_types(pool, features)
    optimum = exact.exact_maximin(types, features, seats)
    lowest = min(appearances[row[0]] / 1000 for row in pool)
    assert abs(lowest - optimum) <= 1 / 1000 + 1e-9
    assert sealed.fairness["max_deviation"] <= 1 / 1000
    assert abs(sealed.fairness["maximin_lowest"] - optimum) < 1e-6


def test_the_panel_count_leaves_nobody_off_every_panel():
    from services.selection import sealing

    assert sealing.panels_needed(40, 10) == 1000
    assert sealing.panels_needed(30_001, 30) == 10_000
    assert sealing.panels_needed(200_000, 30) == 10_000
    assert sealing.panels_needed(10**9, 1) == 100_000  # five digits of 排列5 at most


def test_a_seeded_draw_made_before_the_seal_cannot_be_confirmed_in_its_place(app, runner, client, session, event):
    assert runner.invoke(args=["selection", "run", str(event.id), "--seed", "4242"]).exit_code == 0
    assert runner.invoke(args=["selection", "seal", str(event.id)]).exit_code == 0
    refused = runner.invoke(args=["selection", "confirm", str(event.id)])
    assert refused.exit_code != 0 and "--beacon" in refused.output
    assert runner.invoke(args=["selection", "run", str(event.id), "--beacon", "300"]).exit_code == 0
    assert runner.invoke(args=["selection", "confirm", str(event.id)]).exit_code == 0
    session.expire_all()
    chosen = {a.number for a in session.scalars(select(Application).where(
        Application.event_id == event.id, Application.status == ApplicationStatus.SELECTED))}
    assert chosen == set(fetch(client, event.id)["panels"][300])
