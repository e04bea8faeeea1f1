"""Satisfaction rating (好差评) in the chat: ``评价``, then 1–5, then tags by number, then a comment or 跳过.

After the unit answered a 差评, ``评价`` first offers the 追评 (rate once more: level and comment).
"""

from __future__ import annotations

import re

from handlers import events, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import ask_again, leaving, needs_state, run_steps
from handlers.router import Router
from models import Event, Rating
from services import intake
from services.calendar import clock
from services.messaging import wording
from services.participation import ratings
from services.participation.rating_texts import LEVELS

DIALOGUE = "rate"
FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


@needs_state
def on_rate(ctx: ChatContext) -> Reply:
    """``评价``: a 追评 waiting comes first; else the events the citizen may rate."""
    again = ratings.again_open(ctx.session, ctx.openid, ctx.now)
    if again:
        ctx.state.enter(DIALOGUE, "level", {"again": again[0].id, "event_id": again[0].event_id})
        return TextReply(_prompt(ctx))
    found = ratings.ratable_events(ctx.session, ctx.openid, ctx.now, events.catalog(ctx).events.values())
    if not found:
        return TextReply(texts.RATE_NOTHING.format(days=ratings.WINDOW.days))
    if len(found) == 1:
        ctx.state.enter(DIALOGUE, "level", {"event_id": found[0].id})
    else:
        ctx.state.enter(DIALOGUE, "pick", {"event_ids": [e.id for e in found]})
    return TextReply(_prompt(ctx))


def _event(ctx: ChatContext) -> Event | None:
    event_id = ctx.state.data.get("event_id")
    return ctx.session.get(Event, event_id) if event_id else None


def _until(event: Event) -> str:
    return wording.when(ratings.closes_at(event))


def _level_prompt(ctx: ChatContext) -> str:
    event, data = _event(ctx), ctx.state.data
    if data.get("again"):
        rating = ctx.session.get(Rating, data["again"])
        return texts.RATE_AGAIN_ASK.format(unit=event.unit.name, title=event.title, level=LEVELS[rating.level])
    prompt = texts.RATE_ASK_LEVEL.format(title=event.title)
    existing = ratings.mine(ctx.session, ctx.openid, event.id)
    if existing is not None:
        prompt = texts.RATE_ALREADY.format(level=LEVELS[existing.level], until=_until(event)) + "\n" + prompt
    return prompt


def _pick_prompt(ctx: ChatContext) -> str:
    items = []
    for number, event_id in enumerate(ctx.state.data.get("event_ids", []), 1):
        event = ctx.session.get(Event, event_id)
        if event is not None:
            items.append(texts.RATE_EVENT_ITEM.format(
                number=number, day=wording.day_label(clock.local(event.starts_at).date()), title=event.title))
    return texts.RATE_PICK.format(events="\n".join(items))


def _tags_prompt(ctx: ChatContext) -> str:
    level = ctx.state.data["level"]
    tags = "\n".join(texts.RATE_TAG_ITEM.format(number=n, tag=t) for n, t in enumerate(ratings.tags_for(level), 1))
    return texts.RATE_ASK_TAGS.format(level=LEVELS[level], tags=tags)


def _comment_prompt(ctx: ChatContext) -> str:
    return texts.RATE_ASK_COMMENT.format(limit=ratings.COMMENT_CHARS)


def _prompt(ctx: ChatContext) -> str:
    prompts = {"pick": _pick_prompt, "level": _level_prompt, "tags": _tags_prompt, "comment": _comment_prompt}
    return prompts.get(ctx.state.step, _level_prompt)(ctx)


def _on_pick(ctx: ChatContext) -> Reply:
    ids = ctx.state.data.get("event_ids", [])
    text = ctx.text.translate(FULL_WIDTH)
    if text.isdigit() and 1 <= int(text) <= len(ids):
        ctx.state.enter(DIALOGUE, "level", {"event_id": ids[int(text) - 1]})
        return TextReply(_prompt(ctx))
    return ask_again(ctx, texts.NUMBER_OUT_OF_RANGE.format(count=len(ids)), _pick_prompt(ctx))


