"""``我的信息``: what the account holds about the citizen, and deleting it (with confirmation)."""

from __future__ import annotations

from handlers import texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import leaving, needs_state
from handlers.router import Router
from services.calendar import clock
from services.messaging import wording
from services.privacy import mask_mobile, mask_name, mydata

DIALOGUE = "erase"
CONFIRM = {"确认删除"}


def on_my_info(ctx: ChatContext) -> Reply:
    """What we hold: follow status, saved details, topics, applications, suggestions."""
    held = mydata.collect(ctx.session, ctx.openid)
    citizen = held.citizen
    if citizen is None:
        return TextReply(texts.MY_INFO_NOTHING)
    followed = wording.full_date(clock.local(citizen.followed_at).date()) if citizen.followed_at else "—"
    saved = (texts.MY_INFO_SAVED.format(name=mask_name(citizen.saved_name), mobile=mask_mobile(citizen.saved_mobile),
                                        category=citizen.saved_category or "—", street=citizen.saved_street or "—")
             if held.has_saved_details else texts.MY_INFO_NOT_SAVED)
    return TextReply(texts.MY_INFO.format(
        following=texts.FOLLOWING if citizen.following else texts.NOT_FOLLOWING, since=followed, saved=saved,
        topics="、".join(held.topics) or texts.NONE_GIVEN, applications=held.applications,
        suggestions=held.suggestions,
    ))


@needs_state
def on_erase_request(ctx: ChatContext) -> Reply:
    """``删除我的信息``: explain what happens, then wait for ``确认删除``."""
    ctx.state.enter(DIALOGUE, "confirm", {})
    return TextReply(texts.ERASE_CONFIRM)


@needs_state
def on_dialogue(ctx: ChatContext) -> Reply:
    """The answer to the confirmation: ``确认删除`` erases, anything else keeps everything."""
    ctx.state.clear()
    if ctx.msg_type != "text" or ctx.text not in CONFIRM:
        return TextReply(texts.ERASE_KEPT)
    done = mydata.erase(ctx.session, ctx.openid, ctx.now)
    return TextReply(texts.ERASED.format(cancelled=done.cancelled, applications=done.applications,
                                         suggestions=done.suggestions))


def register(router: Router) -> None:
    """``我的信息``, ``删除我的信息`` and the MY_INFO button."""
    router.text("我的信息", "个人信息")(on_my_info)
    router.click("MY_INFO")(leaving(on_my_info))
    router.text("删除我的信息", "删除信息", "删除个人信息")(on_erase_request)
    router.dialogue(DIALOGUE)(on_dialogue)
