"""The simulator validates openids before they reach emulator paths (issue 17, item 9).

Before: ``/simulator/api/user?openid=../webhook`` read the emulator's
``/_admin/webhook`` and returned the service's token and AES key.
"""

from __future__ import annotations

import pytest
import requests

from tests.simulator.conftest import TOKEN, Setup

HOSTILE = ["../webhook", "..%2Fwebhook", "o_a/../../webhook", "o_a?x=1", "o a", "o_a#frag", "x" * 65, "张三"]


def _configure_webhook(setup: Setup) -> None:
    assert requests.get(setup.service_base + "/simulator/api/status", timeout=5).status_code == 200


@pytest.mark.parametrize("openid", HOSTILE)
def test_a_path_in_the_openid_is_refused_and_leaks_no_secret(setup: Setup, openid: str) -> None:
    _configure_webhook(setup)
    api = setup.service_base + "/simulator/api"
    for response in (
        requests.get(api + "/user", params={"openid": openid}, timeout=5),
        requests.get(api + "/inbox", params={"openid": openid}, timeout=5),
        requests.post(api + "/send", json={"openid": openid, "type": "text", "content": "你好"}, timeout=20),
    ):
        assert response.status_code == 400
        assert TOKEN not in response.text and "aes_key" not in response.text


def test_the_emulator_phone_refuses_a_bad_openid_too(setup: Setup) -> None:
    response = requests.post(setup.emulator.base + "/_phone/send",
                             json={"openid": "../webhook", "type": "text", "content": "你好"}, timeout=5)
    assert response.status_code == 400


def test_a_well_formed_openid_still_works(setup: Setup) -> None:
    _configure_webhook(setup)
    response = requests.get(setup.service_base + "/simulator/api/user", params={"openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs"},
                            timeout=5)
    assert response.status_code == 200 and response.json()["openid"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_the_page_ignores_a_bad_openid(setup: Setup) -> None:
    html = requests.get(setup.service_base + "/simulator/", params={"openid": "../webhook"}, timeout=5).text
    assert 'data-openid="../webhook"' not in html
