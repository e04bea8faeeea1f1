"""The WeChat client of a delivery pool: wechatpy's shared-token client, tuned for many threads.

Three things cost more CPU than the call itself at hundreds of calls a second:

* reading the shared token from Redis on every call: the token is kept for a
  second in the process (a token refreshed elsewhere stays valid for minutes at
  WeChat, and a token error refreshes at once);
* ``requests`` re-reading proxy settings from ``os.environ`` on every call: the
  environment is read once;
* ``requests`` itself (cookies, hooks, adapters): when no proxy is configured,
  the client's HTTP session is replaced by :class:`Urllib3Session`, which speaks
  the same small part of the ``requests`` interface wechatpy uses, on a
  ``urllib3`` pool with one kept-alive connection per thread, and raises the
  same ``requests`` exceptions so errors are classified the same way.
"""

from __future__ import annotations

import json
import os
import time
from urllib.parse import urlencode

import redis
import requests
import urllib3
from requests.adapters import HTTPAdapter

from services.messaging import wechatpy_http
from services.messaging.wechat_client import SharedTokenClient


class PooledClient(SharedTokenClient):
    """The shared-token client, re-reading the shared token from Redis at most once a second.

    While Redis is unreachable the token last read is used on: WeChat keeps a token valid for
    two hours, so the rows already handed to the threads still go out. Without a token (or when
    WeChat refuses it) the Redis error is raised, and the row is given back uncounted.
    """

    TOKEN_CACHE_SECONDS = 1.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cached: tuple[str, float] | None = None

    @property
    def access_token(self) -> str:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[1] < self.TOKEN_CACHE_SECONDS:
            return cached[0]
        try:
            token = SharedTokenClient.access_token.fget(self)
        except redis.RedisError:
            if cached is None:
                raise
            return cached[0]
        self._cached = (token, time.monotonic())
        return token

    def refresh_token(self, stale: str | None) -> str:
        self._cached = None
        return super().refresh_token(stale)


def pooled_client(settings, redis_client, threads: int) -> PooledClient:
    """A client for a delivery pool of ``threads`` threads."""
    client = PooledClient(settings.WECHAT_APPID, settings.WECHAT_SECRET, settings.WECHAT_API_BASE, redis_client,
                          timeout=settings.WECHAT_HTTP_TIMEOUT)
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if requests.utils.get_environ_proxies(client.api_base):
        tune_requests(wechatpy_http.session_of(client), client.api_base, threads, ca_bundle)
    else:
        wechatpy_http.install(client, Urllib3Session(threads, ca_bundle, timeout=settings.WECHAT_HTTP_TIMEOUT))
    return client


def tune_requests(session: requests.Session, api_base: str, threads: int, ca_bundle: str | None) -> None:
    """Behind a proxy: keep ``requests``, with the environment read once and a connection per thread."""
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=threads)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.proxies.update(requests.utils.get_environ_proxies(api_base))
    session.verify = ca_bundle or True
    session.trust_env = False


class Urllib3Response:
    """The part of ``requests.Response`` that wechatpy and the delivery code read."""

    def __init__(self, response: urllib3.BaseHTTPResponse, url: str) -> None:
        self.status_code = response.status
        self.content = response.data
        self.headers = response.headers
        self.url = url
        self.request = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} Error for url: {self.url}", response=self)


class Urllib3Session:
    """``request``/``get``/``post`` over a ``urllib3`` pool, raising ``requests`` exceptions."""

    def __init__(self, threads: int, ca_bundle: str | None = None, timeout: float | None = None) -> None:
        self.timeout = timeout  # for calls that pass none (wechatpy's token fetch)
        kwargs = {"ca_certs": ca_bundle} if ca_bundle else {}
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=threads, block=False, retries=False, **kwargs)

    def request(self, method: str, url: str, params: dict | None = None, data=None, timeout=None,
                headers: dict | None = None, **_ignored) -> Urllib3Response:
        timeout = self.timeout if timeout is None else timeout
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        if isinstance(data, dict):
            data = urlencode(data)
        try:
            response = self.pool.request(method.upper(), url, body=data, headers=headers,
                                         timeout=urllib3.Timeout(connect=timeout, read=timeout))
        except urllib3.exceptions.ConnectTimeoutError as error:
            raise requests.ConnectTimeout(error) from error
        except urllib3.exceptions.ReadTimeoutError as error:
            raise requests.ReadTimeout(error) from error
        except urllib3.exceptions.NewConnectionError as error:
            raise requests.ConnectionError(error) from error
        except urllib3.exceptions.HTTPError as error:
            raise requests.ConnectionError(error) from error
        return Urllib3Response(response, url)

    def get(self, url: str, **kwargs) -> Urllib3Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> Urllib3Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self.pool.clear()
