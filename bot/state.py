"""Per-citizen conversation state in Redis.

Two things live here: the multi-step dialogue a citizen is in (with its data)
and the last numbered list shown (so ``3`` picks the third item). A dialogue
left silent for ``ttl`` seconds expires; the record is kept a day longer so
the next message can say that it expired instead of silently forgetting it.
The dialogue's data (a name, a mobile, a suggestion's text) is personal: it is
kept sealed with the personal-data key (``models.cipher``), never in clear, and
the record outlives the dialogue by :data:`KEEP_SECONDS` only.
When Redis is unreachable the state reports ``available = False`` and
handlers answer politely that the step cannot continue right now.
The webhook reads the record in the pipeline of its dedup claim and, with
``deferred=True``, writes it back in the pipeline that stores the reply
(:meth:`ConversationState.stage`): one round trip before handling, one after.
A record unchanged by the message is not written again.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import redis

from handlers.chat import StateUnavailable
from models import cipher

# How long the record outlives a silent dialogue (to announce that it expired); its data is sealed.
KEEP_SECONDS = 6 * 3600
SEALED = "sealed"
# An unchanged list is written again after this long, so the record never lapses under a citizen's eyes.
REWRITE_SECONDS = 3600
_UNREAD = object()


class ConversationState:
    """Dialogue and last-list state of one openid."""

    def __init__(self, client: redis.Redis | None, openid: str, now: dt.datetime, ttl: int = 1800,
                 raw: bytes | None | object = _UNREAD, deferred: bool = False) -> None:
        self._client = client
        self._key = self.key_of(openid)
        self._now = now
        self._ttl = ttl
        self._data: dict[str, Any] = {}
        self._deferred = deferred
        self._dirty = False
        self.available = True
        self.expired_dialogue: str | None = None
        self._load(raw)

    @staticmethod
    def key_of(openid: str) -> str:
        """The Redis key of ``openid``'s state (the webhook reads it together with its dedup claim)."""
        return f"conv:{openid}"

    def _load(self, raw: bytes | None | object = _UNREAD) -> None:
        if self._client is None:
            self.available = False
            return
        if raw is _UNREAD:
            try:
                raw = self._client.get(self._key)
            except redis.RedisError:
                self.available = False
                return
        self._data = json.loads(raw) if raw else {}
        self._unseal()
        touched = self._data.get("touched")
        if self._data.get("dialogue") and touched and self._now.timestamp() - touched > self._ttl:
            self.expired_dialogue = self._data["dialogue"]
            self._data.pop("dialogue", None)
            self._data.pop("step", None)
            self._data.pop("data", None)
            self._save()

    def _unseal(self) -> None:
        """Open the sealed dialogue data; an unreadable seal (a dropped key) ends the dialogue."""
        sealed = self._data.pop(SEALED, None)
        if sealed is None:
            return
        try:
            self._data["data"] = json.loads(cipher.decrypt(sealed))
        except ValueError:
            self._data["data"] = {}
            self._data["touched"] = 1.0  # long past: announced as expired

    def _stored(self) -> str:
        """The record as stored: the dialogue data sealed, the rest (names, steps, list ids) plain."""
        record = {key: value for key, value in self._data.items() if key != "data"}
        if self._data.get("data"):
            record[SEALED] = cipher.encrypt(json.dumps(self._data["data"], ensure_ascii=False))
        return json.dumps(record, ensure_ascii=False)

    def _save(self) -> None:
        if not self.available:
            raise StateUnavailable()
        self._data["touched"] = self._now.timestamp()
        if self._deferred:
            self._dirty = True
            return
        try:
            self._client.set(self._key, self._stored(), ex=self._ttl + KEEP_SECONDS)
        except redis.RedisError as exc:
            self.available = False
            raise StateUnavailable() from exc

    def stage(self, pipe) -> None:
        """Add the pending write of a deferred state, if any, to ``pipe`` (a Redis pipeline)."""
        if self._dirty:
            pipe.set(self._key, self._stored(), ex=self._ttl + KEEP_SECONDS)
            self._dirty = False

    # -- dialogue -------------------------------------------------------
    @property
    def dialogue(self) -> str | None:
        """Name of the dialogue in progress, if any."""
        return self._data.get("dialogue")

    @property
    def step(self) -> str | None:
        """Current step of the dialogue."""
        return self._data.get("step")

    @property
    def data(self) -> dict[str, Any]:
        """Values collected so far in the dialogue (a copy; use :meth:`enter` to change)."""
        return dict(self._data.get("data") or {})

    def enter(self, dialogue: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Start or advance a dialogue."""
        self._data.update(dialogue=dialogue, step=step, data=data if data is not None else self.data)
        self._save()

    def clear(self) -> bool:
        """Leave any dialogue; True when there was one to leave."""
        had = bool(self._data.get("dialogue"))
        for name in ("dialogue", "step", "data"):
            self._data.pop(name, None)
        if self.available:
            self._save()
        return had

    # -- last list --------------------------------------------------------
    def remember_list(self, kind: str, ids: list[int], page: int = 1, extra: dict | None = None) -> None:
        """Remember the numbered list just shown (no write when the same list was remembered lately)."""
        shown = {"kind": kind, "ids": ids, "page": page, "extra": extra or {}}
        fresh = self._now.timestamp() - (self._data.get("touched") or 0) < REWRITE_SECONDS
        if self._data.get("list") == shown and fresh and not self._data.get("dialogue"):
            return
        self._data["list"] = shown
        if self.available:
            self._save()

    @property
    def last_list(self) -> dict[str, Any] | None:
        """The last numbered list shown, or None."""
        return self._data.get("list")

    def touch(self) -> None:
        """Keep an active dialogue alive."""
        if self.available and self._data.get("dialogue"):
            self._save()
