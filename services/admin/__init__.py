"""The staff side's own records: the audit log, staff accounts, statistics, spreadsheet exports."""

from __future__ import annotations

from services.admin import audit, exports, overdue, rating_stats, staff, stats, wechat_binding

__all__ = ["audit", "exports", "overdue", "rating_stats", "staff", "stats", "wechat_binding"]
