"""Fault injection and latency."""

from __future__ import annotations

import time
from collections import Counter

import requests

from tests.emulator.helpers import Emulator


def outcome(response: requests.Response) -> str:
    """``ok``, a WeChat errcode or an HTTP status, as text."""
    if response.status_code != 200:
        return str(response.status_code)
    errcode = response.json().get("errcode", 0)
    return "ok" if errcode in (0, 46003) else str(errcode)


def call_menu(emulator: Emulator, token: str, times: int) -> list[str]:
    """``menu/get`` many times; the outcomes in order."""
    with requests.Session() as session:
        url = emulator.base + "/cgi-bin/menu/get"
        return [outcome(session.get(url, params={"access_token": token})) for _ in range(times)]


def test_fault_rate_and_kinds_with_a_seed(emulator: Emulator) -> None:
    token = emulator.token()
    faults = {"rate": 0.3, "kinds": ["-1", "45009", "500"], "seed": 1, "paths": ["/cgi-bin/menu/"]}
    assert emulator.admin("POST", "/faults", faults)["rate"] == 0.3
    first = call_menu(emulator, token, 200)
    counts = Counter(first)
    failures = 200 - counts["ok"]
    assert 40 <= failures <= 80, counts
    assert set(counts) == {"ok", "-1", "45009", "500"}
    assert emulator.admin("GET", "/stats")["faults_injected"] == failures
    emulator.admin("POST", "/faults", faults)  # same seed: the same sequence again
    assert call_menu(emulator, token, 200) == first


def test_faults_spare_admin_phone_and_other_paths(emulator: Emulator) -> None:
    token = emulator.token()
    emulator.admin("POST", "/faults", {"rate": 1.0, "kinds": ["-1"], "paths": ["/cgi-bin/message/"]})
    assert call_menu(emulator, token, 5) == ["ok"] * 5
    answer = emulator.api("/cgi-bin/message/custom/send", {"touser": "x", "msgtype": "text", "text": {"content": "a"}})
    assert answer == {"errcode": -1, "errmsg": "system error"}
    emulator.admin("POST", "/faults", {"paths": []})
    assert emulator.admin("GET", "/messages") == []
    assert emulator.phone({"openid": "o", "type": "event", "event": "subscribe"}).status_code == 200
    emulator.admin("DELETE", "/faults")
    assert call_menu(emulator, token, 3) == ["ok"] * 3


def test_latency(emulator: Emulator) -> None:
    token = emulator.token()
    emulator.admin("POST", "/faults", {"latency_ms": 50})
    started = time.monotonic()
    assert call_menu(emulator, token, 10) == ["ok"] * 10
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    emulator.admin("GET", "/stats")
    assert time.monotonic() - started < 0.05, "no latency on the admin API"


def test_timeout_fault_answers_after_the_client_gave_up(emulator: Emulator) -> None:
    emulator.follower("o_citizen", interaction="message")
    token = emulator.token()
    emulator.admin("POST", "/faults", {"rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 0.6})
    body = {"touser": "o_citizen", "msgtype": "text", "text": {"content": "迟到的消息"}}
    url = emulator.base + "/cgi-bin/message/custom/send"
    try:
        requests.post(url, params={"access_token": token}, json=body, timeout=0.2)
        raise AssertionError("the client should have timed out")
    except requests.Timeout:
        pass
    time.sleep(0.8)
    assert len(emulator.messages("o_citizen")) == 1, "the call took effect although the client gave up"


def test_faults_from_settings(make_emulator) -> None:
    emulator = make_emulator({"fault_rate": 1.0, "fault_kinds": ["45009"]})
    answer = requests.get(emulator.base + "/cgi-bin/menu/get", params={"access_token": "x"}, timeout=5).json()
    assert answer["errcode"] == 45009
    assert emulator.admin("POST", "/faults", {"kinds": ["bogus"]})["error"] == "bad_request"
