"""Time and working days: the one clock, the official working-day calendar, its holiday files."""

from __future__ import annotations

from services.calendar import clock, holiday_files, schedule, workdays

__all__ = ["clock", "holiday_files", "schedule", "workdays"]
