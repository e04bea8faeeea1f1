"""Applying for public selection (公开遴选): a dialogue of a few steps, then a summary to confirm.

Steps: (reuse saved details →) name → mobile → category → street → reason
(optional) → consent to the privacy notice → confirm. ``取消`` leaves at any
step; wrong input is explained and the question asked again.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from handlers import lists, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import ask_again, leaving, needs_state, run_steps
from handlers.events import catalog, render_events
from handlers.my_applications import status_text
from handlers.router import Router
from models import ApplicationStatus
from services.messaging import wording
from services.participation import applications, streets
from services.privacy import mask_mobile, mask_name
from services.programme import events
from services.programme.events import WindowState

log = logging.getLogger(__name__)
DIALOGUE = "apply"
YES = {"1", "确认", "提交", "确认提交", "是", "好", "好的", "确定"}
NO = {"2", "修改", "重新填写", "重填", "否"}
AGREE = {"同意", "1", "是", "确认", "好"}
DISAGREE = {"不同意", "2", "否", "拒绝"}
SKIP = {"跳过", "无", "没有", "不填", "略", "-"}


# -- entry ----------------------------------------------------------------------------------

def on_apply(ctx: ChatContext) -> Reply:
    """``报名``: the event just read, or a list of events open for applications."""
    event_id = lists.focus(ctx, "event") if ctx.state.available else None
    if event_id is not None:
        already = _already_applied(ctx, event_id)
        if already is not None:
            # Applying for a second event often starts from the first one's detail: say so, then offer the rest.
            return open_events(ctx, lead=texts.ALREADY_APPLIED_OTHERS.format(
                title=already.event.title, status=status_label(ctx, already)))
        return start(ctx, event_id)
    return open_events(ctx)


def _already_applied(ctx: ChatContext, event_id: int):
    """The citizen's live application for ``event_id``, if any."""
    try:
        applications.check_can_apply(ctx.session, ctx.openid, event_id, ctx.now)
    except applications.AlreadyApplied as exc:
        return exc.application
    except (applications.ApplicationError, events.EventNotFound):
        return None  # start() says why
    return None


def open_events(ctx: ChatContext, lead: str = "") -> Reply:
    """The events open for applications that the citizen has not applied for (after ``lead``)."""
    applied = applications.applied_event_ids(ctx.session, ctx.openid)
    coming = catalog(ctx).upcoming(ctx.now)
    found = [e for e in events.open_for_applications(coming, ctx.now) if e.id not in applied]
    if not found:
        upcoming = events.next_opening(coming, ctx.now)
        later = (texts.NEXT_OPENING.format(title=upcoming.title, opens=wording.when(upcoming.apply_opens_at))
                 if upcoming else "")
        none = texts.NO_OTHER_OPEN_APPLICATIONS if lead else texts.NO_OPEN_APPLICATIONS
        return TextReply("\n\n".join(part for part in (lead, none + later) if part))
    return lists.show_list(ctx, "apply_events", [e.id for e in found], extra={"count": len(found)}, lead=lead)


@needs_state
def start(ctx: ChatContext, event_id: int) -> Reply:
    """Begin applying for ``event_id`` (or say why it is not possible)."""
    try:
        event = applications.check_can_apply(ctx.session, ctx.openid, event_id, ctx.now)
    except events.EventNotFound:
        return TextReply(texts.EVENT_GONE)
    except applications.AlreadyApplied as exc:
        return TextReply(texts.ALREADY_APPLIED.format(title=exc.application.event.title,
                                                      status=status_label(ctx, exc.application)))
    except applications.ApplicationsClosed as exc:
        return TextReply(closed_text(exc.event, exc.window))
    saved = applications.saved_details(ctx.session, ctx.openid)
    head = texts.APPLY_HEAD.format(title=event.title, when=wording.when(event.starts_at))
    if saved:
        ctx.state.enter(DIALOGUE, "reuse", {"event_id": event.id})
        return TextReply(head + "\n\n" + _prompt_reuse(saved))
    ctx.state.enter(DIALOGUE, "name", {"event_id": event.id})
    return TextReply(head + "\n\n" + texts.ASK_NAME)


def closed_text(event, window: events.Window) -> str:
    """Why an event takes no application now, and when it will (or did)."""
    if window.state is WindowState.NOT_YET:
        return texts.CLOSED_NOT_YET.format(title=event.title, opens=wording.when(window.opens_at))
    if window.state is WindowState.CLOSED:
        return texts.CLOSED_PASSED.format(title=event.title, closes=wording.when(window.closes_at))
    return texts.CLOSED_REASONS.get(window.state.value, texts.CLOSED_PASSED).format(
        title=event.title, closes=wording.when(window.closes_at) if window.closes_at else "")


