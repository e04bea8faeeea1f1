"""One access token shared by several processes through Redis (against the emulator)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from wechatpy.exceptions import WeChatClientException

from services.messaging.wechat_client import SharedTokenClient
from tests.emulator.helpers import start_emulator

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def emulator():
    emu, server = start_emulator()
    yield emu
    server.stop()


def run_two_processes(emulator_base: str, redis_url: str, calls: int = 15) -> list[str]:
    start_at = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.services.messaging.token_worker", emulator_base, redis_url, str(calls), str(start_at)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def token_fetches(emulator) -> int:
    return emulator.admin("GET", "/stats")["token_fetches"]["total"]


def test_two_processes_share_one_token(emulator, redis_server, redis_client):
    outputs = run_two_processes(emulator.base, redis_server)
    assert token_fetches(emulator) == 1
    assert sorted(outputs) == ["fetches=0", "fetches=1"]


def test_expired_token_is_refreshed_once_for_both_processes(emulator, redis_server, redis_client):
    run_two_processes(emulator.base, redis_server, calls=2)
    emulator.move_clock(7300)  # WeChat now answers 42001 for the shared token
    run_two_processes(emulator.base, redis_server, calls=5)
    assert token_fetches(emulator) == 2


def test_invalidated_token_is_refreshed_and_the_call_retried(emulator, redis_client):
    client = SharedTokenClient("wx_demo_appid", "demo_secret", emulator.base, redis_client)
    client.user.get_followers()
    redis_client.set(client.token_key, "not-a-token-wechat-knows")
    assert "total" in client.user.get_followers()  # 40001 → refresh under the lock → retried once
    assert client.fetch_count == 2


def test_busy_answer_is_retried_with_backoff_then_raised(emulator, redis_client):
    client = SharedTokenClient("wx_demo_appid", "demo_secret", emulator.base, redis_client)
    client.user.get_followers()
    before = emulator.admin("GET", "/stats")["endpoints"].get("/cgi-bin/user/get", 0)
    emulator.admin("POST", "/faults", {"rate": 1.0, "kinds": ["-1"], "paths": ["/cgi-bin/user/get"]})
    try:
        with pytest.raises(WeChatClientException) as caught:
            client.user.get_followers()
    finally:
        emulator.admin("DELETE", "/faults")
    assert caught.value.errcode == -1
    assert emulator.admin("GET", "/stats")["endpoints"]["/cgi-bin/user/get"] - before == 3  # 1 try + 2 retries
