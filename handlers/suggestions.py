"""Suggestions (意见建议): about an event or in general, with pictures; ``我的建议`` shows how each was handled."""

from __future__ import annotations

from handlers import lists, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import KEYWORDS, ask_again, leaving, needs_state, run_steps
from handlers.events import catalog
from handlers.router import Router
from models import Suggestion
from services import intake
from services.calendar import clock
from services.messaging import wording
from services.participation import progress, suggestions
from services.programme import events

DIALOGUE = "suggest"
GENERAL = {"0", "０", "一般", "一般性建议", "其他"}


# -- leaving a suggestion ---------------------------------------------------------------------

@needs_state
def on_suggest(ctx: ChatContext) -> Reply:
    """``建议``: choose what it is about (the event just read comes first)."""
    found = [e.id for e in events.recent_and_upcoming(catalog(ctx).events.values(), ctx.now)]
    focused = lists.focus(ctx, "event")
    if focused is not None and focused in catalog(ctx).events:
        # Right after an event's detail (which says "回复【建议】就本场活动留言"), 建议 is about that event.
        ctx.state.enter(DIALOGUE, "focused", {"event_ids": found, "images": [], "focused": focused})
        return TextReply(_focused_prompt(ctx))
    ctx.state.enter(DIALOGUE, "about", {"event_ids": found, "images": []})
    return TextReply(_about_prompt(ctx))


def _focused_prompt(ctx: ChatContext) -> str:
    event = catalog(ctx).events.get(ctx.state.data.get("focused"))
    return texts.SUGGEST_ABOUT_FOCUSED.format(title=event.title if event else "")


def _on_focused(ctx: ChatContext) -> Reply:
    """After an event's detail: 1 this event, 2 (or 0) general; a suggestion typed straight away is about the event."""
    data = ctx.state.data
    if ctx.text in GENERAL or ctx.text in ("2", "２"):
        ctx.state.enter(DIALOGUE, "text", {**data, "event_id": None})
        return TextReply(_text_prompt(ctx))
    if ctx.text in ("1", "１"):
        ctx.state.enter(DIALOGUE, "text", {**data, "event_id": data.get("focused")})
        return TextReply(_text_prompt(ctx))
    if len(ctx.text) >= suggestions.MIN_CHARS and not ctx.text.isdigit():
        ctx.state.enter(DIALOGUE, "text", {**data, "event_id": data.get("focused")})
        return _on_text(ctx)
    return ask_again(ctx, texts.SUGGEST_PICK_FOCUSED, _focused_prompt(ctx))


def _about_prompt(ctx: ChatContext) -> str:
    items = []
    programme = catalog(ctx).events
    for number, event_id in enumerate(ctx.state.data.get("event_ids", []), 1):
        event = programme.get(event_id)
        if event is not None:
            items.append(texts.SUGGEST_EVENT_ITEM.format(number=number, day=wording.day_label(
                clock.local(event.starts_at).date()), title=event.title))
    return texts.SUGGEST_ABOUT.format(events="\n".join(items))


def _text_prompt(ctx: ChatContext) -> str:
    event_id = ctx.state.data.get("event_id")
    event = catalog(ctx).events.get(event_id) if event_id else None
    about = texts.ABOUT_EVENT.format(title=event.title) if event else texts.ABOUT_GENERAL
    return texts.SUGGEST_ASK_TEXT.format(about=about, low=suggestions.MIN_CHARS, high=suggestions.MAX_CHARS)


def _on_about(ctx: ChatContext) -> Reply:
    data = ctx.state.data
    ids = data.get("event_ids", [])
    if ctx.text in GENERAL:
        ctx.state.enter(DIALOGUE, "text", {**data, "event_id": None})
        return TextReply(_text_prompt(ctx))
    if ctx.text.isdigit():
        number = int(ctx.text)
        if 1 <= number <= len(ids):
            ctx.state.enter(DIALOGUE, "text", {**data, "event_id": ids[number - 1]})
            return TextReply(_text_prompt(ctx))
        return ask_again(ctx, texts.NUMBER_OUT_OF_RANGE_ZERO.format(count=len(ids)), _about_prompt(ctx))
    if len(ctx.text) >= suggestions.MIN_CHARS:
        # Typed the suggestion straight away: take it as a general one.
        ctx.state.enter(DIALOGUE, "text", {**data, "event_id": None})
        return _on_text(ctx)
    return ask_again(ctx, texts.SUGGEST_PICK_ABOUT, _about_prompt(ctx))


