"""Answering what citizens wrote, with what follows every answer: linked near-duplicates and moderation.

The console calls these instead of the bare ``suggestions.reply`` / ``questions``
functions: a published reply reaches every citizen whose suggestion was linked to
this one, and an adopted suggestion or an answered question is queued (masked) for
approval before a public page shows it. A question answered live is told to the
citizen who asked, once.
"""

from __future__ import annotations

import datetime as dt

from models import Citizen, LectureQuestion
from services.messaging import outbox, wording
from services.participation import moderation, moderation_texts, questions, suggestions, triage
from services.programme import links

LIVE_PURPOSE = "question_answered_live"


def reply_suggestion(session, suggestion_id: int, staff, adoption, reply_text: str, reason: str, now: dt.datetime,
                     publish: bool = True, ip: str = ""):
    """``suggestions.reply``; once published, the linked suggestions get the same reply and each goes to moderation."""
    if publish:  # links made by suggestions the scheduler's triage has not reached yet
        triage.run_pending(session, now)
    suggestion = suggestions.reply(session, suggestion_id, staff, adoption, reply_text, reason, now, publish=publish,
                                   ip=ip)
    if publish:
        for answered in [suggestion, *triage.reply_linked(session, suggestion, staff, now, ip=ip)]:
            moderation.submit_suggestion(session, answered, now)
    return suggestion


def answer_live(session, question_id: int, staff, now: dt.datetime, ip: str = "", base_url: str | None = None
                ) -> LectureQuestion:
    """Mark a question answered at the lecture, tell the asker once, and queue it for the lecture's page."""
    question = questions.mark_live(session, question_id, staff, now, ip=ip)
    _tell_live(session, question, now, base_url)
    moderation.submit_question(session, question, now)
    return question


def answer_in_writing(session, question_id: int, staff, text: str, now: dt.datetime, ip: str = "",
                      base_url: str | None = None) -> LectureQuestion:
    """``questions.reply`` (pushed to the asker), then queued for the lecture's page."""
    question = questions.reply(session, question_id, staff, text, now, ip=ip, base_url=base_url)
    moderation.submit_question(session, question, now)
    return question


def _tell_live(session, question: LectureQuestion, now: dt.datetime, base_url: str | None) -> None:
    citizen = session.get(Citizen, question.citizen_id) if question.citizen_id else None
    if citizen is None or not citizen.following or question.erased_at is not None:
        return
    event = question.event
    text = moderation_texts.ANSWERED_LIVE_PUSH.format(title=event.title, question=question.text)
    payload = {"text": wording.fit_bytes(text, tail=moderation_texts.ANSWERED_LIVE_TAIL), "template": "reply",
               "data": {"title": wording.field(event.title),
                        "status": wording.field(moderation_texts.CARD_ANSWERED_LIVE),
                        "time": wording.field(wording.when_short(now)),
                        "unit": event.unit.name if event.unit else wording.REPLY_UNIT_DEFAULT},
               "url": links.page_url(event.id, base_url)}
    outbox.enqueue(session, citizen.openid, LIVE_PURPOSE, f"question:{question.id}", payload, now)
