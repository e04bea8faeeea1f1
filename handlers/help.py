"""Help, welcome, cancel and the replies for input the account cannot read."""

from __future__ import annotations

from handlers import texts
from handlers.chat import ChatContext, NoReply, Reply, TextReply
from handlers.dialogue import leaving
from handlers.router import Router
from services.participation import subscriptions


def on_help(ctx: ChatContext) -> Reply:
    """The list of what can be typed."""
    return TextReply(texts.HELP)


def on_unknown(ctx: ChatContext) -> Reply:
    """Anything unrecognised: a short help text, never silence."""
    return TextReply(texts.UNKNOWN)


def on_subscribe(ctx: ChatContext) -> Reply:
    """A new (or returning) follower: welcome them (the webhook records the follow with every contact)."""
    return TextReply(texts.WELCOME.format(account=texts.ACCOUNT_NAME, menu=texts.HELP))


def on_unsubscribe(ctx: ChatContext) -> Reply:
    """Unfollowed: stop every push (pending ones are cancelled); WeChat shows no reply to an unfollow."""
    subscriptions.account_unfollowed(ctx.session, ctx.openid, ctx.now)
    if ctx.state.available:
        ctx.state.clear()
    return NoReply()


def on_cancel(ctx: ChatContext) -> Reply:
    """``取消``: leave any multi-step dialogue."""
    if not ctx.state.available:
        return TextReply(texts.CANCELLED)
    return TextReply(texts.CANCELLED if ctx.state.clear() else texts.NOTHING_TO_CANCEL)


def on_expired(ctx: ChatContext, reply: Reply) -> Reply:
    """Prefix the reply with a note that the previous dialogue expired."""
    if isinstance(reply, TextReply):
        return TextReply(texts.DIALOGUE_EXPIRED + "\n\n" + reply.content)
    return reply


def on_non_text(ctx: ChatContext) -> Reply:
    """Images, voice, video, files...: a polite reply."""
    return TextReply(texts.NON_TEXT)


def on_location(ctx: ChatContext) -> Reply:
    """A shared location."""
    return TextReply(texts.LOCATION)


def on_silent_event(ctx: ChatContext) -> Reply:
    """Events that need no answer (VIEW, LOCATION reports, delivery reports)."""
    return NoReply()


def register(router: Router) -> None:
    """Attach this module's handlers."""
    router.text("帮助", "help", "Help", "?", "？")(on_help)
    router.click("HELP")(leaving(on_help))
    router.on_event("subscribe")(on_subscribe)
    router.on_event("unsubscribe")(on_unsubscribe)
    router.on_event("view", "location", "view_miniprogram")(on_silent_event)
    # Pictures belong to the suggestion module (added to a recent suggestion); the rest get a polite reply.
    router.message("voice", "video", "shortvideo", "link", "file")(on_non_text)
    router.message("location")(on_location)
    router.on_cancel = on_cancel
    router.on_expired = on_expired
    router.default = on_unknown
