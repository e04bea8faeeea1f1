"""The adapter that swaps wechatpy's HTTP session: what it relies on still holds in the pinned release."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.oauth import WeChatOAuth

from services.messaging import wechatpy_http


def test_the_pinned_release_is_the_one_the_adapter_was_read_against():
    assert version("wechatpy") == wechatpy_http.TESTED_VERSION, (
        "wechatpy was upgraded: re-read services/messaging/wechatpy_http.py, then update TESTED_VERSION")


@pytest.mark.parametrize("client", [WeChatClient("wx_a", "secret", access_token="t"),
                                    WeChatOAuth("wx_a", "secret", "https://x.cn/cb")])
def test_an_installed_session_is_the_one_every_call_goes_through(client):
    calls = []

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            calls.append(url)
            raise requests.ConnectionError("recorded")

    wechatpy_http.install(client, Recording())
    with pytest.raises(Exception):  # noqa: B017 (wechatpy wraps or re-raises the connection error)
        if isinstance(client, WeChatOAuth):
            client.fetch_access_token("code")
        else:
            client.user.get("openid")
    assert calls and "weixin.qq.com" in calls[0]


def test_a_client_without_the_session_is_refused_loudly():
    class Other:
        pass

    with pytest.raises(wechatpy_http.WechatpyChanged, match="_http"):
        wechatpy_http.install(Other(), requests.Session())
