"""Column types for personal data: values are encrypted at rest.

The cipher (Fernet keys from ``PERSONAL_DATA_KEY``) is installed once at start by
``models.cipher.configure``; the database file never holds a name or mobile in clear.
"""

from __future__ import annotations

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from models import cipher


class EncryptedText(TypeDecorator):
    """Text encrypted with the service's personal-data key (Fernet, rotatable)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return cipher.decrypt(value)
