"""Browsing: upcoming events, by topic, policy lectures, and one event's full announcement.

The chat reads the programme from :mod:`services.programme.event_cache` (a snapshot
invalidated whenever an event, topic or unit is written) instead of the
database; the texts derived from it are memoised on the snapshot. The
application window is worked out at each call, so its wording changes on time.
"""

from __future__ import annotations

from handlers import lists, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import leaving
from handlers.router import Router
from models import Event, EventKind
from services.messaging import wording
from services.programme import announcement, event_cache, events
from services.programme.events import VISIBLE


def catalog(ctx: ChatContext) -> event_cache.Catalog:
    """The programme snapshot for this message (read once per message)."""
    found = ctx.extras.get("catalog")
    if found is None:
        found = ctx.extras["catalog"] = event_cache.current(ctx.session, ctx.events_version)
    return found


def window_line(event: Event, ctx: ChatContext) -> str:
    """报名中（11月30日 周一 17:00 截止） and the like."""
    return announcement.window_text(events.application_window(event, ctx.now))


def _item(ctx: ChatContext, event: Event | None) -> str:
    if event is None:
        return texts.ITEM_GONE
    mode = wording.MODE_LABELS[event.mode.value]
    place = announcement.place_of(event)
    where = mode if place == mode else f"{mode}｜{place}"
    return texts.EVENT_ITEM.format(when=wording.when(event.starts_at), title=event.title, where=where,
                                   window=window_line(event, ctx))


def render_events(ctx: ChatContext, ids: list[int]) -> list[str]:
    """List items for events (an event gone meanwhile shows as such)."""
    cat = catalog(ctx)
    items = []
    for event_id in ids:
        event = cat.events.get(event_id)
        if event is None:
            items.append(texts.ITEM_GONE)
            continue
        # An item reads the same until the event changes (new snapshot) or its window state changes.
        key = ("item", event_id, events.application_window(event, ctx.now).state)
        text = cat.memo.get(key)
        if text is None:
            text = cat.memo[key] = _item(ctx, event)
        items.append(text)
    return items


def _events_title(ctx: ChatContext, extra: dict) -> str:
    view = extra.get("view", "upcoming")
    if view == "topic":
        return texts.EVENTS_TITLE_TOPIC.format(topic=extra.get("topic", ""), count=extra.get("count", 0))
    if view == "lectures":
        return texts.EVENTS_TITLE_LECTURES.format(count=extra.get("count", 0))
    return texts.EVENTS_TITLE_UPCOMING.format(count=extra.get("count", 0))


def show_event(ctx: ChatContext, event_id: int) -> Reply:
    """One event's announcement (paged if long); ``报名`` and ``建议`` then refer to it."""
    try:
        _public(ctx, event_id)
    except events.EventNotFound:
        return TextReply(texts.EVENT_GONE)
    return lists.show_pages(ctx, "event", event_id, focus_on={"event": event_id})


def _public(ctx: ChatContext, event_id: int):
    """The snapshot's event if it is public, as ``services.programme.events.get`` decides; EventNotFound otherwise."""
    event = catalog(ctx).events.get(event_id)
    if event is None or event.status not in VISIBLE:
        raise events.EventNotFound(event_id)
    return event


def chat_event_blocks(ctx: ChatContext, event_id: int) -> list[str]:
    """The event's announcement (:mod:`services.programme.announcement`) and what to reply next."""
    event = _public(ctx, event_id)
    window = events.application_window(event, ctx.now)
    key = ("detail", event_id, ctx.public_base_url, window.state)
    cat = catalog(ctx)
    blocks = cat.memo.get(key)
    if blocks is None:
        text = announcement.compose(event, ctx.now, ctx.public_base_url).paragraphs()
        text.append(texts.DETAIL_ACTIONS_APPLY if window.is_open else texts.DETAIL_ACTIONS)
        blocks = cat.memo[key] = tuple(text)
    return list(blocks)


# -- lists ----------------------------------------------------------------------------------

def _show_events(ctx: ChatContext, found: list[Event], extra: dict, empty: str) -> Reply:
    if not found:
        return TextReply(empty)
    return lists.show_list(ctx, "events", [e.id for e in found], extra={**extra, "count": len(found)})


def on_upcoming(ctx: ChatContext) -> Reply:
    """``活动``: upcoming events in date order."""
    return _show_events(ctx, catalog(ctx).upcoming(ctx.now), {"view": "upcoming"}, texts.NO_UPCOMING)


def on_lectures(ctx: ChatContext) -> Reply:
    """Policy lectures alone."""
    found = catalog(ctx).upcoming(ctx.now, kind=EventKind.POLICY_LECTURE)
    return _show_events(ctx, found, {"view": "lectures"}, texts.NO_LECTURES)


def on_topics(ctx: ChatContext) -> Reply:
    """The topics, each with its number of upcoming events."""
    topics = catalog(ctx).topics_with_upcoming(ctx.now)
    if not topics:
        return TextReply(texts.NO_TOPICS)
    return lists.show_list(ctx, "topics", [topic.id for topic, _ in topics])


def _render_topics(ctx: ChatContext, ids: list[int]) -> list[str]:
    cat = catalog(ctx)
    counts = {topic.id: count for topic, count in cat.topics_with_upcoming(ctx.now)}
    items = []
    for topic_id in ids:
        topic = cat.topic_by_id.get(topic_id)
        items.append(texts.TOPIC_ITEM.format(name=topic.name, count=counts.get(topic_id, 0)) if topic else texts.ITEM_GONE)
    return items


def _pick_topic(ctx: ChatContext, topic_id: int) -> Reply:
    cat = catalog(ctx)
    topic = cat.topic_by_id.get(topic_id)
    if topic is None:
        return TextReply(texts.ITEM_GONE)
    found = cat.upcoming(ctx.now, topic_id=topic_id)
    return _show_events(ctx, found, {"view": "topic", "topic": topic.name},
                        texts.NO_EVENTS_IN_TOPIC.format(topic=topic.name))


def register(router: Router) -> None:
    """Keywords, menu keys, list kinds and the detail source."""
    lists.register_kind("events", lists.ListKind(render_events, show_event, _events_title, texts.HINT_EVENTS, "\n\n"))
    lists.register_kind("topics", lists.ListKind(_render_topics, _pick_topic, lambda c, e: texts.TOPICS_TITLE,
                                                 texts.HINT_TOPICS))
    lists.register_source("event", chat_event_blocks)
    router.text("活动", "近期活动", "活动列表")(on_upcoming)
    router.text("专题", "按专题")(on_topics)
    router.text("政策公开讲", "讲座", "宣讲")(on_lectures)
    router.click("EVENTS_UPCOMING")(leaving(on_upcoming))
    router.click("EVENTS_BY_TOPIC")(leaving(on_topics))
    router.click("EVENTS_LECTURES")(leaving(on_lectures))
