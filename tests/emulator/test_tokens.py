"""Access tokens: credentials, lifetime, the grace period, the daily limit, stable_token."""

from __future__ import annotations

import requests

from tests.emulator.helpers import APPID, SECRET, Emulator


def fetch(emulator: Emulator, **overrides: str) -> dict:
    """Call ``/cgi-bin/token`` with the right credentials unless overridden."""
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, **overrides}
    return emulator.get("/cgi-bin/token", **params)


def menu_get(emulator: Emulator, token: str | None) -> dict:
    """Any API call, to see how the token is judged."""
    params = {"access_token": token} if token is not None else {}
    return emulator.get("/cgi-bin/menu/get", **params)


def test_wrong_credentials_are_refused(emulator: Emulator) -> None:
    assert fetch(emulator, appid="wx_other")["errcode"] == 40013
    assert fetch(emulator, secret="wrong")["errcode"] == 40125
    assert fetch(emulator, grant_type="password")["errcode"] == 40002
    answer = fetch(emulator)
    assert answer["expires_in"] == 7200 and len(answer["access_token"]) > 100


def test_missing_and_malformed_tokens(emulator: Emulator) -> None:
    assert menu_get(emulator, None)["errcode"] == 41001
    assert menu_get(emulator, "not-a-token")["errcode"] == 40014
    fake_but_well_formed = "86_" + "A" * 120
    assert menu_get(emulator, fake_but_well_formed)["errcode"] == 40001
    # A valid token gets past the check: no menu yet is 46003.
    assert menu_get(emulator, fetch(emulator)["access_token"])["errcode"] == 46003


def test_new_fetch_invalidates_old_token_after_grace(emulator: Emulator) -> None:
    old = fetch(emulator)["access_token"]
    new = fetch(emulator)["access_token"]
    assert old != new
    emulator.move_clock(299)
    assert menu_get(emulator, old)["errcode"] == 46003, "old token still valid within the grace"
    emulator.move_clock(2)
    assert menu_get(emulator, old)["errcode"] == 40001
    assert menu_get(emulator, new)["errcode"] == 46003


def test_expired_token(make_emulator) -> None:
    emulator = make_emulator({"token_ttl": 60})
    answer = fetch(emulator)
    assert answer["expires_in"] == 60
    emulator.move_clock(59)
    assert menu_get(emulator, answer["access_token"])["errcode"] == 46003
    emulator.move_clock(2)
    assert menu_get(emulator, answer["access_token"])["errcode"] == 42001


def test_daily_fetch_limit_of_2000(emulator: Emulator) -> None:
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    with requests.Session() as session:
        codes = [session.get(emulator.base + "/cgi-bin/token", params=params).json() for _ in range(2001)]
    assert all("access_token" in c for c in codes[:2000])
    assert codes[2000]["errcode"] == 45009
    assert emulator.admin("GET", "/stats")["token_fetches"]["today"] == 2000
    emulator.move_clock(24 * 3600)
    assert "access_token" in fetch(emulator), "the quota resets the next day"


def stable(emulator: Emulator, force: bool = False, **overrides: str) -> dict:
    """Call ``/cgi-bin/stable_token``."""
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": force}
    body.update(overrides)
    return requests.post(emulator.base + "/cgi-bin/stable_token", json=body, timeout=10).json()


def test_stable_token_is_the_same_until_near_expiry(emulator: Emulator) -> None:
    first = stable(emulator)
    emulator.move_clock(1000)
    second = stable(emulator)
    assert second["access_token"] == first["access_token"]
    assert first["expires_in"] - 1000 - 2 <= second["expires_in"] <= first["expires_in"] - 1000
    # /cgi-bin/token does not touch the stable token.
    fetch(emulator)
    emulator.move_clock(600)
    assert menu_get(emulator, first["access_token"])["errcode"] == 46003
    emulator.move_clock(7200 - 1600 - 300)
    renewed = stable(emulator)
    assert renewed["access_token"] != first["access_token"], "renewed when ≤ 5 minutes are left"
    assert renewed["expires_in"] == 7200


def _park_mid_day(emulator: Emulator) -> None:
    """Move the emulator's clock to Beijing daytime so the test cannot cross a daily reset."""
    import datetime as dt

    local = dt.datetime.fromisoformat(emulator.admin("GET", "/clock")["local"])
    if not 6 <= local.hour < 20:
        emulator.move_clock(((10 - local.hour) % 24) * 3600)


def test_stable_token_force_refresh_limits(emulator: Emulator) -> None:
    _park_mid_day(emulator)
    first = stable(emulator)
    forced = stable(emulator, force=True)
    assert forced["access_token"] != first["access_token"]
    assert stable(emulator, force=True)["errcode"] == 45011, "at most once every 30 s"
    assert stable(emulator)["access_token"] == forced["access_token"]
    emulator.move_clock(301)
    assert menu_get(emulator, first["access_token"])["errcode"] == 40001
    for _ in range(19):
        emulator.move_clock(31)
        assert "access_token" in stable(emulator, force=True)
    emulator.move_clock(31)
    assert stable(emulator, force=True)["errcode"] == 45009, "20 forced refreshes a day"
    assert stable(emulator, secret="x")["errcode"] == 40125
