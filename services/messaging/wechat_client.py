"""The WeChat API client: wechatpy's ``WeChatClient`` with one token shared through Redis.

wechatpy keeps the token per process and refreshes without a lock, so several
processes invalidate each other's tokens (intermittent 40001). Here the token
lives in Redis and only one process at a time refreshes it, under a Redis lock,
re-reading the shared token after taking the lock (another process may have
just refreshed it). A token error refreshes and retries once; a busy answer
(-1) backs off and retries a couple of times.
"""

from __future__ import annotations

import time

import redis
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.oauth import WeChatOAuth

from services.messaging import wechatpy_http

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
BUSY_RETRIES = (0.2, 0.5)
REFRESH_MARGIN = 300  # refresh this many seconds before WeChat says the token expires


class TimeoutSession(requests.Session):
    """``requests``' session with a default timeout: wechatpy's token fetch passes none of its own."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


class SharedTokenClient(WeChatClient):
    """A ``WeChatClient`` whose access token is shared by all processes via Redis."""

    def __init__(self, appid: str, secret: str, api_base: str, redis_client: redis.Redis, timeout: float = 5.0):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        wechatpy_http.install(self, TimeoutSession(timeout))
        self.API_BASE_URL = api_base.rstrip("/") + "/cgi-bin/"
        self.api_base = api_base.rstrip("/")
        self.redis = redis_client
        self.token_key = f"wechat:token:{appid}"
        self.lock_key = f"wechat:token-lock:{appid}"
        self.fetch_count = 0  # fetches made by this process (for tests and metrics)

    # -- token -------------------------------------------------------------------------
    @property
    def access_token(self) -> str:
        """The shared token, fetched under the lock when there is none."""
        token = self.redis.get(self.token_key)
        if token:
            return token.decode()
        return self.refresh_token(stale=None)

    def refresh_token(self, stale: str | None) -> str:
        """Fetch a new token unless another process already replaced ``stale``."""
        with self.redis.lock(self.lock_key, timeout=15, blocking_timeout=15):
            current = self.redis.get(self.token_key)
            if current and current.decode() != stale:
                return current.decode()
            result = self._fetch_token()
            token = result["access_token"]
            ttl = max(int(result.get("expires_in", 7200)) - REFRESH_MARGIN, 60)
            self.redis.set(self.token_key, token, ex=ttl)
            return token

    def fetch_access_token(self) -> dict:
        """wechatpy's hook: refresh the shared token (under the same lock)."""
        current = self.redis.get(self.token_key)
        return {"access_token": self.refresh_token(stale=current.decode() if current else None)}

    def _fetch_token(self) -> dict:
        """wechatpy's own fetch (errors become ``WeChatClientException``), at ``WECHAT_API_BASE``."""
        self.fetch_count += 1
        return self._fetch_access_token(
            url=self.api_base + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )

    # -- requests ---------------------------------------------------------------------
    def _request(self, method, url_or_endpoint, **kwargs):
        """wechatpy's request with one token refresh and a short back-off on -1."""
        token_retried = False
        delays = list(BUSY_RETRIES)
        while True:
            used_token = self.access_token
            call_kwargs = dict(kwargs)
            params = dict(call_kwargs.get("params") or {})
            params["access_token"] = used_token
            call_kwargs["params"] = params
            try:
                return super()._request(method, url_or_endpoint, **call_kwargs)
            except WeChatClientException as exc:
                code = exc.errcode
                if code in TOKEN_ERRORS and not token_retried:
                    token_retried = True
                    self.refresh_token(stale=used_token)
                    continue
                if code == -1 and delays:
                    time.sleep(delays.pop(0))
                    continue
                raise


def make_client(settings, redis_client: redis.Redis) -> SharedTokenClient:
    """The client for this deployment (``WECHAT_API_BASE`` points at the emulator in the demo)."""
    return SharedTokenClient(
        settings.WECHAT_APPID, settings.WECHAT_SECRET, settings.WECHAT_API_BASE, redis_client,
        timeout=settings.WECHAT_HTTP_TIMEOUT,
    )




def oauth_client(settings, redirect_uri: str, state: str = "") -> WeChatOAuth:
    """wechatpy's web-authorisation client (``snsapi_base``) at this deployment's hosts.

    The authorise page is on ``WECHAT_OAUTH_BASE`` (open.weixin.qq.com in production),
    the code exchange on ``WECHAT_API_BASE``; both are the emulator in development.
    """
    client = WeChatOAuth(settings.WECHAT_APPID, settings.WECHAT_SECRET, redirect_uri, scope="snsapi_base", state=state)
    client.API_BASE_URL = settings.WECHAT_API_BASE.rstrip("/") + "/"
    client.OAUTH_BASE_URL = settings.WECHAT_OAUTH_BASE.rstrip("/") + "/connect/"
    wechatpy_http.install(client, TimeoutSession(settings.WECHAT_HTTP_TIMEOUT))
    return client
