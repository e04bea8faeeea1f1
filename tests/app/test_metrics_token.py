"""``/metrics`` needs a token in production (issue 17, item 8); before, it answered anyone."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings
from tests.config.test_settings import PRODUCTION
from tests.conftest import make_test_app

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def guarded(tmp_path, redis_server, redis_client):
    return make_test_app(tmp_path, redis_server, METRICS_TOKEN=TOKEN).test_client()


def test_metrics_without_the_token_is_refused(guarded):
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        response = guarded.get("/metrics", headers=headers)
        assert response.status_code == 401 and b"webhook_seconds" not in response.data
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_with_the_token_answers(guarded):
    response = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and b"outbox_messages" in response.data


def test_production_refuses_to_start_without_a_metrics_token():
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        load_settings(PRODUCTION | {"METRICS_TOKEN": ""})
    assert load_settings(PRODUCTION).METRICS_TOKEN


def test_development_without_a_token_stays_open(client):
    assert client.get("/metrics").status_code == 200
