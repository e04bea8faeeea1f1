"""The working-day calendar against the real 2026 schedule, real files and the real CLI.

Ground truth is the ``chinesecalendar`` package (the State Council's notices as data)
and the 2026 notice (国办发明电〔2025〕7号) transcribed in ``config/holidays/2026.toml``.
"""

from __future__ import annotations

import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from app.commands_workday import workday_command
from services.calendar import clock, workdays
from services.calendar.workdays import HOLIDAYS_DIR, CalendarError, ScheduleFileError, ScheduleMissing, WorkCalendar

D = date.fromisoformat
# The make-up working days the 2026 notice lists (all Saturdays or Sundays).
MAKEUP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
SAMPLE = HOLIDAYS_DIR / "example.toml.sample"


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The shipped calendar: chinesecalendar plus config/holidays/*.toml."""
    return workdays.load()


def days_of(year: int) -> list[date]:
    """Every date of ``year``."""
    start = date(year, 1, 1)
    return [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]


def naive_shift(day: date, n: int) -> date:
    """Reference implementation straight on chinese_calendar.is_workday."""
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        remaining -= chinese_calendar.is_workday(day)
    return day


def write(folder: Path, name: str, text: str) -> Path:
    """Write a holiday file into ``folder``."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the 2026 file and the package ------------------------------------------------------


def test_2026_file_agrees_with_package_on_every_day() -> None:
    schedule = workdays.read_schedule_file(HOLIDAYS_DIR / "2026.toml")
    days = days_of(2026)
    assert len(days) == 365
    disagreements = [d for d in days
                     if schedule.is_working_day(d) != chinese_calendar.is_workday(d)]
    assert disagreements == []
    assert set(schedule.holidays) == {d for d in chinese_calendar.holidays if d.year == 2026}
    assert schedule.source == "2026.toml"


def test_2026_makeup_days_are_the_package_ones(cal: WorkCalendar) -> None:
    package = sorted(d for d in chinese_calendar.workdays if d.year == 2026)
    assert package == [D(x) for x in MAKEUP_2026]
    assert all(cal.is_working_day(d) and d.weekday() >= 5 for d in package)


def test_shipped_sources(cal: WorkCalendar) -> None:
    assert cal.year_status(2026) == workdays.YearStatus(2026, True, "2026.toml")
    assert cal.year_status(2025).source == "chinesecalendar"
    assert cal.year_status(2027) == workdays.YearStatus(2027, False, None)
    assert cal.years_loaded() == list(range(2004, 2027))
    assert not (HOLIDAYS_DIR / "2027.toml").exists()  # 2027's notice is not known to us


def test_module_functions_use_the_shipped_calendar() -> None:
    assert workdays.years_loaded()[-1] == 2026
    assert workdays.year_status(2027).loaded is False
    assert workdays.is_working_day(D("2026-10-10"))
    assert workdays.shift_working_days(D("2026-10-09"), -1) == D("2026-10-08")
    assert workdays.working_days_between(D("2026-09-30"), D("2026-10-08")) == 1
    assert workdays.missing_years([D("2026-05-01"), D("2027-03-01"), D("2003-01-01")]) == {
        2027, 2003}


# --- time travel around the 2026 schedule -----------------------------------------------


@pytest.mark.parametrize(("day", "working"), [
    ("2026-01-01", False), ("2026-01-02", False), ("2026-01-04", True), ("2026-01-05", True),
    ("2026-02-13", True), ("2026-02-14", True), ("2026-02-16", False), ("2026-02-23", False),
    ("2026-02-24", True), ("2026-02-28", True), ("2026-04-06", False), ("2026-05-05", False),
    ("2026-05-09", True), ("2026-06-19", False), ("2026-09-20", True), ("2026-09-25", False),
    ("2026-10-01", False), ("2026-10-07", False), ("2026-10-08", True), ("2026-10-10", True),
    ("2026-10-11", False), ("2026-12-31", True),
])
def test_is_working_day_2026(cal: WorkCalendar, day: str, working: bool) -> None:
    assert cal.is_working_day(D(day)) is working
    assert chinese_calendar.is_workday(D(day)) is working


@pytest.mark.parametrize(("start", "n", "expected"), [
    ("2026-10-09", -1, "2026-10-08"),  # Friday after National Day → Thursday
    ("2026-10-08", -1, "2026-09-30"),  # over the 7-day National Day holiday
    ("2026-09-30", 1, "2026-10-08"),
    ("2026-10-09", 1, "2026-10-10"),  # Saturday make-up working day
    ("2026-10-12", -3, "2026-10-08"),  # announce ≥ 3 working days before a Monday event
    ("2026-10-12", -1, "2026-10-10"),  # reminder 1 working day before lands on the make-up Sat
    ("2026-09-19", 1, "2026-09-20"),  # Sunday make-up working day
    ("2026-02-13", 1, "2026-02-14"),  # Spring Festival: Saturday make-up day
    ("2026-02-14", 1, "2026-02-24"),  # …then nine days off
    ("2026-02-24", -1, "2026-02-14"),
    ("2026-02-26", 2, "2026-02-28"),  # second make-up Saturday
    ("2026-04-03", 1, "2026-04-07"),  # Qingming
    ("2026-04-30", 1, "2026-05-06"),  # Labour Day
    ("2026-05-08", 1, "2026-05-09"),
    ("2026-01-02", 1, "2026-01-04"),  # New Year: Sunday 4 January is worked
    ("2026-10-03", 0, "2026-10-08"),  # n = 0 rolls a day off forward
    ("2026-10-10", 0, "2026-10-10"),  # …and keeps a working day
    ("2026-12-31", 0, "2026-12-31"),
])
def test_shift_2026(cal: WorkCalendar, start: str, n: int, expected: str) -> None:
    assert cal.shift_working_days(D(start), n) == D(expected)
    if n:
        assert naive_shift(D(start), n) == D(expected)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("2026-09-30", "2026-10-08", 1), ("2026-10-08", "2026-09-30", -1),
    ("2026-10-08", "2026-10-08", 0), ("2026-10-01", "2026-10-07", 0),
    ("2026-02-13", "2026-02-24", 2), ("2026-10-07", "2026-10-12", 4),  # 8, 9, 10(Sat), 12
    ("2025-12-31", "2026-01-05", 2), ("2026-01-01", "2026-12-31", 248),
])
def test_working_days_between_2026(cal: WorkCalendar, a: str, b: str, expected: int) -> None:
    assert cal.working_days_between(D(a), D(b)) == expected


def test_2026_has_248_working_days_like_the_package(cal: WorkCalendar) -> None:
    assert sum(cal.is_working_day(d) for d in days_of(2026)) == sum(
        chinese_calendar.is_workday(d) for d in days_of(2026)) == 248


@settings(max_examples=300, deadline=None)
@given(day=st.dates(date(2004, 3, 1), date(2026, 11, 15)), n=st.integers(-30, 30))
def test_shift_matches_the_package_everywhere(cal: WorkCalendar, day: date, n: int) -> None:
    shifted = cal.shift_working_days(day, n)
    if n:
        assert shifted == naive_shift(day, n)
    if cal.is_working_day(day):
        assert cal.working_days_between(day, shifted) == n
    assert cal.working_days_between(day, shifted) == -cal.working_days_between(shifted, day)


def test_datetimes_are_refused(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="local datetime.date"):
        cal.is_working_day(datetime(2026, 10, 8, 9, 0))


def test_ten_thousand_shifts_are_fast(cal: WorkCalendar) -> None:
    base = D("2026-01-05")
    started = time.perf_counter()
    for i in range(10_000):
        cal.shift_working_days(base + timedelta(days=i % 300), (i % 11) - 5)
    assert time.perf_counter() - started < 1.0


# --- across the year boundary into 2027 (not loaded) ------------------------------------


def test_shifting_into_2027_raises_schedule_missing(cal: WorkCalendar) -> None:
    with pytest.raises(ScheduleMissing) as caught:
        cal.shift_working_days(D("2026-12-30"), 3)
    assert caught.value.year == 2027
    assert isinstance(caught.value, CalendarError)
    assert "2027" in str(caught.value)
    with pytest.raises(ScheduleMissing):
        cal.is_working_day(D("2027-01-04"))
    with pytest.raises(ScheduleMissing):
        cal.working_days_between(D("2026-12-01"), D("2027-01-10"))


def test_stepping_back_from_2027_needs_no_2027_data(cal: WorkCalendar) -> None:
    assert cal.shift_working_days(D("2027-01-01"), -1) == D("2026-12-31")


def test_conservative_mode_estimates_and_flags(cal: WorkCalendar) -> None:
    estimate = cal.estimate_shift(D("2026-12-30"), 3)
    # 31 Dec (Thu) counts; 1 Jan is fixed by law; 2–3 Jan is a weekend.
    assert estimate.value == D("2027-01-05")
    assert estimate.missing_years == frozenset({2027})
    assert not estimate.is_exact
    assert cal.shift_working_days(D("2026-12-30"), 3, strict=False) == D("2027-01-05")
    exact = cal.estimate_shift(D("2026-10-09"), -1)
    assert exact.is_exact and exact.value == D("2026-10-08")


@pytest.mark.parametrize(("day", "working"), [
    ("2027-01-01", False), ("2027-05-03", True), ("2027-10-01", False),
    ("2027-10-04", True), ("2027-05-01", False), ("2027-01-04", True), ("2027-01-02", False),
])
def test_conservative_days_2027(cal: WorkCalendar, day: str, working: bool) -> None:
    assert cal.is_working_day(D(day), strict=False) is working


def test_conservative_between_flags(cal: WorkCalendar) -> None:
    estimate = cal.estimate_between(D("2026-12-30"), D("2027-01-05"))
    assert estimate.value == 3 and estimate.missing_years == frozenset({2027})
    assert cal.working_days_between(D("2026-12-30"), D("2027-01-05"), strict=False) == 3


# --- health ----------------------------------------------------------------------------


def test_health_warns_in_november_when_next_year_is_missing(cal: WorkCalendar) -> None:
    health = cal.health(D("2026-11-23"))
    assert health["status"] == "warning"
    assert health["sources"]["2026.toml"] == [2026]
    assert len(health["warnings"]) == 1 and "2027 年" in health["warnings"][0]


def test_health_is_quiet_before_november(cal: WorkCalendar) -> None:
    health = cal.health(D("2026-10-31"))
    assert health["status"] == "ok" and health["warnings"] == []
    assert 2026 in health["loaded_years"]


def test_health_warns_when_the_current_year_is_missing(cal: WorkCalendar) -> None:
    health = cal.health(D("2027-03-01"))
    assert health["status"] == "warning"
    assert "2027 年（今年）" in health["warnings"][0]


def test_calendar_health_reads_the_one_clock() -> None:
    with clock.frozen(datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)):
        health = workdays.calendar_health()
    assert health["today"] == "2026-11-23" and health["status"] == "warning"


# --- files for other years --------------------------------------------------------------


def test_sample_file_loads_as_a_future_year(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "2099.toml")
    cal = workdays.load(tmp_path)
    assert cal.year_status(2099) == workdays.YearStatus(2099, True, "2099.toml")
    assert cal.is_working_day(D("2099-01-04"))  # Sunday make-up working day
    assert not cal.is_working_day(D("2099-01-02"))  # Friday off
    assert cal.shift_working_days(D("2098-12-31"), 1, strict=False) == D("2099-01-04")
    assert not cal.is_working_day(D("2099-05-01"))  # 劳动节
    assert cal.years_loaded()[-1] == 2099


def test_files_cross_a_year_boundary_exactly(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "2099.toml")
    write(tmp_path, "2100.toml", 'year = 2100\nsource = "测试"\n'
          '[[holidays]]\nname = "元旦"\ndays = ["2100-01-01"]\n')
    cal = workdays.load(tmp_path, use_package=False)
    estimate = cal.estimate_shift(D("2099-12-31"), 1)  # 2100-01-01 is a Friday
    assert estimate.value == D("2100-01-04") and estimate.is_exact
    assert cal.years_loaded() == [2099, 2100]


def test_a_file_overrides_the_package(tmp_path: Path) -> None:
    write(tmp_path, "2025.toml", 'year = 2025\nsource = "测试"\n'
          '[[holidays]]\nname = "测试假"\ndays = ["2025-03-03"]\n')
    cal = workdays.load(tmp_path)
    assert cal.year_status(2025).source == "2025.toml"
    assert not cal.is_working_day(D("2025-03-03"))
    assert cal.is_working_day(D("2025-10-01"))  # the package's National Day is gone too


HEADER = 'year = 2099\nsource = "测试通知"\n'


@pytest.mark.parametrize(("text", "problem"), [
    ('year = 2098\nsource = "x"\n', "与文件名 2099.toml 不一致"),
    ('source = "x"\n', "缺少 year"),
    ('year = 2099\n', "缺少 source"),
    (HEADER + 'workday = ["2099-01-04"]\n', "未知的键 'workday'"),
    (HEADER + 'workdays = ["2099-01-05"]\n', "调休上班日 2099-01-05 是周一"),
    (HEADER + 'workdays = ["2099-01-04", "2099-01-04"]\n', "重复"),
    (HEADER + 'workdays = ["2098-12-27"]\n', "不在 2099 年内"),
    (HEADER + 'workdays = ["2099/01/04"]\n', "不是 YYYY-MM-DD"),
    (HEADER + '[[holidays]]\nname = "春节"\ndays = ["2099-02-30"]\n', "不是 YYYY-MM-DD"),
    (HEADER + '[[holidays]]\nname = "元旦"\nstart = "2099-01-03"\nend = "2099-01-01"\n',
     "晚于"),
    (HEADER + '[[holidays]]\nname = "元旦"\ndays = ["2099-01-01"]\nstart = "2099-01-01"\n',
     "二者之一"),
    (HEADER + '[[holidays]]\nname = "元旦"\n', "二者之一"),
    (HEADER + '[[holidays]]\ndays = ["2099-01-01"]\n', "缺少 name"),
    (HEADER + '[[holidays]]\nname = "元旦"\nstart = "2099-01-01"\nend = "2099-01-03"\n'
     'total = 2\n', "total = 2"),
    (HEADER + '[[holidays]]\nname = "元旦"\nstart = "2099-01-01"\nend = "2099-01-04"\n'
     'workdays = ["2099-01-04"]\n', "既是放假日（元旦）又是调休上班日"),
    (HEADER + '[[holidays]]\nname = "A"\ndays = ["2099-01-01"]\n'
     '[[holidays]]\nname = "B"\ndays = ["2099-01-01"]\n', "已出现在「A」中"),
    (HEADER + '[[holidays]]\nname = "元旦"\ndays = ["2099-01-01"]\ndate = "x"\n',
     "未知的键 'date'"),
    ('year = 2099\nsource = "x\n', "不是合法的 TOML"),
])
def test_invalid_files_name_the_file_and_the_problem(
        tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "2099.toml", text)
    with pytest.raises(ScheduleFileError) as caught:
        workdays.load(tmp_path)
    assert caught.value.path == path
    assert "2099.toml" in str(caught.value)
    assert problem in str(caught.value)


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "2099.toml", HEADER + 'workdays = ["2099-01-05", "2100-01-02"]\n')
    with pytest.raises(ScheduleFileError) as caught:
        workdays.load(tmp_path)
    assert len(caught.value.problems) == 2


def test_stray_toml_file_names_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "2027-draft.toml", HEADER)
    with pytest.raises(ScheduleFileError, match="<年份>.toml"):
        workdays.load(tmp_path)


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="不存在"):
        workdays.load(tmp_path / "nope")


# --- the CLI ----------------------------------------------------------------------------


def run_cli(*args: str):
    """Invoke ``flask workday`` without an app."""
    return CliRunner().invoke(workday_command, list(args))


@pytest.mark.parametrize(("args", "line"), [
    (["2026-10-09", "--shift", "-1"], "2026-10-08 周四"),
    (["2026-10-09", "--shift", "1"], "2026-10-10 周六"),
    (["2026-02-13", "--shift", "2"], "2026-02-24 周二"),
    (["2026-10-03"], "2026-10-08 周四"),
])
def test_cli_prints_iso_date_and_weekday(args: list[str], line: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout == line + "\n"
    assert result.stderr == ""


@pytest.mark.parametrize("bad", ["2026/10/09", "2026-02-30", "tomorrow", "20261009"])
def test_cli_refuses_bad_dates_in_chinese(bad: str) -> None:
    result = run_cli(bad, "--shift", "1")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output and "不是有效的日期" in result.output


def test_cli_estimates_a_missing_year_with_a_warning() -> None:
    result = run_cli("2026-12-30", "--shift", "3")
    assert result.exit_code == 0
    assert result.stdout == "2027-01-05 周二\n"
    assert "警告" in result.stderr and "2027" in result.stderr


def test_cli_strict_fails_on_a_missing_year() -> None:
    result = run_cli("2026-12-30", "--shift", "3", "--strict")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "2027 年的法定节假日安排未载入" in result.stderr


def test_cli_reads_a_draft_directory(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "2099.toml")
    result = run_cli("2099-01-02", "--shift", "0", "--holidays-dir", str(tmp_path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "2099-01-04 周日\n", "")


def test_cli_reports_a_broken_draft(tmp_path: Path) -> None:
    write(tmp_path, "2099.toml", HEADER + 'workdays = ["2099-01-05"]\n')
    result = run_cli("2099-01-02", "--holidays-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "2099.toml" in result.stderr and "周一" in result.stderr
