"""The one place that reaches into wechatpy for its HTTP session.

wechatpy 1.8.18 (its last stable release, pinned) keeps the ``requests.Session`` every
API call goes through in the private attribute ``_http`` of ``BaseWeChatClient`` and
``WeChatOAuth``, and offers no public way to give it another one. The service needs
to: a session with a default timeout (the web authorisation client has none), and the
delivery workers' pooled urllib3 session. :func:`install` swaps it after checking that
the attribute is still there and still what the client calls, and raises
:class:`WechatpyChanged` otherwise, so an upgrade fails at start and in
``tests/services/messaging/test_wechatpy_http.py``, not in a send.
"""

from __future__ import annotations

import requests

TESTED_VERSION = "1.8.18"


class WechatpyChanged(RuntimeError):
    """The installed wechatpy no longer keeps its HTTP session where this adapter expects it."""


def session_of(client) -> requests.Session:
    """The session ``client`` sends its requests through."""
    session = getattr(client, "_http", None)
    if not isinstance(session, requests.Session):
        raise WechatpyChanged(f"{type(client).__name__} has no requests.Session in _http "
                              f"(read against wechatpy {TESTED_VERSION})")
    return session


def install(client, session) -> None:
    """Make ``client`` send every request through ``session`` (a ``requests.Session`` or one with its
    ``request``/``get``/``post`` methods, as the workers' urllib3 session)."""
    session_of(client)
    client._http = session
