"""``绑定 <code>``: a staff member binds the WeChat they are typing from to their console account.

The console's 绑定微信 page shows the code (services.admin.wechat_binding); citizens never see
this command, and a wrong code changes nothing.
"""

from __future__ import annotations

from handlers import texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.router import Router
from services.admin import wechat_binding

PATTERN = rf"\s*{wechat_binding.COMMAND}\s*[:：]?\s*([A-Za-z0-9 \-]{{6,20}})\s*"


def on_bind(ctx: ChatContext) -> Reply:
    """Bind the sender's openid to the account whose one-time code they typed."""
    code = ctx.extras["match"].group(1)
    try:
        staff = wechat_binding.bind(ctx.session, ctx.openid, code, ctx.now)
    except wechat_binding.BindCodeInvalid:
        return TextReply(texts.STAFF_BIND_INVALID)
    return TextReply(texts.STAFF_BOUND.format(name=staff.display_name or staff.username))


def register(router: Router) -> None:
    """``绑定 ABCD2345`` (a console code; case and spaces do not matter)."""
    router.regex(PATTERN)(on_bind)
