"""What a handler receives (``ChatContext``) and what it returns (a reply)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from services import intake
from services.programme import event_cache


class StateUnavailable(Exception):
    """The conversation state cannot be read or written now (Redis unreachable): a dialogue cannot go on."""


@dataclass(frozen=True)
class TextReply:
    """A passive text reply (kept under WeChat's 2,048-byte limit by the handlers)."""

    content: str


@dataclass(frozen=True)
class Article:
    """One card of a news (图文) reply."""

    title: str
    description: str = ""
    url: str = ""
    image: str = ""


@dataclass(frozen=True)
class NewsReply:
    """A news reply with up to 8 articles (WeChat shows one since 2018, we send one)."""

    articles: tuple[Article, ...]


@dataclass(frozen=True)
class NoReply:
    """Nothing to say now: the webhook answers ``success``."""


Reply = TextReply | NewsReply | NoReply


@dataclass
class ChatContext:
    """One inbound message or event, with everything a handler may need.

    Handlers never import Flask: the database session, the clock reading and the
    conversation state are handed to them here.
    """

    openid: str
    msg_type: str
    fields: dict[str, str]
    now: dt.datetime
    session: Any
    state: Any  # the citizen's conversation state (``bot.state.ConversationState``: dialogue, last list)
    key: str
    public_base_url: str = ""
    settings: Any = None  # the app's typed settings (config.settings.Settings), as the app was built with
    extras: dict[str, Any] = field(default_factory=dict)
    # The programme's version token as the webhook read it from Redis (see services.programme.event_cache).
    events_version: Any = event_cache.UNKNOWN

    @property
    def text(self) -> str:
        """The typed text, cleaned (:func:`services.intake.clean_text`) and trimmed (empty for non-text messages).

        Every handler reads what a citizen typed (names, reasons, suggestions, questions,
        comments) through here, so nothing invisible reaches a row or an export.
        """
        return intake.clean_text(self.fields.get("Content") or "").strip()

    @property
    def event(self) -> str:
        """The event name, lower-cased (``subscribe``, ``click``, ...)."""
        return (self.fields.get("Event") or "").strip().lower()

    @property
    def event_key(self) -> str:
        """EventKey of a menu click, a view URL, a QR scene."""
        return (self.fields.get("EventKey") or "").strip()
