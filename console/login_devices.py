"""Device cookies for the login, as OWASP describes them ("Slow Down Online Guessing Attacks with Device Cookies").

A browser that logged in to an account gets a signed cookie naming the account
and a random nonce (HttpOnly, Secure in production, SameSite=Strict, sent only to
the login page, valid :data:`LIFETIME`; one cookie per account, so colleagues
sharing an office computer each keep theirs). A login attempt that presents a
valid cookie for the account typed is counted on that device's own limit
(console/auth.py), not on the limits every unknown browser shares, so the owner
gets in while someone elsewhere is guessing the password.

Each successful login issues a fresh cookie: a new nonce, whose count starts
from nothing. Failed passwords are counted per nonce; at :data:`FAILURES` the
cookie stops being valid (the browser is unknown again, and the shared limits
apply to it) and is deleted. The counts live in the app's Redis through the
``limits`` strategy of the shell's Flask-Limiter (``current_app.extensions["rate_limiter"]``);
with Redis unreachable a correctly signed cookie is taken as valid, as every
throttle then fails open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import limits
import redis
import structlog
from flask import Response, current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.errors import StorageError

log = structlog.get_logger("console.login_devices")

LIFETIME = dt.timedelta(days=180)
FAILURES = limits.parse("5 per 180 days")  # failed passwords on one cookie before it is invalidated
FAILURE_KEY = "login-device-failures"
COOKIE_PREFIX = "zm_device_"
STORAGE_ERRORS = (redis.RedisError, StorageError)


def cookie_name(username: str) -> str:
    """The account's cookie name (a digest: the name in a cookie jar does not spell the username)."""
    return COOKIE_PREFIX + hashlib.sha256(username.lower().encode()).hexdigest()[:16]


def _serializer() -> URLSafeTimedSerializer:
    """Signs with the app's secret key, under a salt of its own (a session cookie is never a device cookie)."""
    return URLSafeTimedSerializer(current_app.secret_key, salt="console-login-device")


def _counter():  # noqa: ANN202
    """The ``limits`` strategy (hit / test) on the app's Redis."""
    return current_app.extensions["rate_limiter"].limiter


def valid_nonce(username: str) -> str | None:
    """The nonce of this request's valid device cookie for ``username``, or None (unknown browser)."""
    raw = request.cookies.get(cookie_name(username))
    if not raw:
        return None
    try:
        owner, nonce = _serializer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        return None
    if owner != username.lower() or not isinstance(nonce, str):
        return None
    try:
        if not _counter().test(FAILURES, FAILURE_KEY, nonce):
            return None
    except STORAGE_ERRORS:
        log.warning("login.device_check_unavailable")
    return nonce


def issue(response: Response, username: str) -> None:
    """Give the browser a fresh device cookie for ``username`` (after a successful login)."""
    value = _serializer().dumps([username.lower(), secrets.token_urlsafe(16)])
    response.set_cookie(cookie_name(username), value, max_age=int(LIFETIME.total_seconds()),
                        path=url_for("console.login"), httponly=True, samesite="Strict",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


def record_failure(response: Response, username: str, nonce: str) -> None:
    """Count a wrong password on this device's cookie; at :data:`FAILURES` the cookie is invalid and deleted."""
    try:
        _counter().hit(FAILURES, FAILURE_KEY, nonce)
        still_valid = _counter().test(FAILURES, FAILURE_KEY, nonce)
    except STORAGE_ERRORS:
        log.warning("login.device_check_unavailable")
        return
    if not still_valid:
        log.info("login.device_invalidated")
        response.delete_cookie(cookie_name(username), path=url_for("console.login"), httponly=True,
                               samesite="Strict", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