def _on_text(ctx: ChatContext) -> Reply:
    data = ctx.state.data
    try:
        suggestion = suggestions.create(ctx.session, ctx.openid, ctx.text, ctx.now, event_id=data.get("event_id"),
                                        source_key=ctx.key, attachments=data.get("images", []))
    except suggestions.SuggestionTooShort:
        return ask_again(ctx, texts.SUGGEST_TOO_SHORT.format(low=suggestions.MIN_CHARS), _text_prompt(ctx))
    except suggestions.SuggestionTooLong as exc:
        return ask_again(ctx, texts.SUGGEST_TOO_LONG.format(high=suggestions.MAX_CHARS, length=exc.length),
                         _text_prompt(ctx))
    except intake.TooManyPosts as exc:
        ctx.state.clear()
        return TextReply(texts.SUGGEST_FLOOD.format(limit=exc.limit, when=wording.when(exc.retry_at)))
    ctx.state.clear()
    return TextReply(_done(suggestion))


def _done(suggestion: Suggestion) -> str:
    handler = suggestion.unit.name if suggestion.unit else texts.DISTRICT_OFFICE
    about = texts.ABOUT_EVENT.format(title=suggestion.event.title) if suggestion.event else texts.ABOUT_GENERAL
    pictures = texts.SUGGEST_PICTURES.format(count=len(suggestion.attachments)) if suggestion.attachments else ""
    return texts.SUGGEST_DONE.format(tracking_no=suggestion.tracking_no, about=about, unit=handler, pictures=pictures)


def _prompt(ctx: ChatContext) -> str:
    prompts = {"about": _about_prompt, "focused": _focused_prompt}
    return prompts.get(ctx.state.step, _text_prompt)(ctx)


@needs_state
def on_dialogue(ctx: ChatContext) -> Reply:
    """Messages while leaving a suggestion: pictures are kept for it, text is the suggestion."""
    if ctx.msg_type == "image":
        data = ctx.state.data
        images = list(data.get("images", []))
        if len(images) >= suggestions.MAX_ATTACHMENTS:
            return ask_again(ctx, texts.TOO_MANY_PICTURES.format(limit=suggestions.MAX_ATTACHMENTS), _prompt(ctx))
        media_id = ctx.fields.get("MediaId", "")
        if media_id and all(item.get("media_id") != media_id for item in images):
            images.append(suggestions.image(media_id, ctx.fields.get("PicUrl", ""), ctx.now))
        ctx.state.enter(DIALOGUE, ctx.state.step, {**data, "images": images})
        return ask_again(ctx, texts.PICTURE_KEPT.format(count=len(images)), _prompt(ctx))
    if ctx.msg_type == "text" and ctx.state.step == "text" and ctx.text not in KEYWORDS:
        return _on_text(ctx)
    return run_steps(ctx, DIALOGUE, {"about": _on_about, "focused": _on_focused, "text": _on_text}, _prompt)


def on_image(ctx: ChatContext) -> Reply:
    """A picture outside the dialogue: added to a suggestion made in the last 30 minutes, else a polite reply."""
    recent = suggestions.recent_open(ctx.session, ctx.openid, ctx.now)
    media_id = ctx.fields.get("MediaId", "")
    if recent is None or not media_id:
        return TextReply(texts.NON_TEXT)
    try:
        suggestions.attach_image(ctx.session, recent.id, media_id, ctx.now, ctx.fields.get("PicUrl", ""))
    except suggestions.TooManyAttachments:
        return TextReply(texts.TOO_MANY_PICTURES.format(limit=suggestions.MAX_ATTACHMENTS))
    return TextReply(texts.PICTURE_ATTACHED.format(tracking_no=recent.tracking_no, count=len(recent.attachments)))


# -- my suggestions ------------------------------------------------------------------------------

def _status(suggestion: Suggestion, latest=None) -> str:
    if suggestion.adoption is not None and suggestion.status.value == "replied":
        status = texts.SUGGESTION_REPLIED.format(adoption=wording.ADOPTION_LABELS[suggestion.adoption.value])
        if latest is not None:
            status = texts.SUGGESTION_PROGRESS_STATUS.format(status=status, stage=progress.stage_label(latest.stage))
        return status
    return wording.SUGGESTION_STATUS_LABELS[suggestion.status.value]


