"""``flask selection seal EVENT_ID``, ``run EVENT_ID [--seed N | --beacon VALUE]``, ``verify``, ``confirm``, ``preview``.

Registered by ``bot/commands.py`` as ``console.cli:selection_cli``. All call
:mod:`services.selection`; the words shown here are the operator's view of a run.
"""

from __future__ import annotations

import json
import re

import click
from flask.cli import AppGroup

selection_cli = AppGroup("selection", help="公开遴选（抽签、复核）")

QUOTA = re.compile(r"^\s*(?P<value>[^=]+?)\s*=\s*(?P<lo>\d+)\s*[-–~]\s*(?P<hi>\d+)\s*$")


def _parse_quotas(pairs: tuple[str, ...], label: str) -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for pair in pairs:
        match = QUOTA.match(pair)
        if match is None:
            raise click.BadParameter(f"“{pair}”应写作 值=下限-上限，例如 媒体记者=2-4", param_hint=label)
        table[match["value"]] = [int(match["lo"]), int(match["hi"])]
    return table


@selection_cli.command("run")
@click.argument("event_id", type=int)
@click.option("--seed", type=int, default=None, help="随机种子（不填则随机生成并公布）")
@click.option("--algorithm", type=click.Choice(["maximin", "nash", "legacy"]), default="maximin", show_default=True)
@click.option("--budget", type=float, default=45.0, show_default=True, help="公平算法的时限（秒），超时改用 legacy")
@click.option("--quota", "quotas", multiple=True, metavar="类别=下限-上限", help="覆盖默认类别配额，可重复")
@click.option("--street", "streets", multiple=True, metavar="街镇=下限-上限",
              help="街镇配额，可重复；“*=0-4”表示每个街镇最多 4 人")
@click.option("--per-person", is_flag=True, help="不合并同类报名者，逐人运行库自带的 maximin（较慢）")
@click.option("--beacon", default=None, metavar="开奖号码",
              help="已封存的抽签：按公开随机数抽出第 (号码 mod 名单数) 号名单")
def run_command(event_id: int, seed: int | None, algorithm: str, budget: float, quotas: tuple[str, ...],
                streets: tuple[str, ...], per_person: bool, beacon: str | None) -> None:
    """Draw the panel of EVENT_ID and print its summary (``--beacon``: from its sealed lottery)."""
    from models import Event, db
    from services import selection
    from services.calendar import clock

    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"没有编号为 {event_id} 的活动")
    if beacon is not None:
        if seed is not None or quotas or streets:
            raise click.UsageError("--beacon 按封存时公示的名单抽签，不能与 --seed、--quota、--street 同用")
        _draw_with_beacon(event, beacon)
        return
    table = _quota_table(selection.seats_to_draw(db.session, event), quotas, streets)
    shown = {"message": ""}

    def progress(fraction: float, message: str) -> None:
        if message != shown["message"]:
            shown["message"] = message
            click.echo(f"  [{fraction:4.0%}] {message}", err=True)

    try:
        run = selection.run_draw(db.session, event_id, seed, algorithm, budget, progress, now=clock.now(),
                                 quotas=table, collapse_types=not per_person)
    except selection.SelectionError as error:
        db.session.rollback()
        raise click.ClickException(_error_text(error)) from None
    db.session.commit()
    click.echo("\n".join(summary_lines(run, event)))
    if run.status.value == "failed":
        raise SystemExit(1)


def _quota_table(seats: int, quotas: tuple[str, ...], streets: tuple[str, ...]) -> dict:
    from services import selection

    table = selection.default_quotas(seats)
    table["category"].update(_parse_quotas(quotas, "--quota"))
    if streets:
        table["street"] = _parse_quotas(streets, "--street")
    return table


def _draw_with_beacon(event, beacon: str) -> None:
    from models import db
    from services import selection
    from services.calendar import clock

    try:
        run = selection.draw_with_beacon(db.session, event.id, beacon, clock.now())
    except selection.SelectionError as error:
        db.session.rollback()
        raise click.ClickException(_error_text(error)) from None
    db.session.commit()
    sealed = run.result["sealed"]
    click.echo(f"公开随机数：{sealed['beacon']}，抽出第 {sealed['index']} 号名单（封存指纹 {sealed['digest']}）")
    click.echo("\n".join(summary_lines(run, event)))