def status_label(ctx: ChatContext, application) -> str:
    """已报名 / 已入选（签到码 …） / 候补第 N 位 / … for one application."""
    return status_text(ctx, application)


# -- steps ----------------------------------------------------------------------------------

def _prompt_reuse(saved: dict) -> str:
    return texts.ASK_REUSE.format(name=mask_name(saved["name"]), mobile=mask_mobile(saved["mobile"]),
                                  category=saved["category"] or "—", street=saved["street"] or "—")


def _on_reuse(ctx: ChatContext) -> Reply:
    data = ctx.state.data
    saved = applications.saved_details(ctx.session, ctx.openid)
    if ctx.text in YES and saved:
        if not saved["category"] or not saved["street"]:
            ctx.state.enter(DIALOGUE, "category", {**data, "name": saved["name"], "mobile": saved["mobile"]})
            return TextReply(texts.ASK_CATEGORY)
        ctx.state.enter(DIALOGUE, "reason", {**data, **saved})
        return TextReply(texts.ASK_REASON)
    if ctx.text in NO or not saved:
        ctx.state.enter(DIALOGUE, "name", data)
        return TextReply(texts.ASK_NAME)
    return ask_again(ctx, texts.PICK_ONE_OR_TWO, _prompt_reuse(saved))


def _on_name(ctx: ChatContext) -> Reply:
    try:
        name = applications.clean_name(ctx.text)
    except applications.InvalidName:
        return ask_again(ctx, texts.BAD_NAME, texts.ASK_NAME)
    ctx.state.enter(DIALOGUE, "mobile", {**ctx.state.data, "name": name})
    return TextReply(texts.ASK_MOBILE)


def _on_mobile(ctx: ChatContext) -> Reply:
    try:
        mobile = applications.clean_mobile(ctx.text)
    except applications.InvalidMobile:
        return ask_again(ctx, texts.BAD_MOBILE, texts.ASK_MOBILE)
    ctx.state.enter(DIALOGUE, "category", {**ctx.state.data, "mobile": mobile})
    return TextReply(texts.ASK_CATEGORY)


def _on_category(ctx: ChatContext) -> Reply:
    try:
        category = applications.clean_category(ctx.text)
    except applications.InvalidCategory:
        return ask_again(ctx, texts.BAD_CATEGORY, texts.ASK_CATEGORY)
    ctx.state.enter(DIALOGUE, "street", {**ctx.state.data, "category": category})
    return TextReply(ask_street())


def ask_street() -> str:
    """The street question with every street and town numbered."""
    options = "  ".join(f"{number}.{name}" for number, name in enumerate(streets.ALL, 1))
    return texts.ASK_STREET.format(options=options)


def _on_street(ctx: ChatContext) -> Reply:
    try:
        street = applications.clean_street(ctx.text)
    except applications.InvalidStreet:
        return ask_again(ctx, texts.BAD_STREET, ask_street())
    ctx.state.enter(DIALOGUE, "reason", {**ctx.state.data, "street": street})
    return TextReply(texts.ASK_REASON)


def _on_reason(ctx: ChatContext) -> Reply:
    reason = "" if ctx.text in SKIP else " ".join(ctx.text.split())
    if len(reason) > applications.REASON_CHARS:
        return ask_again(ctx, texts.REASON_TOO_LONG.format(limit=applications.REASON_CHARS, length=len(reason)),
                         texts.ASK_REASON)
    ctx.state.enter(DIALOGUE, "consent", {**ctx.state.data, "reason": reason})
    return TextReply(privacy_notice(ctx))


def privacy_notice(ctx: ChatContext) -> str:
    """The privacy notice, with the retention period the service is configured with."""
    return texts.PRIVACY_NOTICE.format(days=ctx.settings.RETENTION_DAYS)


def _on_consent(ctx: ChatContext) -> Reply:
    if ctx.text in DISAGREE:
        ctx.state.clear()
        return TextReply(texts.CONSENT_REFUSED)
    if ctx.text not in AGREE:
        return ask_again(ctx, texts.AGREE_OR_NOT, privacy_notice(ctx))
    ctx.state.enter(DIALOGUE, "confirm", ctx.state.data)
    return TextReply(_summary(ctx))


