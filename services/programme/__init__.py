"""The programme: events as citizens see them, staff event administration, the event cache,
the timing rules and their wording, closing reports, and the one announcement."""

from __future__ import annotations

from services.programme import closing, deadline_texts, deadlines, event_admin, event_cache, events

__all__ = ["closing", "deadline_texts", "deadlines", "event_admin", "event_cache", "events"]