@selection_cli.command("seal")
@click.argument("event_id", type=int)
@click.option("--reason", default="", help="重新封存的理由（公开显示在抽签记录的 attempts 中）")
@click.option("--quota", "quotas", multiple=True, metavar="类别=下限-上限", help="覆盖默认类别配额，可重复")
@click.option("--street", "streets", multiple=True, metavar="街镇=下限-上限",
              help="街镇配额，可重复；“*=0-4”表示每个街镇最多 4 人")
@click.option("--beacon-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="哪一天的公开随机数决定名单（默认：公布的遴选日，已过则为次日）")
@click.option("--beacon-source", default=None, help="公开随机数的来源说明（默认：福彩3D 当晚开奖号码）")
@click.option("--panels", type=int, default=None, help="候选名单数（10 的整数次幂，至少 1000；默认按报名人数自动选取）")
def seal_command(event_id: int, reason: str, quotas: tuple[str, ...], streets: tuple[str, ...],
                 beacon_date, beacon_source: str | None, panels: int | None) -> None:
    """Freeze the pool of EVENT_ID and publish its lottery: every panel, the digest, the public number to come."""
    from flask import current_app

    from models import Event, db
    from services import selection
    from services.calendar import clock
    from services.selection import texts

    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"没有编号为 {event_id} 的活动")
    table = _quota_table(selection.seats_to_draw(db.session, event), quotas, streets)
    try:
        row = selection.seal_lottery(db.session, event_id, clock.now(), quotas=table, reason=reason,
                                     beacon_day=beacon_date.date() if beacon_date else None,
                                     beacon_source=beacon_source, panel_count=panels)
    except selection.SelectionError as error:
        db.session.rollback()
        raise click.ClickException(_error_text(error)) from None
    db.session.commit()
    record = selection.lottery_record(db.session, event_id)
    fairness = record["fairness"]
    base = current_app.extensions["settings"].PUBLIC_BASE_URL.rstrip("/")
    click.echo(f"已封存活动“{event.title}”（编号 {event.id}）的抽签：{len(record['pool'])} 人参加，"
               f"{row.panel_count} 份等可能的候选名单，每份 {len(record['panels'][0])} 人。")
    click.echo(f"封存指纹（SHA-256）：{row.digest}")
    click.echo(f"决定名单的公开随机数：{row.beacon['description']}；{row.beacon['rule']}")
    click.echo(f"最低入选概率：最优分布 {texts.percent(fairness['maximin_lowest'])}，"
               f"本抽签 {texts.percent(fairness['lottery_lowest'])}；"
               f"每人与最优分布之差最多 {fairness['max_deviation']:.6f}（保证不超过 1/{row.panel_count}）")
    click.echo(f"公示：{base}/events/{event.id}/draw    记录：{base}/events/{event.id}/draw.json")
    if reason:
        click.echo(f"重新封存理由（已公开）：{row.reason}")


POOL_ENTRY = re.compile(r"^\s*(?P<value>[^=]+?)\s*=\s*(?P<count>\d+)\s*$")


def _parse_pool(text: str) -> dict[str, int]:
    """``人大代表=40,政协委员=30`` → {category: expected applicants}; Chinese commas accepted too."""
    counts: dict[str, int] = {}
    for entry in filter(None, (part.strip() for part in re.split(r"[,，、]", text))):
        match = POOL_ENTRY.match(entry)
        if match is None:
            raise click.BadParameter(f"“{entry}”应写作 类别=人数，例如 人大代表=40", param_hint="--pool")
        counts[match["value"]] = int(match["count"])
    return counts


@selection_cli.command("preview")
@click.option("--seats", type=click.IntRange(min=1), required=True, help="待抽取席位")
@click.option("--pool", "pool_text", required=True, metavar="类别=人数,…",
              help="预计报名人数，例如 \"人大代表=40,政协委员=30,其他群众=500\"")
@click.option("--quota", "quotas", multiple=True, metavar="类别=下限-上限", help="覆盖默认类别配额，可重复")
@click.option("--street-cap", type=click.IntRange(min=0), default=None,
              help="每个街镇最多入选人数（预计报名者按全区街镇平均分布估算）")