def _summary(ctx: ChatContext) -> str:
    data = ctx.state.data
    event = events.get(ctx.session, data["event_id"])
    return texts.APPLY_SUMMARY.format(
        title=event.title, when=wording.when(event.starts_at), name=data["name"], mobile=mask_mobile(data["mobile"]),
        category=data["category"], street=data["street"], reason=data.get("reason") or texts.NONE_GIVEN,
    )


def _on_confirm(ctx: ChatContext) -> Reply:
    data = ctx.state.data
    if ctx.text in NO:
        ctx.state.enter(DIALOGUE, "name", {"event_id": data["event_id"]})
        return TextReply(texts.ASK_NAME)
    if ctx.text not in YES:
        return ask_again(ctx, texts.CONFIRM_OR_CHANGE, _summary(ctx))
    try:
        application = applications.apply(
            ctx.session, ctx.openid, data["event_id"], name=data["name"], mobile=data["mobile"],
            category=data["category"], street=data["street"], reason=data.get("reason", ""), now=ctx.now)
        # Commit here, not after the reply: the answers are dropped only once the application is stored.
        ctx.session.commit()
    except applications.AlreadyApplied as exc:
        ctx.state.clear()
        return TextReply(texts.ALREADY_APPLIED.format(title=exc.application.event.title,
                                                      status=status_label(ctx, exc.application)))
    except applications.ApplicationsClosed as exc:
        ctx.state.clear()
        return TextReply(closed_text(exc.event, exc.window))
    except (applications.ApplicationError, events.EventNotFound):
        ctx.state.clear()
        return TextReply(texts.APPLY_FAILED)
    except SQLAlchemyError:
        ctx.session.rollback()
        log.exception("apply.commit_failed", extra={"event_id": data["event_id"]})
        return TextReply(texts.APPLY_NOT_SAVED)  # the dialogue stays at the summary: 确认 again retries
    ctx.state.clear()
    return TextReply(done_text(application.event) + texts.APPLICATION_NUMBER.format(number=application.number))


def done_text(event) -> str:
    """The confirmation: what happens next and when."""
    if event.selection_planned_on:
        selection = texts.NEXT_SELECTION_DAY.format(day=wording.day_label(event.selection_planned_on))
    else:
        selection = texts.NEXT_SELECTION_AFTER.format(closes=wording.when(event.apply_closes_at or event.starts_at))
    return texts.APPLY_DONE.format(title=event.title, when=wording.when(event.starts_at), selection=selection,
                                   deadline=wording.day_label(events.notice_deadline(event)))


STEPS = {"reuse": _on_reuse, "name": _on_name, "mobile": _on_mobile, "category": _on_category,
         "street": _on_street, "reason": _on_reason, "consent": _on_consent, "confirm": _on_confirm}
PROMPTS = {"name": lambda c: texts.ASK_NAME, "mobile": lambda c: texts.ASK_MOBILE,
           "category": lambda c: texts.ASK_CATEGORY, "street": lambda c: ask_street(),
           "reason": lambda c: texts.ASK_REASON, "consent": privacy_notice, "confirm": _summary,
           "reuse": lambda c: _prompt_reuse(applications.saved_details(c.session, c.openid) or
                                            {"name": "", "mobile": "", "category": "", "street": ""})}


def _prompt(ctx: ChatContext) -> str:
    return PROMPTS.get(ctx.state.step or "", lambda c: "")(ctx)


@needs_state
def on_dialogue(ctx: ChatContext) -> Reply:
    """Every message while applying; a dialogue whose application was made meanwhile (on the page) ends."""
    made = applications.existing(ctx.session, ctx.openid, ctx.state.data.get("event_id", 0))
    if made is not None and made.status != ApplicationStatus.CANCELLED:
        ctx.state.clear()
        return TextReply(texts.APPLIED_ELSEWHERE.format(title=made.event.title, status=status_text(ctx, made)))
    return run_steps(ctx, DIALOGUE, STEPS, _prompt)


def _apply_events_title(ctx: ChatContext, extra: dict) -> str:
    return texts.APPLY_EVENTS_TITLE.format(count=extra.get("count", 0))


def register(router: Router) -> None:
    """``报名``, the APPLY button and the dialogue."""
    lists.register_kind("apply_events", lists.ListKind(render_events, start, _apply_events_title,
                                                       texts.HINT_APPLY_EVENTS, "\n\n"))
    router.text("报名", "我要报名", "报名遴选")(on_apply)
    router.click("APPLY")(leaving(on_apply))
    router.dialogue(DIALOGUE)(on_dialogue)