def _on_level(ctx: ChatContext) -> Reply:
    try:
        level = ratings.check_level(ctx.text.translate(FULL_WIDTH))
    except ratings.InvalidLevel:
        return ask_again(ctx, texts.RATE_LEVEL_INVALID, _level_prompt(ctx))
    data = {**ctx.state.data, "level": level, "tags": []}
    step = "tags" if ratings.tags_for(level) and not data.get("again") else "comment"
    ctx.state.enter(DIALOGUE, step, data)
    return TextReply(_prompt(ctx))


def _skipped(ctx: ChatContext) -> bool:
    return ctx.text.strip() in texts.RATE_SKIP_WORDS or ctx.text.strip() in ("0", "０")


def _on_tags(ctx: ChatContext) -> Reply:
    offered = ratings.tags_for(ctx.state.data["level"])
    if _skipped(ctx):
        chosen = []
    else:
        tokens = re.split(r"[\s,，、;；]+", ctx.text.translate(FULL_WIDTH).strip())
        # "135" typed without spaces means 1, 3 and 5 (there are at most 9 tags).
        numbers = [c for token in tokens for c in (token if token.isdigit() else [token])]
        if not numbers or not all(n.isdigit() and 1 <= int(n) <= len(offered) for n in numbers):
            return ask_again(ctx, texts.RATE_TAGS_INVALID.format(count=len(offered)), _tags_prompt(ctx))
        chosen = [offered[int(n) - 1] for n in dict.fromkeys(numbers)]
    ctx.state.enter(DIALOGUE, "comment", {**ctx.state.data, "tags": chosen})
    return TextReply(_prompt(ctx))


def _on_comment(ctx: ChatContext) -> Reply:
    data = ctx.state.data
    comment = "" if _skipped(ctx) else ctx.text
    event = _event(ctx)
    try:
        if data.get("again"):
            rating = ratings.rate_again(ctx.session, ctx.openid, data["again"], data["level"], comment, ctx.now)
            ctx.state.clear()
            return TextReply(texts.RATE_AGAIN_DONE.format(title=event.title, first=LEVELS[rating.level],
                                                          level=LEVELS[rating.again_level]))
        rating, created = ratings.rate(ctx.session, ctx.openid, data["event_id"], data["level"], data.get("tags"),
                                       comment, ctx.now, source="chat")
    except ratings.CommentTooLong as exc:
        return ask_again(ctx, texts.RATE_COMMENT_TOO_LONG.format(length=exc.length, limit=ratings.COMMENT_CHARS),
                         _comment_prompt(ctx))
    except intake.TooManyPosts as exc:  # the level and tags stay: 跳过 submits them without a comment
        return TextReply(texts.RATE_COMMENT_FLOOD.format(limit=exc.limit, when=wording.when(exc.retry_at)))
    except ratings.RatingError as exc:
        ctx.state.clear()
        return TextReply(_refusal(exc, event))
    ctx.state.clear()
    return TextReply(_done(rating, created))


def _refusal(exc: ratings.RatingError, event: Event | None) -> str:
    title = event.title if event else ""
    if isinstance(exc, ratings.RatingClosed):
        return texts.RATE_CLOSED.format(title=title, days=ratings.WINDOW.days)
    if isinstance(exc, ratings.NotAttended):
        return texts.RATE_NOT_ATTENDED.format(title=title)
    if isinstance(exc, ratings.AgainNotOpen):
        return texts.RATE_AGAIN_CLOSED
    return texts.RATE_NOT_RATABLE


def _done(rating: Rating, created: bool) -> str:
    event = rating.event
    tags = texts.RATE_DONE_TAGS.format(tags="、".join(rating.tags)) if rating.tags else ""
    template = texts.RATE_DONE if created else texts.RATE_CHANGED
    text = template.format(title=event.title, level=LEVELS[rating.level], tags=tags, until=_until(event))
    if rating.level in ratings.BAD:
        text += texts.RATE_BAD_FOLLOW_UP.format(unit=event.unit.name)
    return text


@needs_state
def on_dialogue(ctx: ChatContext) -> Reply:
    """Messages while rating."""
    steps = {"pick": _on_pick, "level": _on_level, "tags": _on_tags, "comment": _on_comment}
    return run_steps(ctx, DIALOGUE, steps, _prompt)


def register(router: Router) -> None:
    """``评价`` (also 满意度评价, 好差评, 追评) and the rating dialogue."""
    router.text("评价", "满意度评价", "好差评", "追评")(on_rate)
    router.click("RATE")(leaving(on_rate))
    router.dialogue(DIALOGUE)(on_dialogue)
