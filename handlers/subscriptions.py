"""``订阅``: follow topics; a new event in a followed topic is pushed to the citizen."""

from __future__ import annotations

from handlers import lists, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import leaving
from handlers.events import catalog
from handlers.router import Router
from services.participation import subscriptions


def on_subscriptions(ctx: ChatContext, lead: str = "") -> Reply:
    """The topics, marked when followed; a number follows or stops following one."""
    topics = catalog(ctx).topics
    if not topics:
        return TextReply(texts.NO_TOPICS)
    return lists.show_list(ctx, "subscriptions", [topic.id for topic in topics], lead=lead)


def _render(ctx: ChatContext, ids: list[int]) -> list[str]:
    followed = subscriptions.followed_ids(ctx.session, ctx.openid)
    topics = catalog(ctx).topic_by_id
    items = []
    for topic_id in ids:
        topic = topics.get(topic_id)
        if topic is None:
            items.append(texts.ITEM_GONE)
        else:
            mark = texts.SUBSCRIBED_MARK if topic_id in followed else ""
            items.append(f"{topic.name}{mark}")
    return items


def _toggle(ctx: ChatContext, topic_id: int) -> Reply:
    try:
        topic, following = subscriptions.toggle(ctx.session, ctx.openid, topic_id, ctx.now)
    except subscriptions.TopicNotFound:
        return TextReply(texts.ITEM_GONE)
    ctx.session.flush()
    lead = (texts.SUBSCRIBED if following else texts.UNSUBSCRIBED).format(topic=topic.name)
    return on_subscriptions(ctx, lead=lead)


def register(router: Router) -> None:
    """``订阅`` and the SUBSCRIBE button."""
    lists.register_kind("subscriptions", lists.ListKind(_render, _toggle, lambda c, e: texts.SUBSCRIPTIONS_TITLE,
                                                        texts.HINT_SUBSCRIPTIONS))
    router.text("订阅", "订阅提醒", "取消订阅", "退订")(on_subscriptions)
    router.click("SUBSCRIBE")(leaving(on_subscriptions))
