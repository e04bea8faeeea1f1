"""Citizens taking part: applications, the waiting list, check-in and its codes, citizens and
their interaction window (written behind the webhook), topic subscriptions, suggestions and their adoption progress,
questions before a policy lecture, the district's streets."""

from __future__ import annotations

from services.participation import (
    applications,
    checkin,
    checkin_codes,
    citizens,
    interactions,
    progress,
    questions,
    rating_followups,
    rating_invitations,
    rating_texts,
    ratings,
    streets,
    subscriptions,
    suggestions,
    waitlist,
)

__all__ = ["applications", "checkin", "checkin_codes", "citizens", "interactions", "progress", "questions", "rating_followups",
           "rating_invitations", "rating_texts", "ratings", "streets", "subscriptions", "suggestions", "waitlist"]