@click.option("--seed", type=int, default=None, help="随机种子（只影响求解顺序，不影响概率）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def preview_command(seats: int, pool_text: str, quotas: tuple[str, ...], street_cap: int | None,
                    seed: int | None, as_json: bool) -> None:
    """Each category's selection probability under maximin for an expected pool, before anyone applies."""
    from services import selection
    from services.selection import type_maximin

    table = {"category": _parse_quotas(quotas, "--quota")} if quotas else None
    options = {"seed": seed} if seed else {}
    if as_json:
        type_maximin.send_banner_to_stderr()
    try:
        result = selection.preview(seats, _parse_pool(pool_text), quotas=table, street_cap=street_cap, **options)
    except selection.PreviewImpossible as error:
        raise click.ClickException("按这些配额无法组成名单：\n" + "\n".join(f"  - {m}" for m in error.messages)) from None
    except selection.SelectionError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(preview_lines(result)))


def preview_lines(result) -> list[str]:
    """The operator's view of a preview."""
    from services.selection import texts
    from services.selection.preview import DISTRICT

    total = sum(result.pool.values())
    lines = [f"待抽取 {result.seats} 席，预计报名 {total:,} 人"
             + (f"，每个街镇最多 {result.street_cap} 人（{texts.PREVIEW_SPREAD.format(count=len(DISTRICT))}）"
                if result.street_cap is not None else ""),
             f"每位报名者的最低入选概率：{texts.percent(result.min_probability)}"
             f"（不设配额时为 {texts.percent(min(result.seats / total, 1.0))}）",
             "各类别（预计报名人数，配额，入选概率）："]
    for value, probability in result.per_category.items():
        low, high = result.quotas[value]
        lines.append(f"  {value}：{result.pool.get(value, 0):,} 人，配额 {low}–{high}，入选概率 {texts.percent(probability)}")
    lines += ["起约束作用的配额：", *(f"  - {line}" for line in result.binding_lines())]
    lines += [f"说明：{note}" for note in result.notes]
    lines.append(f"计算用时 {result.seconds:.2f} 秒")
    return lines


def _error_text(error: Exception) -> str:
    from services import selection

    if isinstance(error, selection.DrawInProgress):
        return f"该活动已有一次遴选正在进行（运行编号 {error.args[0]}）"
    if isinstance(error, selection.AlreadyConfirmed):
        return "该活动的遴选结果已确认，不能再次抽签或确认"
    if isinstance(error, selection.RunNotReady):
        return "该活动最近一次遴选尚未完成（或未成功），只有已完成的遴选结果可以确认"
    if isinstance(error, selection.EventNotFound):
        return f"没有编号为 {error.args[0]} 的活动"
    return str(error)


def summary_lines(run, event) -> list[str]:
    """The operator's summary of a run: seed, algorithm, counts per category and street."""
    from services.selection import texts

    lines = [f"活动：{event.title}（编号 {event.id}）", f"运行编号：{run.id}    状态：{texts.STATUS_LABELS[run.status.value]}",
             f"种子：{run.seed}", f"待抽取席位：{run.seats}（活动席位 {event.seats}）"]
    result = run.result or {}
    if result.get("sealed"):
        lines[2] = f"候补顺序种子：{run.seed}（由封存指纹与公开随机数 {result['sealed']['beacon']} 导出）"
    if run.status.value == "failed":
        return [*lines, "无法完成遴选：", *(f"  - {p}" for p in result.get("problems", [run.message]))]
    used = texts.ALGORITHM_LABELS.get(run.algorithm_used, run.algorithm_used)
    lines.append(f"算法：{used}" + ("（已回退）" if run.fell_back else ""))
    lines += [f"说明：{note}" for note in result.get("notes", [])]
    lines.append(f"入选 {len(result['selected'])} 人，候补 {len(result['waitlist'])} 人，"
                 f"定向邀请 {len(result.get('invited', []))} 人，用时 {result.get('elapsed', 0):.1f} 秒")
    lowest = result.get("min_probability")
    if lowest is not None:
        lines.append(f"每位报名者的最低入选概率：{texts.percent(lowest)}")
        uniform = min(run.seats / len(result["pool"]), 1.0) if result.get("pool") else None
        if uniform is not None and lowest < uniform * (1 - 1e-6):
            lines.append(f"说明：不设配额时每人入选概率为 {texts.percent(uniform)}；为满足配额，部分报名者的入选概率降至 "
                         f"{texts.percent(lowest)}")
    used_quotas = result.get("quotas_used", {})
    per_category = result.get("per_category") or {}
    for feature, label in (("category", "类别"), ("street", "街镇")):
        counts = dict(result["counts"].get(feature, {}))
        if feature == "category":
            counts.update({value: 0 for value in per_category if value not in counts})
        lines.append(f"{label}：")
        for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            quota = used_quotas.get(feature, {}).get(value)
            bounds = f"（配额 {quota[0]}–{quota[1]}）" if quota else ""
            chance = f"，入选概率 {texts.percent(per_category[value])}" if feature == "category" and value in per_category else ""
            lines.append(f"  {value}：{count}{bounds}{chance}")
    return lines


