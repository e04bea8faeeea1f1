"""SQLAlchemy tables only. Import from here: ``from models import Event, db``."""

from models.base import Base, db, run
from models.broadcast import Broadcast, BroadcastAudience, BroadcastKind, BroadcastStatus
from models.coordination import (
    ChangeReportStatus,
    EventChangeReport,
    ModerationItem,
    ModerationKind,
    ModerationStatus,
    SuggestionTriage,
)
from models.engagement import (
    AdoptionProgress,
    LectureQuestion,
    ProgressStage,
    QuestionStatus,
)
from models.messaging import InboundMessage, OutboxMessage, OutboxPurpose, OutboxStatus, purpose_label
from models.people import (
    Adoption,
    Application,
    ApplicationStatus,
    Citizen,
    Suggestion,
    SuggestionStatus,
    citizen_topics,
    random_application_number,
)
from models.programme import Event, EventKind, EventMode, EventStatus, Topic, Unit
from models.rating import LivestreamView, Rating, RatingFollowUp
from models.selection import SelectionRun, SelectionSeal, SelectionStatus
from models.staff import AuditLog, StaffRole, StaffUser

__all__ = [
    # after the event: adoption progress and lecture questions (models/engagement.py)
    "AdoptionProgress",
    # the coordinator's side: triage and moderation (models/coordination.py)
    "ChangeReportStatus",
    "EventChangeReport",
    "ModerationItem",
    "ModerationKind",
    "ModerationStatus",
    "SuggestionTriage",
    "LectureQuestion",
    "LivestreamView",
    "ProgressStage",
    "QuestionStatus",
    "Adoption",
    "Application",
    "ApplicationStatus",
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastAudience",
    "BroadcastKind",
    "BroadcastStatus",
    "Citizen",
    "Event",
    "EventKind",
    "EventMode",
    "EventStatus",
    "InboundMessage",
    "OutboxMessage",
    "OutboxPurpose",
    "OutboxStatus",
    "Rating",
    "RatingFollowUp",
    "SelectionRun",
    "SelectionSeal",
    "random_application_number",
    "SelectionStatus",
    "StaffRole",
    "StaffUser",
    "Suggestion",
    "SuggestionStatus",
    "Topic",
    "Unit",
    "citizen_topics",
    "db",
    "purpose_label",
    "run",
]
