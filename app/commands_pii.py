"""``flask pii rotate`` and ``flask pii erase-expired``: personal-data maintenance."""

from __future__ import annotations

import click
from flask.cli import AppGroup

pii_cli = AppGroup("pii", help="个人信息保护：密钥轮换、到期删除")


@pii_cli.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored personal field under the first key of PERSONAL_DATA_KEY."""
    from models import db
    from services.privacy import retention

    changed = retention.rotate_keys(db.session)
    click.echo(f"已用新密钥重新加密 {changed} 项个人信息。确认无误后，可从 PERSONAL_DATA_KEY 中移除旧密钥。")


@pii_cli.command("erase-expired")
@click.option("--days", default=None, type=int, help="活动结束多少天后删除（默认取 RETENTION_DAYS）")
def erase_expired(days: int | None) -> None:
    """Erase applicants' personal fields N days after their event."""
    from flask import current_app

    from models import db
    from services.calendar import clock
    from services.privacy import retention

    days = days or current_app.extensions["settings"].RETENTION_DAYS
    result = retention.erase_expired(db.session, clock.now(), days)
    click.echo(f"已删除 {result['applications']} 条报名、{result['suggestions']} 条建议、{result['questions']} 条讲座提问、"
               f"{result['rating_comments']} 条评价意见中的个人信息（保留期 {days} 天），"
               f"并清除 Redis 停用期间留存的 {result['inbound_messages']} 条消息记录（保留 {retention.INBOUND_KEPT.days} 天）。")
