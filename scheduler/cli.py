"""``flask scheduler run|tick|plan`` and ``flask worker``."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from services.calendar import clock

scheduler_cli = AppGroup("scheduler", help="定时任务：活动提醒、期限提醒、消息发送")


def _moment(value: str) -> dt.datetime:
    """An ISO datetime; without a zone it is Beijing time."""
    try:
        return clock.to_utc(dt.datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter("请使用 ISO 格式，例如 2026-10-09T09:05 或 2026-10-09T09:05+08:00") from None


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler until stopped (one leader among all scheduler processes)."""
    from scheduler import runner

    runner.run(current_app._get_current_object())


@scheduler_cli.command("tick")
@click.option("--at", "at", required=True, help="按此时刻运行一遍全部任务（ISO 时间，默认北京时间）")
@click.option("--queue", "to_queue", is_flag=True, help="只交给发送进程（flask worker），不在本进程发送")
def tick_command(at: str, to_queue: bool) -> None:
    """Run one pass of every job as if at --at, then send what became due."""
    from scheduler.jobs import run_pass

    moment = _moment(at)
    with clock.frozen(moment):
        results = run_pass(current_app._get_current_object(), moment, inline=not to_queue)
    click.echo(f"按 {clock.local(moment):%Y-%m-%d %H:%M}（北京时间）运行：")
    for name, _count, summary in results:
        click.echo(f"  {name}: {summary}")


@scheduler_cli.command("plan")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366), help="向后看多少天")
def plan_command(days: int) -> None:
    """Print what will be sent when over the next --days days."""
    from models import db
    from services.messaging import reminders, send_plan

    settings = current_app.extensions["settings"]
    now = clock.now()
    items = send_plan.plan(db.session, now, days, reminders.ReminderSettings.from_settings(settings))
    click.echo(f"自 {clock.local(now):%Y-%m-%d %H:%M} 起 {days} 天内计划发送（北京时间）：")
    if not items:
        click.echo("  （无）")
    for item in items:
        note = f"  {item.note}" if item.note else ""
        click.echo(f"  {clock.local(item.at):%Y-%m-%d %H:%M}  {item.kind}  {item.recipients} 人  {item.subject}{note}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="队列清空后退出")
@click.option("--threads", type=click.IntRange(1, 512), default=None, help="并发发送线程数（默认 DELIVERY_THREADS）")
def worker_command(burst: bool, threads: int | None) -> None:
    """Run a delivery worker (RQ) that sends outbox messages."""
    from scheduler import worker

    worker.run(current_app._get_current_object(), burst=burst, threads=threads)
