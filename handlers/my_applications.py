"""``我的报名``: each application with its status; cancel one; answer a waiting-list offer."""

from __future__ import annotations

from handlers import lists, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import ask_again, leaving, needs_state, run_steps
from handlers.router import Router
from models import Application, ApplicationStatus
from services.messaging import wording
from services.participation import applications, checkin_codes, waitlist
from services.privacy import mask_mobile, mask_name
from services.programme import announcement, links

CANCEL_DIALOGUE = "cancel_application"
YES = {"1", "确认", "确认取消", "是", "确定"}
NO = {"2", "保留", "不取消", "否"}


def status_text(ctx: ChatContext, application: Application) -> str:
    """The status as a citizen reads it, with the check-in code of a selected one."""
    status = application.status
    if status == ApplicationStatus.SELECTED:
        code = checkin_codes.assign_checkin_code(ctx.session, application)
        return texts.STATUS_SELECTED.format(code=code, url=links.pass_url(code, ctx.public_base_url))
    if status == ApplicationStatus.WAITLISTED:
        if waitlist.is_offered(application):
            if application.offer_expires_at > ctx.now:
                return texts.STATUS_OFFERED.format(deadline=wording.when(application.offer_expires_at))
            return texts.STATUS_OFFER_LAPSED
        return texts.STATUS_WAITLISTED.format(position=waitlist.waitlist_position(ctx.session, application))
    return wording.APPLICATION_STATUS_LABELS[status.value]


def _render(ctx: ChatContext, ids: list[int]) -> list[str]:
    items = []
    for application_id in ids:
        application = ctx.session.get(Application, application_id)
        if application is None or application.citizen is None or application.citizen.openid != ctx.openid:
            items.append(texts.ITEM_GONE)
            continue
        event = application.event
        items.append(texts.APPLICATION_ITEM.format(when=wording.when(event.starts_at), title=event.title,
                                                   status=status_text(ctx, application))
                     + (texts.APPLICATION_NUMBER_LINE.format(number=application.number) if application.number else ""))
    return items


def on_my_applications(ctx: ChatContext) -> Reply:
    """The citizen's applications in date order: coming events soonest first, then past ones, latest first."""
    mine = applications.ids_in_date_order(ctx.session, ctx.openid, ctx.now)
    if not mine:
        return TextReply(texts.NO_APPLICATIONS)
    return lists.show_list(ctx, "my_applications", mine, extra={"count": len(mine)})


def show_application(ctx: ChatContext, application_id: int) -> Reply:
    """One application in full, with what can be done with it."""
    try:
        applications.get_mine(ctx.session, ctx.openid, application_id)
    except applications.ApplicationNotFound:
        return TextReply(texts.ITEM_GONE)
    return lists.show_pages(ctx, "application", application_id, focus_on={"application": application_id})


def _blocks(ctx: ChatContext, application_id: int) -> list[str]:
    application = applications.get_mine(ctx.session, ctx.openid, application_id)
    event = application.event
    blocks = [texts.APPLICATION_DETAIL.format(
        title=event.title, when=wording.when(event.starts_at), place=announcement.place_of(event),
        status=status_text(ctx, application), name=mask_name(application.name) or "—",
        mobile=mask_mobile(application.mobile) or "—", category=application.category, street=application.street or "—",
    ) + (texts.APPLICATION_NUMBER_LINE.format(number=application.number) if application.number else "")]
    if application.status == ApplicationStatus.SELECTED:
        blocks.append(texts.CHECKIN_HINT)
    if waitlist.is_offered(application) and application.offer_expires_at > ctx.now:
        blocks.append(texts.OFFER_ACTIONS.format(deadline=wording.when(application.offer_expires_at)))
    elif application.status in applications.ACTIVE and ctx.now < event.starts_at:
        blocks.append(texts.CANCEL_ACTION)
    return blocks


# -- cancelling -----------------------------------------------------------------------------

def _cancellable(ctx: ChatContext) -> list[Application]:
    return [a for a in applications.list_mine(ctx.session, ctx.openid)
            if a.status in applications.ACTIVE and ctx.now < a.event.starts_at]


@needs_state
def on_cancel_request(ctx: ChatContext) -> Reply:
    """``取消报名``: the application just read, or the only one that can be cancelled."""
    chosen = lists.focus(ctx, "application")
    candidates = _cancellable(ctx)
    if chosen is None and len(candidates) == 1:
        chosen = candidates[0].id
    if chosen is None:
        return TextReply(texts.CANCEL_WHICH if candidates else texts.NOTHING_TO_CANCEL_APPLICATION)
    application = applications.get_mine(ctx.session, ctx.openid, chosen)
    if application not in candidates:
        return TextReply(_cannot_cancel(application, "started" if application.status in applications.ACTIVE else "final"))
    ctx.state.enter(CANCEL_DIALOGUE, "confirm", {"application_id": chosen})
    return TextReply(_confirm_prompt(ctx))


