"""The answered questions of a policy lecture on its public page (no one's identity), and whether it still takes questions."""

from __future__ import annotations

from models import EventKind, db
from public import bp
from services.calendar import clock
from services.participation import moderation, questions, questions_texts


@bp.app_template_global("lecture_questions")
def lecture_questions(event) -> dict | None:
    """For a policy lecture: its answered questions approved for the page and whether 提问 still reaches it; else None."""
    if event.kind != EventKind.POLICY_LECTURE:
        return None
    try:
        questions.lecture_for_questions(db.session, event.id, clock.now())
        taking = True
    except questions.QuestionError:
        taking = False
    # Only what staff approved (masked, services.participation.moderation) reaches the page.
    answered = [{"text": item.text, "reply": item.answer if question.reply else "", "status": question.status}
                for question, item in moderation.public_questions(db.session, event.id)]
    return {"answered": answered, "taking": taking,
            "labels": questions_texts.STATUS_LABELS}
