"""A small router in WeRoBot's vocabulary: ``text``, ``regex``, ``click``, ``subscribe``...

Order of precedence for one message: ``取消`` (always leaves a dialogue), then a
menu click or event, then the dialogue in progress, then text keywords and
patterns, then message-type handlers, then the default (help text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.chat import ChatContext, Reply

Handler = Callable[[ChatContext], Reply]


class DuplicateRoute(ValueError):
    """A keyword, click key, event, message type or dialogue registered twice: refused at start, never
    silently overwritten (the second registration would take the first one's messages)."""


def _claim(table: dict[str, Handler], key: str, handler: Handler, kind: str) -> None:
    """Register ``handler`` under ``key`` in ``table``, unless another handler holds it already."""
    held = table.get(key)
    if held is not None and held is not handler:
        raise DuplicateRoute(f"{kind} {key!r} is routed to both {held.__qualname__} and {handler.__qualname__}")
    table[key] = handler


@dataclass
class Router:
    """Maps messages and events to handlers."""

    keywords: dict[str, Handler] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], Handler]] = field(default_factory=list)
    clicks: dict[str, Handler] = field(default_factory=dict)
    click_prefixes: list[tuple[str, Handler]] = field(default_factory=list)
    events: dict[str, Handler] = field(default_factory=dict)
    msg_types: dict[str, Handler] = field(default_factory=dict)
    dialogues: dict[str, Handler] = field(default_factory=dict)
    cancel_words: tuple[str, ...] = ("取消", "退出")
    on_cancel: Handler | None = None
    on_expired: Callable[[ChatContext, Reply], Reply] | None = None
    after: list[Callable[[ChatContext, Reply], None]] = field(default_factory=list)
    default: Handler | None = None

    # -- registration (decorators) ------------------------------------------------
    def text(self, *words: str) -> Callable[[Handler], Handler]:
        """Exact typed keywords (after trimming)."""

        def register(handler: Handler) -> Handler:
            for word in words:
                _claim(self.keywords, word, handler, "keyword")
            return handler

        return register

    def regex(self, pattern: str) -> Callable[[Handler], Handler]:
        """Typed text matching ``pattern``; the match is put in ``ctx.extras['match']``."""

        def register(handler: Handler) -> Handler:
            self.patterns.append((re.compile(pattern), handler))
            return handler

        return register

    def click(self, key: str, prefix: bool = False) -> Callable[[Handler], Handler]:
        """A menu CLICK with this key (or keys starting with it)."""

        def register(handler: Handler) -> Handler:
            if prefix:
                self.click_prefixes.append((key, handler))
            else:
                _claim(self.clicks, key, handler, "click key")
            return handler

        return register

    def on_event(self, *names: str) -> Callable[[Handler], Handler]:
        """Events by name: ``subscribe``, ``unsubscribe``, ``scan``, ``view``, ``templatesendjobfinish``..."""

        def register(handler: Handler) -> Handler:
            for name in names:
                _claim(self.events, name.lower(), handler, "event")
            return handler

        return register

    def message(self, *msg_types: str) -> Callable[[Handler], Handler]:
        """Non-text message types: ``image``, ``voice``, ``location``..."""

        def register(handler: Handler) -> Handler:
            for msg_type in msg_types:
                _claim(self.msg_types, msg_type, handler, "message type")
            return handler

        return register

    def dialogue(self, name: str) -> Callable[[Handler], Handler]:
        """The handler of a multi-step dialogue, called for every message while it is active."""

        def register(handler: Handler) -> Handler:
            _claim(self.dialogues, name, handler, "dialogue")
            return handler

        return register

    # -- dispatch -------------------------------------------------------------------
    def dispatch(self, ctx: ChatContext) -> Reply:
        """Pick the handler for ``ctx`` and run it."""
        reply = self._route(ctx)
        for hook in self.after:
            hook(ctx, reply)
        if ctx.state.expired_dialogue and self.on_expired is not None:
            reply = self.on_expired(ctx, reply)
        return reply

    def _route(self, ctx: ChatContext) -> Reply:
        if ctx.msg_type == "text" and ctx.text in self.cancel_words and self.on_cancel:
            return self.on_cancel(ctx)
        if ctx.msg_type == "event":
            return self._route_event(ctx)
        active = ctx.state.dialogue
        if active and active in self.dialogues:
            return self.dialogues[active](ctx)
        if ctx.msg_type == "text":
            handler = self._text_handler(ctx)
            if handler:
                return handler(ctx)
        elif ctx.msg_type in self.msg_types:
            return self.msg_types[ctx.msg_type](ctx)
        return self.default(ctx) if self.default else _nothing(ctx)

    def _text_handler(self, ctx: ChatContext) -> Handler | None:
        if ctx.text in self.keywords:
            return self.keywords[ctx.text]
        for pattern, handler in self.patterns:
            match = pattern.fullmatch(ctx.text)
            if match:
                ctx.extras["match"] = match
                return handler
        return None

    def _route_event(self, ctx: ChatContext) -> Reply:
        if ctx.event == "click":
            handler = self.clicks.get(ctx.event_key)
            if handler is None:
                handler = next((h for p, h in self.click_prefixes if ctx.event_key.startswith(p)), None)
            if handler is not None:
                return handler(ctx)
        handler = self.events.get(ctx.event)
        if handler is not None:
            return handler(ctx)
        return _nothing(ctx)


def _nothing(ctx: ChatContext) -> Reply:
    from handlers.chat import NoReply

    return NoReply()