def _confirm_prompt(ctx: ChatContext) -> str:
    application = applications.get_mine(ctx.session, ctx.openid, ctx.state.data["application_id"])
    warning = texts.CANCEL_SELECTED_WARNING if application.status == ApplicationStatus.SELECTED else ""
    return texts.CANCEL_CONFIRM.format(title=application.event.title, when=wording.when(application.event.starts_at),
                                       warning=warning)


def _cannot_cancel(application: Application, reason: str) -> str:
    template = texts.CANNOT_CANCEL_STARTED if reason == "started" else texts.CANNOT_CANCEL_FINAL
    return template.format(title=application.event.title,
                           status=wording.APPLICATION_STATUS_LABELS[application.status.value])


def _on_confirm(ctx: ChatContext) -> Reply:
    application_id = ctx.state.data.get("application_id")
    if ctx.text in NO:
        ctx.state.clear()
        return TextReply(texts.CANCEL_KEPT)
    if ctx.text not in YES:
        return ask_again(ctx, texts.PICK_ONE_OR_TWO, _confirm_prompt(ctx))
    ctx.state.clear()
    try:
        outcome = applications.cancel(ctx.session, ctx.openid, application_id, ctx.now)
    except applications.CannotCancel as exc:
        return TextReply(_cannot_cancel(exc.application, exc.reason))
    except applications.ApplicationNotFound:
        return TextReply(texts.ITEM_GONE)
    note = texts.CANCELLED_SEAT_PASSED if outcome.freed_seat else ""
    return TextReply(texts.APPLICATION_CANCELLED.format(title=outcome.application.event.title, note=note))


@needs_state
def on_cancel_dialogue(ctx: ChatContext) -> Reply:
    """Messages while confirming a cancellation."""
    return run_steps(ctx, CANCEL_DIALOGUE, {"confirm": _on_confirm}, _confirm_prompt)


# -- waiting-list offers ------------------------------------------------------------------------

def _offer(ctx: ChatContext) -> Application | None:
    focused = lists.focus(ctx, "application") if ctx.state.available else None
    return waitlist.active_offer(ctx.session, ctx.openid, ctx.now, focused)


def on_accept(ctx: ChatContext) -> Reply:
    """``确认参加``: take the offered seat."""
    offer = _offer(ctx)
    if offer is None:
        return TextReply(_no_offer_text(ctx))
    try:
        accepted = waitlist.accept_offer(ctx.session, ctx.openid, offer.id, ctx.now)
    except waitlist.NoOffer:
        return TextReply(texts.OFFER_GONE)
    return TextReply(texts.OFFER_ACCEPTED.format(title=accepted.event.title, when=wording.when(accepted.event.starts_at),
                                                 place=announcement.place_of(accepted.event),
                                                 code=accepted.checkin_code,
                                                 url=links.pass_url(accepted.checkin_code, ctx.public_base_url)))


def on_decline(ctx: ChatContext) -> Reply:
    """``放弃名额``: turn the offer down; the seat goes to the next person."""
    offer = _offer(ctx)
    if offer is None:
        return TextReply(_no_offer_text(ctx))
    try:
        declined = waitlist.decline_offer(ctx.session, ctx.openid, offer.id, ctx.now)
    except waitlist.NoOffer:
        return TextReply(texts.OFFER_GONE)
    return TextReply(texts.OFFER_DECLINED.format(title=declined.event.title))


def _no_offer_text(ctx: ChatContext) -> str:
    return texts.OFFER_WHICH if len(waitlist.open_offers(ctx.session, ctx.openid, ctx.now)) > 1 else texts.NO_OFFER


def register(router: Router) -> None:
    """``我的报名``, cancelling and offers."""
    lists.register_kind("my_applications", lists.ListKind(
        _render, show_application, lambda c, e: texts.MY_APPLICATIONS_TITLE.format(count=e.get("count", 0)),
        texts.HINT_MY_APPLICATIONS, "\n\n"))
    lists.register_source("application", _blocks)
    router.text("我的报名", "报名记录")(on_my_applications)
    router.click("MY_APPLICATIONS")(leaving(on_my_applications))
    router.text("取消报名")(on_cancel_request)
    router.text("确认参加", "接受名额")(on_accept)
    router.text("放弃名额", "放弃")(on_decline)
    router.dialogue(CANCEL_DIALOGUE)(on_cancel_dialogue)