def _progress_block(ctx: ChatContext, suggestion: Suggestion) -> str | None:
    """An adopted suggestion's progress updates (落实进展), oldest first."""
    if not progress.is_followed(suggestion):
        return None
    updates = progress.history(ctx.session, suggestion.id)
    if not updates:
        return texts.SUGGESTION_PROGRESS_NONE
    lines = [texts.SUGGESTION_PROGRESS_LINE.format(day=wording.full_date(u.progress_on),
                                                   stage=progress.stage_label(u.stage), note=u.note) for u in updates]
    return texts.SUGGESTION_PROGRESS.format(lines="\n".join(lines))


def _excerpt(text: str, length: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length] + "…"


def _render(ctx: ChatContext, ids: list[int]) -> list[str]:
    items = []
    for suggestion_id in ids:
        try:
            suggestion = suggestions.get_mine(ctx.session, ctx.openid, suggestion_id)
        except suggestions.SuggestionNotFound:
            items.append(texts.ITEM_GONE)
            continue
        about = suggestion.event.title if suggestion.event else texts.ABOUT_GENERAL_SHORT
        answer = ""
        if suggestion.status.value == "replied":
            reason = texts.SUGGESTION_ITEM_REASON.format(reason=_excerpt(suggestion.adoption_reason, 30))
            answer = texts.SUGGESTION_ITEM_ANSWER.format(reply=_excerpt(suggestion.reply, 40),
                                                         reason=reason if suggestion.adoption_reason else "")
        latest = progress.latest(ctx.session, suggestion.id)
        items.append(texts.SUGGESTION_ITEM.format(tracking_no=suggestion.tracking_no, status=_status(suggestion, latest),
                                                  about=about, excerpt=_excerpt(suggestion.text, 30), answer=answer))
    return items


def on_my_suggestions(ctx: ChatContext) -> Reply:
    """``我的建议``: each suggestion with its status."""
    mine = suggestions.my_ids(ctx.session, ctx.openid)
    if not mine:
        return TextReply(texts.NO_SUGGESTIONS)
    return lists.show_list(ctx, "my_suggestions", mine, extra={"count": len(mine)})


def show_suggestion(ctx: ChatContext, suggestion_id: int) -> Reply:
    """One suggestion in full, with the reply once answered."""
    try:
        suggestions.get_mine(ctx.session, ctx.openid, suggestion_id)
    except suggestions.SuggestionNotFound:
        return TextReply(texts.ITEM_GONE)
    return lists.show_pages(ctx, "suggestion", suggestion_id)


def _blocks(ctx: ChatContext, suggestion_id: int) -> list[str]:
    suggestion = suggestions.get_mine(ctx.session, ctx.openid, suggestion_id)
    about = texts.ABOUT_EVENT.format(title=suggestion.event.title) if suggestion.event else texts.ABOUT_GENERAL
    blocks = [texts.SUGGESTION_HEAD.format(tracking_no=suggestion.tracking_no, when=wording.when(suggestion.created_at),
                                           about=about, status=_status(suggestion))]
    blocks.append(texts.SUGGESTION_TEXT.format(text=suggestion.text))
    if suggestion.attachments:
        blocks.append(texts.SUGGEST_PICTURES.format(count=len(suggestion.attachments)))
    if suggestion.status.value == "replied":
        reason = texts.SUGGESTION_REASON.format(reason=suggestion.adoption_reason) if suggestion.adoption_reason else ""
        blocks.append(texts.SUGGESTION_ANSWER.format(
            adoption=wording.ADOPTION_LABELS[suggestion.adoption.value] if suggestion.adoption else "—",
            when=wording.when(suggestion.replied_at) if suggestion.replied_at else "", reply=suggestion.reply,
            reason=reason))
        followed = _progress_block(ctx, suggestion)
        if followed:
            blocks.append(followed)
    else:
        blocks.append(texts.SUGGESTION_PENDING)
    return blocks


def register(router: Router) -> None:
    """``建议``, ``我的建议``, pictures and the dialogue."""
    lists.register_kind("my_suggestions", lists.ListKind(
        _render, show_suggestion, lambda c, e: texts.MY_SUGGESTIONS_TITLE.format(count=e.get("count", 0)),
        texts.HINT_MY_SUGGESTIONS, "\n\n"))
    lists.register_source("suggestion", _blocks)
    router.text("建议", "留言", "留言建议", "意见建议")(on_suggest)
    router.click("SUGGEST")(leaving(on_suggest))
    router.text("我的建议", "建议记录")(on_my_suggestions)
    router.click("MY_SUGGESTIONS")(leaving(on_my_suggestions))
    router.message("image")(on_image)
    router.dialogue(DIALOGUE)(on_dialogue)

