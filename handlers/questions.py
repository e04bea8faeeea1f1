"""Questions before a policy lecture (答疑): ``提问`` picks an upcoming lecture (or the one just read) and takes the question."""

from __future__ import annotations

from handlers import lists, texts
from handlers.chat import ChatContext, Reply, TextReply
from handlers.dialogue import KEYWORDS, ask_again, leaving, needs_state, run_steps
from handlers.events import catalog
from handlers.router import Router
from models import Event, EventKind
from services import intake
from services.calendar import clock
from services.messaging import wording
from services.participation import questions
from services.programme import links

DIALOGUE = "question"


def _over(ctx: ChatContext, event: Event) -> Reply:
    ctx.state.clear()
    url = links.page_url(event.id, ctx.public_base_url or None)
    return TextReply(texts.QUESTION_LECTURE_OVER.format(title=event.title, url=url))


def _ask_prompt(ctx: ChatContext) -> str:
    event = catalog(ctx).events.get(ctx.state.data.get("event_id"))
    return texts.QUESTION_ASK.format(title=event.title if event else "", when=wording.when(event.starts_at) if event
                                     else "", high=questions.MAX_CHARS)


def _pick_prompt(ctx: ChatContext) -> str:
    items = []
    programme = catalog(ctx).events
    for number, event_id in enumerate(ctx.state.data.get("event_ids", []), 1):
        event = programme.get(event_id)
        if event is not None:
            items.append(texts.QUESTION_LECTURE_ITEM.format(
                number=number, day=wording.day_label(clock.local(event.starts_at).date()), title=event.title))
    return texts.QUESTION_PICK.format(lectures="\n".join(items))


def _start_on(ctx: ChatContext, event_id: int) -> Reply:
    ctx.state.enter(DIALOGUE, "text", {"event_id": event_id})
    return TextReply(_ask_prompt(ctx))


@needs_state
def on_question(ctx: ChatContext) -> Reply:
    """``提问``: about the lecture just read, else the only open lecture, else a numbered choice."""
    focused = lists.focus(ctx, "event")
    event = catalog(ctx).events.get(focused) if focused is not None else None
    if event is not None and event.kind == EventKind.POLICY_LECTURE:
        try:
            questions.lecture_for_questions(ctx.session, event.id, ctx.now)
        except questions.LectureOver:
            return _over(ctx, event)
        except questions.NotALecture:
            pass
        else:
            return _start_on(ctx, event.id)
    lectures = [e.id for e in questions.open_lectures(catalog(ctx).upcoming(ctx.now), ctx.now)]
    if not lectures:
        return TextReply(texts.QUESTION_NO_LECTURES)
    if len(lectures) == 1:
        return _start_on(ctx, lectures[0])
    ctx.state.enter(DIALOGUE, "pick", {"event_ids": lectures})
    return TextReply(_pick_prompt(ctx))


def _on_pick(ctx: ChatContext) -> Reply:
    ids = ctx.state.data.get("event_ids", [])
    if ctx.text.isdigit() and 1 <= int(ctx.text) <= len(ids):
        return _start_on(ctx, ids[int(ctx.text) - 1])
    return ask_again(ctx, texts.QUESTION_PICK_AGAIN.format(count=len(ids)), _pick_prompt(ctx))


def _on_text(ctx: ChatContext) -> Reply:
    event_id = ctx.state.data.get("event_id")
    try:
        question = questions.ask(ctx.session, ctx.openid, event_id, ctx.text, ctx.now, source_key=ctx.key)
    except questions.QuestionEmpty:
        return ask_again(ctx, texts.QUESTION_EMPTY, _ask_prompt(ctx))
    except questions.QuestionTooLong as exc:
        return ask_again(ctx, texts.QUESTION_TOO_LONG.format(high=questions.MAX_CHARS, length=exc.length),
                         _ask_prompt(ctx))
    except intake.TooManyPosts as exc:
        ctx.state.clear()
        return TextReply(texts.QUESTION_FLOOD.format(limit=exc.limit, when=wording.when(exc.retry_at)))
    except questions.LectureOver:
        return _over(ctx, ctx.session.get(Event, event_id))
    except questions.NotALecture:
        ctx.state.clear()
        return TextReply(texts.QUESTION_NOT_A_LECTURE)
    ctx.state.clear()
    event = question.event
    excerpt = question.text if len(question.text) <= 60 else question.text[:60] + "…"
    return TextReply(texts.QUESTION_DONE.format(title=event.title, when=wording.when(event.starts_at),
                                                excerpt=excerpt))


def _prompt(ctx: ChatContext) -> str:
    return _pick_prompt(ctx) if ctx.state.step == "pick" else _ask_prompt(ctx)


@needs_state
def on_dialogue(ctx: ChatContext) -> Reply:
    """Messages while asking: a number picks the lecture, then text is the question."""
    if ctx.msg_type == "text" and ctx.state.step == "text" and ctx.text not in KEYWORDS:
        return _on_text(ctx)  # an empty (blank) message is answered by the service's QuestionEmpty
    return run_steps(ctx, DIALOGUE, {"pick": _on_pick, "text": _on_text}, _prompt)


def register(router: Router) -> None:
    """``提问`` and its dialogue."""
    router.text("提问", "我要提问", "讲座提问", "答疑")(on_question)
    router.click("ASK_QUESTION")(leaving(on_question))
    router.dialogue(DIALOGUE)(on_dialogue)
