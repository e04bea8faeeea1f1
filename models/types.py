"""Column types shared by the tables: enums stored by value, and personal data encrypted at rest.

The cipher (Fernet keys from ``PERSONAL_DATA_KEY``) is installed once at start by
``models.cipher.configure``; the database file never holds a name or mobile in clear.
"""

from __future__ import annotations

import enum

from sqlalchemy import Enum, Text
from sqlalchemy.types import TypeDecorator

from models import cipher


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value (readable in SQL, stable across renames of members)."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


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
