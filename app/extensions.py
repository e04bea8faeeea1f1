"""Extension objects only; they are bound to the app in ``app.factory.register_extensions``."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import db

migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# Request throttles (login, entry-pass guesses, citizens' submissions), counted in the app's Redis; which view has
# which limit is app/rate_limits.py. No default limit: only the views named there are throttled.
limiter = Limiter(key_func=get_remote_address, key_prefix="zm")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except for WeChat's pushes: ``/wechat`` is called by WeChat's
    servers, never by a browser, so it neither reads nor sets a session cookie (its hot path)."""

    def open_session(self, app, request):  # noqa: ANN001, ANN201
        if request.path == "/wechat":
            return self.make_null_session(app)
        return super().open_session(app, request)


__all__ = ["SessionInterface", "csrf", "db", "limiter", "login_manager", "migrate"]
