"""``flask workday DATE --shift N``: working-day arithmetic from the command line.

Prints one line, the ISO date first and the weekday in Chinese after it
(``2026-10-08 周四``). When a year on the way has no official schedule the line
is the conservative estimate and a warning goes to stderr (exit status 0), or,
with ``--strict``, the command fails instead. The app factory registers it with
``app.cli.add_command(workday_command)``; it needs no application context.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click

from services.calendar import workdays

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class IsoDate(click.ParamType):
    """A calendar date written as YYYY-MM-DD; anything else is refused in Chinese."""

    name = "DATE"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        """Parse ``value``, failing with a message that shows the expected form."""
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"“{value}”不是有效的日期，应写成 YYYY-MM-DD，例如 2026-10-09", param, ctx)


def describe(day: date) -> str:
    """``2026-10-08 周四``: the ISO date, then the Chinese weekday."""
    return f"{day.isoformat()} {WEEKDAY_NAMES[day.weekday()]}"


def estimate_warning(years: frozenset[int]) -> str:
    """The stderr warning for an answer that had to estimate ``years``."""
    listed = "、".join(str(year) for year in sorted(years))
    return (f"警告：{listed} 年的法定节假日安排未载入，以上结果只按周末和固定日期假日"
            "（元旦、劳动节、国庆节）保守估算，可能不准确。"
            "请按 config/holidays/README.md 添加对应年份的文件。")


def _calendar(holidays_dir: Path | None) -> workdays.WorkCalendar:
    """The default calendar, or one loaded from ``holidays_dir`` (to try a draft file)."""
    try:
        if holidays_dir is None:
            return workdays.default_calendar()
        return workdays.load(holidays_dir)
    except workdays.CalendarError as error:
        raise click.ClickException(str(error)) from error


@click.command("workday")
@click.argument("day", metavar="DATE", type=IsoDate())
@click.option("--shift", "n", type=int, default=0, show_default=True,
              help="向后数 N 个工作日；N < 0 为向前。0 表示当天（非工作日则顺延）。")
@click.option("--strict", is_flag=True,
              help="涉及未载入的年份时报错，而不是保守估算。")
@click.option("--holidays-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="从此目录读取节假日文件（用于核对新录入的文件）。")
def workday_command(day: date, n: int, strict: bool, holidays_dir: Path | None) -> None:
    """Print the date N working days after DATE (N < 0: before).

    打印 DATE 之后（N < 0 为之前）第 N 个工作日，如 “2026-10-08 周四”。
    """
    calendar = _calendar(holidays_dir)
    if strict:
        try:
            click.echo(describe(calendar.shift_working_days(day, n)))
        except workdays.ScheduleMissing as error:
            raise click.ClickException(str(error)) from error
        return
    estimate = calendar.estimate_shift(day, n)
    click.echo(describe(estimate.value))
    if not estimate.is_exact:
        click.echo(estimate_warning(estimate.missing_years), err=True)
