"""Secrets and personal data never appear in the logs (openids, when logged, only hashed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_AES_KEY
from tests.reliability.log_probe import SECRETS

ROOT = Path(__file__).resolve().parents[2]


def test_logs_carry_no_secret_no_mobile_and_no_clear_openid(redis_server, redis_client):
    result = subprocess.run([sys.executable, "-m", "tests.reliability.log_probe", redis_server], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    logs = result.stdout + result.stderr
    assert "webhook.forbidden" in logs and "webhook.bad_request" in logs, "the probe produced webhook logs"
    for secret in [*SECRETS.values(), TEST_AES_KEY, "Probe-Pass-2026", "wrong-Probe-Pass", "13700001111", "赵六",
                   "o_log_probe_openid"]:
        assert secret not in logs, f"{secret!r} leaked into the logs"