@selection_cli.command("verify")
@click.argument("event_id", type=int)
@click.option("--seed", type=int, required=True, help="公布的随机种子")
def verify_command(event_id: int, seed: int) -> None:
    """Re-run the stored draw of EVENT_ID with SEED; exit 0 when identical, 1 with the differences."""
    from models import db
    from services import selection

    identical, differences = selection.verify(db.session, event_id, seed)
    if identical:
        click.echo(f"一致：以种子 {seed} 复算的名单与存档结果完全相同。")
        return
    click.echo("不一致：")
    for difference in differences:
        click.echo(f"  - {difference}")
    raise SystemExit(1)


@selection_cli.command("confirm")
@click.argument("event_id", type=int)
@click.option("--reason", default="", help="报名尚未截止时提前确认的理由（记入操作日志）")
def confirm_command(event_id: int, reason: str) -> None:
    """Confirm the latest finished draw of EVENT_ID: statuses, check-in codes, a notice to every applicant.

    The same service as the console's confirm button; refused when the
    selection is already confirmed or when the latest draw is not done.
    """
    from collections import Counter

    from flask import current_app

    from models import Application, Event, db
    from services import selection
    from services.calendar import clock
    from services.participation import checkin

    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"没有编号为 {event_id} 的活动")
    run = selection.latest_run(db.session, event_id)
    if run is None:
        raise click.ClickException("该活动还没有遴选结果，请先运行 flask selection run")
    now = clock.now()
    early = selection.closes_applications_early(db.session, event_id, now)
    # Only a confirmable run needs the reason; otherwise the service's refusal says what is wrong.
    if early is not None and not reason.strip() and run.status.value == "done":
        raise click.ClickException(
            f"报名尚未截止（原定 {clock.local(early):%Y-%m-%d %H:%M} 截止）。确认遴选结果会立即截止报名；"
            "如确需提前确认，请用 --reason 说明理由。")
    try:
        selection.confirm(db.session, run.id, None, now, base_url=current_app.extensions["settings"].PUBLIC_BASE_URL,
                          early_reason=reason)
    except selection.SelectionError as error:
        db.session.rollback()
        raise click.ClickException(_error_text(error)) from None
    checkin.ensure_codes(db.session, event_id, None, now)  # invitations get codes too
    db.session.commit()
    ids = [row[0] for row in run.result.get("pool", [])]
    statuses = Counter(a.status.value for a in db.session.scalars(
        db.select(Application).where(Application.id.in_(ids))))
    click.echo(f"已确认活动“{event.title}”（编号 {event.id}）的遴选结果（运行编号 {run.id}，种子 {run.seed}）。")
    click.echo(f"已向报名者发送结果通知：入选 {statuses['selected']} 人、候补 {statuses['waitlisted']} 人、"
               f"未入选 {statuses['not_selected']} 人。")
    if early is not None:
        click.echo(f"注意：报名原定于 {clock.local(early):%Y-%m-%d %H:%M} 截止，现已提前截止（理由：{reason or '未填写'}）。")
    click.echo("遴选已完成，报名已截止，此后的报名者会被告知报名已截止。")
