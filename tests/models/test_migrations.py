"""`flask db upgrade` builds exactly the schema the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from models import db

pytestmark = pytest.mark.postgres


def test_upgrade_creates_the_models_schema(tmp_path, redis_server, database_url):
    from app.factory import create_app

    app = create_app({"APP_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_server})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), db.metadata)
    engine.dispose()
    assert diff == [], f"the migration differs from the models; regenerate it: {diff}"
    assert {"events", "applications", "suggestions", "outbox_messages"} <= set(inspect(create_engine(app.config["SQLALCHEMY_DATABASE_URI"])).get_table_names())
    # Demo data loads on the migrated schema, twice without change.
    first = app.test_cli_runner().invoke(args=["demo", "load"])
    second = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "活动 19 场" in first.output and "活动 0 场" in second.output
