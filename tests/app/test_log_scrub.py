"""A log line never carries what a person typed: tracebacks keep their frames and exception types, not
the messages that quote a cell or a database row; infrastructure errors keep theirs."""

from __future__ import annotations

import io
import json

import pytest
import redis
import sqlalchemy as sa
import structlog
from openpyxl import Workbook

from app import logs

REASON = "我叫张三，手机13912345678，\x01希望参加"


def logged(action) -> dict:
    """Run ``action``, log its exception as the service does (production JSON); the line as a dict."""
    buffer = io.StringIO()
    log = structlog.wrap_logger(structlog.PrintLogger(file=buffer), processors=logs.processors("production"))
    try:
        action()
    except Exception:
        log.exception("unhandled_error", path="/console/events/1/applications.xlsx")
    return json.loads(buffer.getvalue())


def test_an_export_failure_logs_where_it_failed_but_not_the_cell():
    def export():
        Workbook().active.append([REASON])  # what failed before exports dropped control characters

    line = logged(export)
    assert "openpyxl.utils.exceptions.IllegalCharacterError" in line["exception"]
    assert "in export" in line["exception"], "the frames are kept"
    assert "张三" not in json.dumps(line, ensure_ascii=False) and "13912345678" not in line["exception"]


def test_a_database_error_logs_its_type_and_the_driver_error_not_the_row():
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE person (name TEXT UNIQUE)"))

    def insert_twice():
        with engine.begin() as connection:
            for _ in range(2):
                connection.execute(sa.text("INSERT INTO person (name) VALUES (:name)"), {"name": REASON})

    line = logged(insert_twice)
    assert "sqlalchemy.exc.IntegrityError (sqlite3.IntegrityError)" in line["exception"]
    assert "张三" not in json.dumps(line, ensure_ascii=False)


@pytest.mark.parametrize("error", [redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
                                   ConnectionRefusedError(111, "Connection refused")])
def test_infrastructure_errors_keep_their_message(error):
    def fail():
        raise error

    assert str(error) in logged(fail)["exception"]
