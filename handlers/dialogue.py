"""Helpers shared by the multi-step dialogues (apply, suggest, cancel, erase).

- :func:`needs_state`: a step that needs the conversation state answers
  politely when Redis is away instead of failing.
- :func:`leaving`: a menu click in the middle of a dialogue leaves it (saying
  so) and does what was clicked.
- :func:`run_steps`: one dialogue's message handling — non-text input and the
  account's keywords are answered with the current question asked again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from handlers import texts
from handlers.chat import ChatContext, Reply, StateUnavailable, TextReply

Handler = Callable[[ChatContext], Reply]
Step = Callable[[ChatContext], Reply]

# Typed during a dialogue these are not taken as answers (``活动`` is not a name).
KEYWORDS = frozenset({"活动", "报名", "我的报名", "建议", "我的建议", "订阅", "我的信息", "帮助",
                      "更多", "取消报名", "确认参加", "放弃名额", "删除我的信息", "提问", "评价"})


def needs_state(handler: Callable[..., Reply]) -> Callable[..., Reply]:
    """Answer :data:`texts.STATE_UNAVAILABLE` when the conversation state cannot be used."""

    @functools.wraps(handler)
    def wrapper(ctx: ChatContext, *args) -> Reply:
        if not ctx.state.available:
            return TextReply(texts.STATE_UNAVAILABLE)
        try:
            return handler(ctx, *args)
        except StateUnavailable:
            return TextReply(texts.STATE_UNAVAILABLE)

    return wrapper


def leaving(handler: Handler) -> Handler:
    """For menu clicks: leave any dialogue first, then do what was clicked."""

    @functools.wraps(handler)
    def wrapper(ctx: ChatContext) -> Reply:
        left = ctx.state.dialogue if ctx.state.available else None
        if left:
            ctx.state.clear()
        reply = handler(ctx)
        if left and isinstance(reply, TextReply):
            label = texts.DIALOGUE_LABELS.get(left, texts.DIALOGUE_LABELS["default"])
            return TextReply(texts.LEFT_DIALOGUE.format(label=label) + "\n\n" + reply.content)
        return reply

    return wrapper


def ask_again(ctx: ChatContext, note: str, prompt: str) -> Reply:
    """``note`` (what was wrong) followed by the question again."""
    return TextReply(f"{note}\n\n{prompt}" if note else prompt)


def run_steps(ctx: ChatContext, name: str, steps: dict[str, Step], prompt: Callable[[ChatContext], str]) -> Reply:
    """Hand a message to the current step of dialogue ``name``."""
    label = texts.DIALOGUE_LABELS.get(name, texts.DIALOGUE_LABELS["default"])
    step = steps.get(ctx.state.step or "")
    if step is None:
        ctx.state.clear()
        return TextReply(texts.DIALOGUE_LOST)
    try:
        if ctx.msg_type != "text" or not ctx.text:
            return ask_again(ctx, texts.TEXT_ONLY_IN_DIALOGUE.format(label=label), prompt(ctx))
        if ctx.text in KEYWORDS:
            return ask_again(ctx, texts.KEYWORD_IN_DIALOGUE.format(label=label, word=ctx.text), prompt(ctx))
        return step(ctx)
    except StateUnavailable:
        return TextReply(texts.STATE_UNAVAILABLE)
