"""Citizens: who follows the account and when they last spoke to it.

The last interaction time decides whether a customer-service message is still
allowed (WeChat's 48-hour window), so every inbound message records it: the
webhook notes it in Redis and :mod:`interactions` writes it here in batches;
:func:`record_interaction` is the direct write when Redis is unreachable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import Citizen

# Events after which WeChat opens the customer-service window (a menu click, a scan, a follow).
WINDOW_EVENTS = frozenset({"click", "scancode_push", "scancode_waitmsg", "subscribe", "scan"})


def get_or_create(session, openid: str, now: dt.datetime) -> Citizen:
    """The citizen with ``openid``, created on first contact."""
    citizen = session.scalar(select(Citizen).where(Citizen.openid == openid))
    if citizen is not None:
        return citizen
    citizen = Citizen(openid=openid, created_at=now, following=True, followed_at=now)
    try:
        with session.begin_nested():
            session.add(citizen)
    except IntegrityError:
        # A concurrent request created the same citizen first; use that row.
        citizen = session.scalar(select(Citizen).where(Citizen.openid == openid))
    return citizen


def touch(session, openid: str, now: dt.datetime, interactive: bool = True) -> Citizen:
    """Record that the citizen just interacted (opens the 48-hour window)."""
    citizen = get_or_create(session, openid, now)
    if interactive:
        citizen.last_interaction_at = now
    return citizen


def record_interaction(session, openid: str, now: dt.datetime, interactive: bool = True,
                       followed: bool = False) -> None:
    """:func:`touch` without loading the citizen: one UPDATE when they are known, else created."""
    if followed:
        follow(session, openid, now).last_interaction_at = now
        return
    if interactive:
        result = session.execute(update(Citizen).where(Citizen.openid == openid).values(last_interaction_at=now),
                                 execution_options={"synchronize_session": False})
        if result.rowcount:
            return
    touch(session, openid, now, interactive=interactive)


def follow(session, openid: str, now: dt.datetime) -> Citizen:
    """The citizen followed (or re-followed) the account."""
    citizen = get_or_create(session, openid, now)
    citizen.following = True
    citizen.followed_at = now
    citizen.updated_at = now
    return citizen


def unfollow(session, openid: str, now: dt.datetime) -> Citizen:
    """The citizen unfollowed: every push to them stops."""
    citizen = get_or_create(session, openid, now)
    citizen.following = False
    citizen.unfollowed_at = now
    citizen.updated_at = now
    return citizen
