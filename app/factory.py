"""The application factory: reads like a table of contents."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import webhook_entry
from config.settings import INSTANCE_DIR, load_settings


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web application (webhook, console, health, simulator in development)."""
    settings = load_settings(test_config)
    instance = str(Path(settings.INSTANCE_PATH).resolve()) if settings.INSTANCE_PATH else str(INSTANCE_DIR)
    app = Flask(__name__, instance_path=instance, root_path=str(Path(__file__).resolve().parent.parent))
    configure(app, settings, test_config or {})
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_rate_limits(app)
    register_errorhandlers(app)
    register_commands(app)
    webhook_entry.install(app)  # POST /wechat beside Flask's request machinery (the hot path)
    if settings.TRUSTED_PROXY_HOPS:  # the client's address as the load balancer reports it
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.TRUSTED_PROXY_HOPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    return app


def configure(app: Flask, settings, overrides: dict) -> None:
    """Copy settings into Flask's config and keep the typed object for everyone else."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database_url = settings.DATABASE_URL or f"sqlite:///{Path(app.instance_path) / 'zhengmin.db'}"
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(database_url, settings),
        WECHAT_API_BASE=settings.WECHAT_API_BASE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.APP_ENV == "production",
        REMEMBER_COOKIE_SECURE=settings.APP_ENV == "production",
        # A form's token lasts as long as a console session may stay idle (then the session ends too).
        WTF_CSRF_TIME_LIMIT=settings.CONSOLE_IDLE_SECONDS,
        TESTING=settings.APP_ENV == "test",
    )
    app.config.update({k: v for k, v in overrides.items() if k.isupper() and k not in type(settings).model_fields})
    app.extensions["settings"] = settings


def _engine_options(url: str, settings) -> dict:
    """How long a request may wait on the database: a busy SQLite writer, a PostgreSQL lock, statement or pool.

    The web processes run with sub-second limits (gunicorn.conf.py), so that the
    webhook answers within WeChat's time even when a row is locked.
    """
    # hide_parameters: a database error's message (logged with its traceback) names the statement, never the
    # values bound to it: an entry-pass code looked up, a name or a mobile being written.
    if url.startswith("sqlite"):
        return {"hide_parameters": True,
                "connect_args": {"timeout": settings.SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False}}
    options = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20, "hide_parameters": True,
               "pool_timeout": settings.DB_POOL_TIMEOUT_SECONDS}
    limits = [f"-c {name}={value}" for name, value in (("statement_timeout", settings.DB_STATEMENT_TIMEOUT_MS),
                                                         ("lock_timeout", settings.DB_LOCK_TIMEOUT_MS)) if value]
    if limits:
        options["connect_args"] = {"options": " ".join(limits)}
    return options


def register_logging(app: Flask) -> None:
    """Structured logs (JSON in production); production's one accepted risk, a plain-http WeChat base, is warned of."""
    import structlog

    from app import logs

    settings = app.extensions["settings"]
    logs.configure(settings.APP_ENV)
    if settings.APP_ENV == "production":
        for name in settings.plain_http_wechat_bases:  # a loopback or private address: settings refuse any other
            structlog.get_logger("settings").warning("settings.plain_http_wechat_base", setting=name,
                                                     base=getattr(settings, name))


def register_extensions(app: Flask) -> None:
    """Database, migrations, Redis, the personal-data cipher, the WeChat client, the router."""
    from app import redis_conn
    from app.extensions import SessionInterface, csrf, db, login_manager, migrate
    from handlers import build_router
    from models import cipher
    from services import intake
    from services.calendar import workdays
    from services.messaging import wechat_client
    from services.programme import links

    settings = app.extensions["settings"]
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    app.session_interface = SessionInterface()
    cipher.configure(settings.PERSONAL_DATA_KEY, settings.SECRET_KEY)
    workdays.default_calendar()  # holiday files are validated at start: a broken file stops the service
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)
    redis_client = redis_conn.connect(settings.REDIS_URL, Path(app.instance_path))
    app.extensions["redis"] = redis_client
    # Other processes (delivery workers, the scheduler's queue) reach the same server by URL.
    app.extensions["redis_url"] = settings.REDIS_URL or redis_conn.redis_url_of(redis_client)
    app.extensions["wechat"] = wechat_client.make_client(settings, redis_client)
    app.extensions["router"] = build_router()
    links.configure(settings.PUBLIC_BASE_URL)
    intake.configure(app.extensions["redis_url"], settings.CITIZEN_POSTS_PER_HOUR)


def _sqlite_pragmas(app: Flask) -> None:
    """WAL lets the web, scheduler and worker processes read while one writes."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    """Webhook, health, console and (development only) the phone simulator."""
    import console
    import public
    import simulator
    from app import health, observability
    from app.extensions import csrf
    from bot import webhook

    observability.init_app(app)
    app.register_blueprint(webhook.bp)
    csrf.exempt(webhook.bp)
    app.register_blueprint(health.bp)
    console.init_app(app)
    public.init_app(app)
    if app.extensions["settings"].simulator_on:
        simulator.init_app(app)


def register_rate_limits(app: Flask) -> None:
    """Flask-Limiter on the app's Redis, and the throttled views (login, entry pass)."""
    from app import rate_limits

    rate_limits.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """Plain Chinese error pages; never a stack trace."""
    from app import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    """``flask demo``, ``flask staff``, ``flask wechat``, ``flask workday``, ``flask scheduler``..."""
    from app import commands

    commands.init_app(app)
