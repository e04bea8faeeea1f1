"""``python -m emulator`` and the wechatpy SDK against the emulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.emulator.helpers import APPID, SECRET, Emulator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_m_emulator_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "EMU_TOKEN_TTL": "600"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                assert requests.get(base + "/_admin/ping", timeout=1).json()["ok"] is True
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("python -m emulator did not start")
                time.sleep(0.1)
        params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        assert requests.get(base + "/cgi-bin/token", params=params, timeout=5).json()["expires_in"] == 600
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class EmulatorClient(WeChatClient):
    """wechatpy's client pointed at the emulator (its token URL is hard-coded)."""

    def __init__(self, base: str) -> None:
        super().__init__(APPID, SECRET, timeout=5)
        self.API_BASE_URL = base + "/cgi-bin/"
        self.base = base

    def fetch_access_token(self) -> dict:
        """Fetch from the emulator instead of api.weixin.qq.com."""
        return self._fetch_access_token(
            url=self.base + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def test_wechatpy_client_works_against_the_emulator(emulator: Emulator) -> None:
    client = EmulatorClient(emulator.base)
    client.menu.create({"button": [{"type": "click", "name": "活动", "key": "EVENTS"}]})
    assert client.menu.get()["menu"]["button"][0]["key"] == "EVENTS"
    emulator.follower("o_sdk", interaction="message")
    client.message.send_text("o_sdk", "您好")
    result = client.message.send_template("o_sdk", "tmpl_notice", {"thing1": {"value": "报名开始"}, "thing2": {"value": "政务开放日"},
                                                                  "time3": {"value": "10月12日 09:00"}})
    assert result["msgid"] > 0
    assert client.user.get("o_sdk")["subscribe"] == 1
    emulator.follower("o_quiet")
    with pytest.raises(WeChatClientException) as error:
        client.message.send_text("o_quiet", "窗口外")
    assert error.value.errcode == 45015
    assert [m["kind"] for m in emulator.messages("o_sdk")] == ["custom", "template"]
