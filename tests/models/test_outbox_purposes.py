"""Issue 26 (12): every purpose the services queue under has one Chinese label, beside its enum."""

from __future__ import annotations

from models import OutboxPurpose, purpose_label
from services.messaging import broadcasts, reminders
from services.participation import progress, questions, rating_followups, rating_invitations, suggestions, waitlist
from services.programme import closing, deadlines, events
from services.selection import runs


def test_every_purpose_the_services_use_is_labelled():
    used = {broadcasts.PURPOSE_MASS, broadcasts.PURPOSE_SEGMENT, broadcasts.PURPOSE_PREVIEW, reminders.REMINDER,
            reminders.DEADLINE, reminders.DIGEST, deadlines.REMINDER_PURPOSE, closing.RECORDING_PURPOSE,
            questions.REPLY_PURPOSE, progress.PUSH_PURPOSE, waitlist.OFFER_PURPOSE, waitlist.EXPIRED_PURPOSE,
            suggestions.REPLY_PURPOSE, rating_invitations.PURPOSE, rating_followups.PURPOSE, events.TOPIC_NOTICE,
            OutboxPurpose.EVENT_CANCELLED, OutboxPurpose.EVENT_POSTPONED, *runs.PURPOSES.values()}
    assert used == {purpose.value for purpose in OutboxPurpose}
    for purpose in used:
        label = purpose_label(purpose)
        assert label and label.isascii() is False and "_" not in label


def test_a_name_no_longer_used_never_shows_as_a_raw_key():
    assert purpose_label("old_purpose_name") == "其他消息"
