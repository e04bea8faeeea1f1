"""What people type, at the door: one cleaning of every text a citizen or staff member enters
(:func:`clean_text`, used by the chat, the citizens' pages and the console's forms), the Chinese
messages and cleaning filter of every web form (:class:`InputMeta`), and the flood limit on
citizens' posts (:func:`check_post`)."""

from __future__ import annotations

from services.intake.flood import (
    KINDS,
    QUESTION,
    RATING_COMMENT,
    SUGGESTION,
    TooManyPosts,
    check_post,
    configure,
)
from services.intake.forms import FORM_MESSAGES, ChineseMessages, InputMeta
from services.intake.text import clean_text

__all__ = ["FORM_MESSAGES", "KINDS", "QUESTION", "RATING_COMMENT", "SUGGESTION", "ChineseMessages", "InputMeta",
           "TooManyPosts", "check_post", "clean_text", "configure"]
