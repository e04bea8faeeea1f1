"""The outbox: every outgoing message is first a row, unique by (recipient, purpose, subject).

Callers enqueue inside the same transaction as the change that causes the
message (a selection confirmed, a reply published), so a crash either keeps
both or neither. Delivery workers pick rows up later (``services.messaging.delivery``).

Payload convention (a dict, JSON):
  ``text``      full text for a customer-service message (≤ 2,048 bytes);
  ``template``  purpose key of a template in ``WECHAT_TEMPLATE_IDS`` (selection, reminder, reply, notice);
  ``data``      template fields ``{name: value}`` (each ≤ 20 characters, no line breaks);
  ``url``       optional link opened from the template card.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import OutboxMessage, OutboxStatus


def message_key(recipient: str, purpose: str, subject: str) -> str:
    """The unique key of a message."""
    return f"{recipient}|{purpose}|{subject}"


def enqueue(session, recipient: str, purpose: str, subject: str, payload: dict, now: dt.datetime,
            due_at: dt.datetime | None = None, channel: str = "auto") -> OutboxMessage:
    """Add a message unless the same (recipient, purpose, subject) is already queued; return the row."""
    key = message_key(recipient, purpose, str(subject))
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        key=key, recipient=recipient, purpose=purpose, subject=str(subject), payload=payload,
        channel=channel, status=OutboxStatus.PENDING, due_at=due_at or now, created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # A concurrent transaction queued the same message first.
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    return message


def cancel_pending(session, purpose: str, subject: str, now: dt.datetime) -> int:
    """Cancel messages not yet sent (e.g. reminders of a cancelled event); returns how many."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.purpose == purpose, OutboxMessage.subject == str(subject),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.CANCELLED
        row.updated_at = now
    return len(rows)
