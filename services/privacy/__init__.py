"""Personal data: masking and hashing for display and logs, retention, a citizen's own data.

Encryption at rest is below this room, in :mod:`models.cipher`, because the
encrypted column type needs it.
"""

from __future__ import annotations

from services.privacy import mydata, pii, retention
from services.privacy.pii import hash_openid, mask_mobile, mask_name, mask_pass_code

__all__ = ["hash_openid", "mask_mobile", "mask_name", "mask_pass_code", "mydata", "pii", "retention"]
