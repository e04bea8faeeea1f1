"""Public selection (公开遴选): quotas, the seeded draw, background draws, verification, confirmation.

Callers use this facade; ``runs`` holds runs and quotas, ``engine`` the pure draw
(on ``sortition-algorithms``), ``type_maximin`` the maximin over applicant types,
``process`` the child process with its time budget, ``background`` the console's
draws, ``confirm`` verification and confirmation, ``preview`` what quotas mean for an
expected pool, ``record`` the public record of a confirmed draw, ``lottery`` the rounding of
maximin into m equally likely panels, ``sealing`` the seal, the draw by a public
number and the public record of a sealed lottery, ``texts`` the wording.
"""

from __future__ import annotations

from services.selection import engine, lottery, texts
from services.selection.background import start_draw_in_background
from services.selection.background import wait as wait_for_background
from services.selection.confirm import closes_applications_early, confirm, verify
from services.selection.preview import Preview, PreviewImpossible, preview
from services.selection.record import DrawRecord, public_record, record_url
from services.selection.runs import (
    ACTIVE_RUN,
    BASE_QUOTAS,
    BASE_SEATS,
    DEFAULT_TIME_BUDGET,
    PURPOSES,
    AlreadyConfirmed,
    DrawInProgress,
    EventNotFound,
    InvalidRequest,
    LotterySealed,
    RunNotReady,
    SelectionError,
    check_feasibility,
    create_run,
    default_quotas,
    execute_run,
    invitations,
    latest_run,
    normalise_quotas,
    panel_counts,
    pool_of,
    quota_adjustments,
    run_draw,
    seats_to_draw,
)
from services.selection.sealing import (
    AlreadyDrawn,
    AlreadySealed,
    InvalidBeacon,
    NotSealed,
    current_seal,
    due_for_seal,
)
from services.selection.sealing import draw as draw_with_beacon
from services.selection.sealing import public_record as lottery_record
from services.selection.sealing import public_record_text as lottery_record_text
from services.selection.sealing import seal as seal_lottery

__all__ = [
    "AlreadyDrawn", "AlreadySealed", "InvalidBeacon", "LotterySealed", "NotSealed", "current_seal",
    "draw_with_beacon", "due_for_seal", "lottery", "lottery_record", "lottery_record_text", "seal_lottery",
    "ACTIVE_RUN", "BASE_QUOTAS", "BASE_SEATS", "DEFAULT_TIME_BUDGET", "PURPOSES", "AlreadyConfirmed",
    "DrawInProgress", "DrawRecord", "EventNotFound", "InvalidRequest", "Preview", "PreviewImpossible", "RunNotReady", "SelectionError", "check_feasibility",
    "closes_applications_early",
    "confirm", "create_run", "default_quotas", "engine", "execute_run", "invitations", "latest_run",
    "normalise_quotas", "panel_counts", "pool_of", "preview", "public_record", "record_url", "quota_adjustments", "run_draw", "seats_to_draw", "start_draw_in_background",
    "texts", "verify", "wait_for_background",
]
