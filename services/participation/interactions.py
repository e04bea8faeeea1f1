"""Citizens' interaction times and follows, written behind the webhook in batches.

Every message a citizen sends opens WeChat's 48-hour customer-service window,
and a first message makes them known to the service. Writing that to the
database on the webhook's hot path cost a transaction per message (six
statements on first contact). Instead the webhook notes it in Redis, in the
pipeline that already stores its reply (:func:`note`), and the scheduler's
``record_interactions`` job moves the notes into ``citizens`` in batches
(:func:`flush`), every ``INTERACTION_FLUSH_SECONDS``.

Nothing is lost on the way:

- the notes live in one Redis sorted set (:data:`PENDING_KEY`), so they survive
  a web worker's or the scheduler's restart; ``ZADD GT`` keeps the latest time
  of each citizen, whatever order the notes arrive in;
- a flush first renames the set to :data:`FLUSHING_KEY` (new notes start a new
  set), writes the citizens in chunks, each chunk committed before its members
  leave the set; a flush killed in the middle leaves the rest of the set where
  the next flush (which always finishes an old set before taking a new one)
  finds it;
- each chunk is an upsert that keeps the later of the stored and the noted
  time, so writing a chunk twice (killed after the commit, before the removal)
  changes nothing.

A follow is noted with its time too; the upsert sets ``following`` only when
the follow is later than the last unfollow (which is written at once, with its
cancellations), so a follow and an unfollow in either order end as they happened.

Readers of these columns (the customer-service window of the delivery workers,
retention, statistics) see a citizen's message at most one flush interval late;
``docs/delivery.md`` says what that means for a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite

from models import Citizen

PENDING_KEY = "citizens:noted"
FLUSHING_KEY = "citizens:noted:flushing"
# Member prefixes: a message or event that opens the window; a contact that opens nothing (a VIEW, a
# template report: the citizen only has to exist); a follow.
SEEN, CONTACT, FOLLOW = "s:", "c:", "f:"
CHUNK = 500


def note(pipe, openid: str, now: dt.datetime, interactive: bool, followed: bool = False) -> None:
    """Add the citizen's contact to ``pipe`` (a Redis pipeline the caller executes)."""
    score = now.timestamp()
    members = {(SEEN if interactive else CONTACT) + openid: score}
    if followed:
        members[FOLLOW + openid] = score
    pipe.zadd(PENDING_KEY, members, gt=True)


@dataclass
class Noted:
    """What the notes of one citizen come to."""

    openid: str
    first: dt.datetime
    seen: dt.datetime | None = None
    followed: dt.datetime | None = None

    def add(self, kind: str, moment: dt.datetime) -> None:
        self.first = min(self.first, moment)
        if kind == SEEN:
            self.seen = moment
        elif kind == FOLLOW:
            self.followed = moment


def collect(members: Iterable[tuple[bytes | str, float]]) -> dict[str, Noted]:
    """Group the members of a chunk by citizen."""
    out: dict[str, Noted] = {}
    for raw, score in members:
        member = raw.decode() if isinstance(raw, bytes) else raw
        kind, openid = member[:2], member[2:]
        if kind not in (SEEN, CONTACT, FOLLOW) or not openid:
            continue
        moment = dt.datetime.fromtimestamp(score, dt.UTC)
        noted = out.setdefault(openid, Noted(openid, moment))
        noted.add(kind, moment)
    return out


def flush(session, client: redis.Redis, chunk: int = CHUNK) -> int:
    """Write every pending note to ``citizens``; how many citizens were written.

    Safe to run in several processes at once and to kill at any point (see the module's docstring).
    """
    written = _drain(session, client, chunk)  # a set left by a flush that died
    try:
        client.renamenx(PENDING_KEY, FLUSHING_KEY)  # False: another flush took a set just now; drain it
    except redis.ResponseError:
        return written  # nothing pending
    return written + _drain(session, client, chunk)


def _drain(session, client: redis.Redis, chunk: int) -> int:
    """Write the flushing set chunk by chunk, each committed before its notes leave the set."""
    written = 0
    while True:
        members = client.zrange(FLUSHING_KEY, 0, chunk - 1, withscores=True)
        if not members:
            return written
        noted = collect(members)
        write(session, noted.values())
        session.commit()
        client.zrem(FLUSHING_KEY, *(member for member, _ in members))
        written += len(noted)


def write(session, noted: Iterable[Noted]) -> None:
    """Upsert the citizens: create the unknown ones, keep the later of the stored and the noted times."""
    rows = list(noted)
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    contacts = [{"openid": n.openid, "created_at": n.first, "following": True, "followed_at": n.followed or n.first,
                 "last_interaction_at": n.seen} for n in rows]
    stmt = insert(Citizen)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Citizen.openid],
        set_={"last_interaction_at": _later(Citizen.last_interaction_at, stmt.excluded.last_interaction_at)},
    ), contacts)
    follows = [{"openid": n.openid, "created_at": n.first, "following": True, "followed_at": n.followed,
                "updated_at": n.followed} for n in rows if n.followed is not None]
    if follows:
        stmt = insert(Citizen)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[Citizen.openid],
            set_={"following": case((Citizen.unfollowed_at.is_(None), True),
                                    (stmt.excluded.followed_at > Citizen.unfollowed_at, True),
                                    else_=Citizen.following),
                  "followed_at": _later(Citizen.followed_at, stmt.excluded.followed_at),
                  "updated_at": _later(Citizen.updated_at, stmt.excluded.updated_at)},
        ), follows)


def _later(stored, noted):
    """The later of two nullable times, in SQL that SQLite and PostgreSQL both read."""
    return case((noted.is_(None), stored), (stored.is_(None), noted), (noted > stored, noted), else_=stored)


def noted_seen(client: redis.Redis | None, openids: Iterable[str]) -> dict[str, dt.datetime]:
    """The latest interaction of each citizen noted but perhaps not yet written (both sets), in one round trip.

    The delivery workers merge it into the stored time, so a customer-service message sent seconds
    after the citizen wrote is not pushed out of the 48-hour window by the write-behind. Redis
    unreachable: ``{}`` (the stored times alone decide, as before).
    """
    openids = list(openids)
    if client is None or not openids:
        return {}
    members = [SEEN + openid for openid in openids]
    try:
        pipe = client.pipeline(transaction=False)
        pipe.zmscore(PENDING_KEY, members)
        pipe.zmscore(FLUSHING_KEY, members)
        pending, flushing = pipe.execute()
    except redis.RedisError:
        return {}
    out = {}
    for openid, *scores in zip(openids, pending, flushing, strict=True):
        known = [score for score in scores if score is not None]
        if known:
            out[openid] = dt.datetime.fromtimestamp(max(known), dt.UTC)
    return out


def oldest_pending(client: redis.Redis, now: dt.datetime) -> float | None:
    """How many seconds the oldest note has waited (``None`` when nothing waits): a stopped scheduler shows here."""
    pipe = client.pipeline(transaction=False)
    pipe.zrange(PENDING_KEY, 0, 0, withscores=True)
    pipe.zrange(FLUSHING_KEY, 0, 0, withscores=True)
    scores = [score for found in pipe.execute() for _member, score in found]
    return max(0.0, now.timestamp() - min(scores)) if scores else None


def pending_count(client: redis.Redis) -> int:
    """Notes waiting to be written (both sets; a citizen has one per kind), for ``/metrics`` and the tests."""
    pipe = client.pipeline(transaction=False)
    pipe.zcard(PENDING_KEY)
    pipe.zcard(FLUSHING_KEY)
    return sum(pipe.execute())
