"""WeChat's delivery reports: ``TEMPLATESENDJOBFINISH`` and ``MASSSENDJOBFINISH``.

WeChat posts them after a template message or a mass send was delivered (or
not: ``failed:user block``, ``failed: system failed``); the status is stored
on the outbox row with that message id. They get no reply.
"""

from __future__ import annotations

from handlers.chat import ChatContext, NoReply, Reply
from handlers.router import Router
from services.messaging import delivery


def on_job_finished(ctx: ChatContext) -> Reply:
    """Record the delivery status of a template message or a mass send."""
    msgid = (ctx.fields.get("MsgID") or ctx.fields.get("MsgId") or "").strip()
    status = (ctx.fields.get("Status") or "").strip()
    delivery.record_delivery_status(ctx.session, msgid, status, ctx.now)
    return NoReply()


def register(router: Router) -> None:
    """Both delivery reports go to the same handler."""
    router.on_event("templatesendjobfinish", "masssendjobfinish")(on_job_finished)
