"""The scheduler's jobs, declared as data.

Each job is a periodic tick that looks at the database as it is now, finds due
work and queues it idempotently, so moving an event or restarting the
scheduler needs no job bookkeeping and a downtime is caught up on the next
tick. ``every`` reads the job's interval (seconds) from the settings. The
order of :data:`JOBS` is the order of one pass (``flask scheduler tick``):
recover first, then queue new messages, then hand them to the workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler import dispatch
from services.messaging import delivery, reminders
from services.participation import interactions, rating_invitations, triage, waitlist
from services.privacy import retention

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

# What a job returns (JobResult): how many rows it touched, and a one-line summary for the log and ``tick``.
JobResult = tuple[int, str]


@dataclass
class JobContext:
    """What one run of a job gets: the app, a session, the instant, and how to deliver."""

    app: object
    session: object
    now: dt.datetime
    inline: bool = False  # ``tick``: send in this process instead of handing rows to workers

    @property
    def settings(self):
        return self.app.extensions["settings"]


@dataclass(frozen=True)
class JobDefinition:
    """One periodic job: a name, what it runs, how to read its interval from the settings, what it is for."""

    name: str
    run: Callable[[JobContext], JobResult]
    every: Callable[[Settings], float]
    description: str


def record_interactions(ctx: JobContext) -> JobResult:
    """The citizens' messages and follows noted by the webhook, written to the database."""
    client = ctx.app.extensions.get("redis")
    if client is None:
        return 0, "未配置 Redis，互动时间由收消息时直接写入"
    count = interactions.flush(ctx.session, client)
    return count, f"写入市民互动时间 {count} 人"


def recover_outbox(ctx: JobContext) -> JobResult:
    """Rows held by a dead worker go back to the queue (flagged as possibly re-sent)."""
    connection = dispatch.queue_connection(ctx.app)
    # The scheduler process watches beats over time (a beat lost with an emptied Redis is not a death);
    # a one-off tick can only look once.
    alive = dispatch.worker_alive(connection) if ctx.inline else dispatch.worker_watch(ctx.app).alive(connection)
    count = delivery.recover_abandoned(ctx.session, alive, ctx.now, ctx.settings.DELIVERY_MAX_ATTEMPTS)
    ctx.session.commit()
    return count, f"恢复中断的发送 {count} 条"


def participant_reminders(ctx: JobContext) -> JobResult:
    """Reminders to selected participants, one working day before each event."""
    result = reminders.remind_participants(ctx.session, ctx.now, reminders.ReminderSettings.from_settings(ctx.settings))
    ctx.session.commit()
    return result.created + result.cancelled, f"活动提醒新增 {result.created} 条，作废 {result.cancelled} 条"


def deadline_reminders(ctx: JobContext) -> JobResult:
    """Deadline reminders to the responsible unit's staff."""
    result = reminders.remind_staff(ctx.session, ctx.now, reminders.ReminderSettings.from_settings(ctx.settings))
    ctx.session.commit()
    return result.created, f"期限提醒新增 {result.created} 条"


def overdue_digest(ctx: JobContext) -> JobResult:
    """The coordinators' daily digest of overdue items."""
    result = reminders.send_digest(ctx.session, ctx.now, reminders.ReminderSettings.from_settings(ctx.settings))
    ctx.session.commit()
    return result.created, f"逾期日报新增 {result.created} 条"


def waitlist_offers(ctx: JobContext) -> JobResult:
    """Offers not answered by their deadline pass to the next person waiting."""
    expired = waitlist.expire_offers(ctx.session, ctx.now)
    ctx.session.commit()
    return len(expired), f"候补递补过期 {len(expired)} 条"


def personal_data_retention(ctx: JobContext) -> JobResult:
    """Applicants' personal fields are erased RETENTION_DAYS after their event; Redis-outage message keys after a day."""
    result = retention.erase_expired(ctx.session, ctx.now, ctx.settings.RETENTION_DAYS)
    return sum(result.values()), (
        f"到期删除个人信息：报名 {result['applications']} 条，建议 {result['suggestions']} 条，"
        f"讲座提问 {result['questions']} 条，评价意见 {result['rating_comments']} 条；"
        f"清除 Redis 停用期间的消息记录 {result['inbound_messages']} 条")


def rating_invitations_job(ctx: JobContext) -> JobResult:
    """Invitations to rate (好差评) to everyone checked in at an event that has ended."""
    count = rating_invitations.invite(ctx.session, ctx.now, ctx.settings.PUBLIC_BASE_URL)
    ctx.session.commit()
    return count, f"满意度评价邀请新增 {count} 条"


