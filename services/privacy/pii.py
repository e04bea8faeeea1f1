"""Personal data in display and logs: masked names, mobiles and check-in codes, hashed openids.

Encryption at rest is :mod:`models.cipher`.
"""

from __future__ import annotations

import hashlib

from config.redaction import mask_pass_code  # noqa: F401  (the console shows auditors masked check-in codes)


def mask_mobile(mobile: str | None) -> str:
    """138****8000 style."""
    if not mobile:
        return ""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_name(name: str | None) -> str:
    """张* / 欧阳** style: keep the first character."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def hash_openid(openid: str) -> str:
    """A short stable hash for logs, so openids never appear in clear."""
    return hashlib.sha256(openid.encode()).hexdigest()[:12]
