"""CLI commands: ``flask demo load``, ``flask staff create``, ``flask wechat sync-menu``, ``flask workday``;
``init_app`` also registers the scheduler, worker, selection and personal-data commands of the other rooms.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.commands_workday import workday_command

demo_cli = AppGroup("demo", help="演示数据")
staff_cli = AppGroup("staff", help="工作人员账号")
wechat_cli = AppGroup("wechat", help="微信公众号")

@demo_cli.command("load")
def demo_load() -> None:
    """Load the 2024 programme as demo data (idempotent)."""
    from app import demo
    from models import db

    added = demo.load(db.session)
    click.echo(f"演示数据已就绪：新增单位 {added['units']} 个、专题 {added['topics']} 个、活动 {added['events']} 场。")


@staff_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["coordinator", "unit", "auditor"]), required=True)
@click.option("--unit", "unit_name", default=None, help="单位名称（单位工作人员必填）")
@click.option("--password", default=None, help="仅供脚本使用（会出现在进程列表中）；不填写时提示输入")
@click.option("--name", "display_name", default="", help="显示名称")
def staff_create(username: str, role: str, unit_name: str | None, password: str | None, display_name: str) -> None:
    """Create a console account."""
    from models import db
    from services.admin import staff
    from services.calendar import clock

    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    else:
        click.echo("警告：--password 的值会出现在进程列表和命令历史中，仅供脚本使用；"
                   "手工创建账号请省略它，按提示输入密码。", err=True)
    try:
        user = staff.create_user(db.session, username, role, password, unit_name, display_name, clock.now())
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建账号 {user.username}（{staff.ROLE_LABELS[user.role]}）。")


def _staff_user(username: str):
    from sqlalchemy import select

    from models import StaffUser, db

    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise click.ClickException(f"账号 {username} 不存在")
    return user


@staff_cli.command("passwd")
@click.argument("username")
def staff_passwd(username: str) -> None:
    """Set a new password (prompted); every console session of the account ends."""
    from models import db
    from services.admin import staff
    from services.calendar import clock

    user = _staff_user(username)
    password = click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码")
    try:
        staff.change_password(db.session, user, password, clock.now())
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已修改账号 {username} 的密码，该账号的所有登录会话已失效。")


@staff_cli.command("deactivate")
@click.argument("username")
def staff_deactivate(username: str) -> None:
    """Deactivate an account; every console session of it ends."""
    from models import db
    from services.admin import staff
    from services.calendar import clock

    staff.deactivate(db.session, _staff_user(username), clock.now())
    click.echo(f"已停用账号 {username}，该账号的所有登录会话已失效。")


@wechat_cli.command("sync-menu")
def sync_menu() -> None:
    """Push ``config/menu.toml`` to WeChat (the emulator in the demo)."""
    from wechatpy.exceptions import WeChatClientException

    from config.menu import MenuError, load_menu

    settings = current_app.extensions["settings"]
    try:
        menu = load_menu(settings.PUBLIC_BASE_URL)
        current_app.extensions["wechat"].menu.create(menu)
    except MenuError as exc:
        raise click.ClickException(f"菜单配置有误：{exc}") from None
    except WeChatClientException as exc:
        raise click.ClickException(f"微信接口返回错误 {exc.errcode}：{exc.errmsg}") from None
    click.echo(f"菜单已同步（{len(menu['button'])} 个一级菜单）。")


def init_app(app: Flask) -> None:
    """Register every command group."""
    from app.commands_pii import pii_cli
    from console.cli import selection_cli
    from scheduler.cli import scheduler_cli, worker_command

    for group in (demo_cli, staff_cli, wechat_cli, workday_command, scheduler_cli, worker_command, selection_cli, pii_cli):
        app.cli.add_command(group)
