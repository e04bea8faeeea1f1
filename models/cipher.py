"""The personal-data cipher: encryption at rest, key rotation.

Keys come from ``PERSONAL_DATA_KEY`` (comma-separated Fernet keys, newest first);
in development a key is derived from ``SECRET_KEY``. Older keys still decrypt,
so rotation is: prepend a new key, run ``flask pii rotate``, drop the old key.
It lives beside the models because :class:`models.types.EncryptedText` needs it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_cipher: MultiFernet | None = None
_primary: Fernet | None = None


def derive_key(secret: str) -> str:
    """A Fernet key derived from a passphrase (development only)."""
    digest = hashlib.sha256(("pii:" + secret).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def configure(personal_data_key: str, secret_key: str) -> None:
    """Install the cipher; called once by the app factory and by worker processes."""
    global _cipher
    raw = personal_data_key or derive_key(secret_key)
    global _primary
    keys = [Fernet(k.strip().encode()) for k in raw.split(",") if k.strip()]
    _cipher = MultiFernet(keys)
    _primary = keys[0]


def _require() -> MultiFernet:
    if _cipher is None:
        raise RuntimeError("personal-data cipher not configured; call models.cipher.configure first")
    return _cipher


def encrypt(value: str) -> str:
    """Ciphertext (ASCII) of ``value``."""
    return _require().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Clear text of a stored value; an unreadable value is shown as a marker, never raised."""
    try:
        return _require().decrypt(token.encode()).decode()
    except InvalidToken:
        return "【无法解密】"


def rotate(token: str) -> str:
    """The value re-encrypted under the newest key, or unchanged when it already is."""
    _require()
    try:
        _primary.decrypt(token.encode())
        return token
    except InvalidToken:
        return _cipher.rotate(token.encode()).decode()