def seal_lotteries(ctx: JobContext) -> JobResult:
    """At the close of applications, events with an announced selection day get their lottery sealed."""
    from services import selection

    sealed, waiting = 0, []
    for event_id in selection.due_for_seal(ctx.session, ctx.now):
        try:
            selection.seal_lottery(ctx.session, event_id, ctx.now)
            ctx.session.commit()
            sealed += 1
        except selection.SelectionError as error:
            # Quotas no panel can meet: staff seal by hand after changing them (flask selection seal).
            ctx.session.rollback()
            waiting.append(event_id)
            log.warning("selection.seal_skipped", extra={"event_id": event_id, "reason": str(error)})
    return sealed, f"封存抽签 {sealed} 场" + (f"，暂不能封存 {len(waiting)} 场（{waiting}）" if waiting else "")


def triage_suggestions(ctx: JobContext) -> JobResult:
    """New suggestions routed (or a unit proposed) and linked to their near-duplicates; jieba loads here, not in the webhook."""
    count = triage.run_pending(ctx.session, ctx.now)
    ctx.session.commit()
    return count, f"意见建议分派与相近建议关联 {count} 条"


def dispatch_outbox(ctx: JobContext) -> JobResult:
    """Hand due outbox rows to the delivery workers (or, in a tick, send them here)."""
    if ctx.inline:
        from scheduler import worker

        alive = dispatch.job_alive(dispatch.queue_connection(ctx.app))
        ids = delivery.dispatchable(ctx.session, ctx.now, alive)
        ctx.session.commit()
        if not ids:
            return 0, "没有到期的待发消息"
        outcome = worker.deliver_now(ctx.app, ids)
        return len(ids), (f"发送 {len(ids)} 条：成功 {outcome['sent']}，稍后重试 {outcome['retry']}，"
                f"失败 {outcome['failed']}，跳过 {outcome['skipped']}")
    count = dispatch.dispatch(ctx.session, dispatch.delivery_queue(ctx.app), ctx.now,
                              ctx.settings.DELIVERY_BATCH_SIZE)
    return count, f"交给发送进程 {count} 条"


JOBS: tuple[JobDefinition, ...] = (
    JobDefinition("record_interactions", record_interactions, lambda s: s.INTERACTION_FLUSH_SECONDS,
                  "把收消息时记下的市民互动时间和关注批量写入数据库"),
    JobDefinition("recover_outbox", recover_outbox, lambda s: s.DELIVERY_RECOVER_SECONDS,
                  "把已停止的发送进程手中的消息重新排队"),
    JobDefinition("participant_reminders", participant_reminders, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "活动前1个工作日提醒入选人员"),
    JobDefinition("deadline_reminders", deadline_reminders, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "提醒主责单位预告、入选通知、资料公开的期限"),
    JobDefinition("overdue_digest", overdue_digest, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "工作日向协调员发送逾期事项日报"),
    JobDefinition("waitlist_offers", waitlist_offers, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "候补递补超过答复期限的，顺延给下一位候补"),
    JobDefinition("personal_data_retention", personal_data_retention, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "活动结束满保留期后删除报名者个人信息"),
    JobDefinition("rating_invitations", rating_invitations_job, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "活动结束后邀请已签到的参加人员进行满意度评价"),
    JobDefinition("seal_lotteries", seal_lotteries, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "报名截止后封存抽签：冻结报名名单，公示全部候选名单和决定名单的公开随机数"),
    JobDefinition("triage_suggestions", triage_suggestions, lambda s: s.SCHEDULER_TICK_SECONDS,
                  "新到的意见建议：按活动分派、为综合建议推荐办理单位、关联相近建议"),
    JobDefinition("dispatch_outbox", dispatch_outbox, lambda s: s.DELIVERY_DISPATCH_SECONDS,
                  "把到期的待发消息交给发送进程"),
)


def run_pass(app, now: dt.datetime, inline: bool = False) -> list[tuple[str, int, str]]:
    """One pass of every job, in order, as if at ``now``; (name, count, summary) triples."""
    from models import db

    results = []
    with app.app_context():
        for job in JOBS:
            try:
                count, summary = job.run(JobContext(app, db.session, now, inline))
                results.append((job.name, count, summary))
            except Exception:
                db.session.rollback()
                raise
        db.session.remove()
    return results
