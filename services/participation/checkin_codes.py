"""Check-in codes: short, random, unique, and free of characters people confuse."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Application

# No 0/O, 1/I/L: a code read aloud at the door or copied by hand stays unambiguous.
CHECKIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECKIN_LENGTH = 6


def generate_checkin_code(length: int = CHECKIN_LENGTH) -> str:
    """A random code over :data:`CHECKIN_ALPHABET` (31 symbols; 6 of them give ~887 million codes)."""
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(length))


def assign_checkin_code(session, application: Application, attempts: int = 10) -> str:
    """Give the application a unique check-in code (kept if it already has one)."""
    if application.checkin_code:
        return application.checkin_code
    for _ in range(attempts):
        code = generate_checkin_code()
        if session.scalar(select(Application.id).where(Application.checkin_code == code)) is not None:
            continue
        try:
            with session.begin_nested():
                application.checkin_code = code
                session.flush()
            return code
        except IntegrityError:
            # A concurrent assignment took the same code; draw again.
            session.refresh(application)
            if application.checkin_code:
                return application.checkin_code
    raise RuntimeError("could not draw a unique check-in code")
