"""Topic subscriptions (订阅) and stopping every push when a citizen unfollows the account."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select

from models import Citizen, OutboxMessage, OutboxStatus, Topic, citizen_topics, run
from services.participation import citizens


class TopicNotFound(LookupError):
    """No such topic."""


_FOLLOWED = (select(citizen_topics.c.topic_id).join(Citizen, citizen_topics.c.citizen_id == Citizen.id)
             .where(Citizen.openid == bindparam("openid")))


def followed_ids(session, openid: str) -> set[int]:
    """Ids of the topics the citizen follows."""
    return set(run(session, _FOLLOWED, openid=openid).scalars())


def toggle(session, openid: str, topic_id: int, now: dt.datetime) -> tuple[Topic, bool]:
    """Follow the topic if not followed, else stop; returns the topic and whether it is now followed."""
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise TopicNotFound(topic_id)
    citizen = citizens.get_or_create(session, openid, now)
    if topic in citizen.topics:
        citizen.topics.remove(topic)
        following = False
    else:
        citizen.topics.append(topic)
        following = True
    citizen.erased_at = None if following else citizen.erased_at  # following again means wanting pushes
    citizen.updated_at = now
    return topic, following


def follow(session, openid: str, topic_id: int, now: dt.datetime) -> Topic:
    """Follow a topic (no change if already followed)."""
    topic, following = toggle(session, openid, topic_id, now)
    if not following:
        toggle(session, openid, topic_id, now)
    return topic


def unfollow(session, openid: str, topic_id: int, now: dt.datetime) -> Topic:
    """Stop following a topic (no change if not followed)."""
    topic, following = toggle(session, openid, topic_id, now)
    if following:
        toggle(session, openid, topic_id, now)
    return topic


def cancel_pending_pushes(session, openid: str, now: dt.datetime) -> int:
    """Cancel every message not yet sent to the citizen; how many."""
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == openid, OutboxMessage.status == OutboxStatus.PENDING)).all()
    for row in rows:
        row.status = OutboxStatus.CANCELLED
        row.updated_at = now
    return len(rows)


def account_unfollowed(session, openid: str, now: dt.datetime) -> Citizen:
    """The citizen unfollowed the account: mark it and stop every push queued for them.

    Services that queue messages skip citizens who do not follow; delivery
    workers must check ``Citizen.following`` too (a row queued before the unfollow).
    """
    citizen = citizens.unfollow(session, openid, now)
    cancel_pending_pushes(session, openid, now)
    return citizen
