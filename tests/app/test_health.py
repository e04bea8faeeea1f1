"""``/healthz`` reports database, Redis, scheduler and calendar; ``/livez`` and ``/readyz`` for orchestrators."""

from __future__ import annotations

from services.calendar import clock


def test_healthy(client, redis_client):
    redis_client.set("scheduler:heartbeat", str(clock.now().timestamp()))
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["scheduler"]["status"] == "running"
    assert "loaded_years" in body["calendar"]


def test_missing_next_year_schedule_is_a_visible_warning(client, fixed_now):
    body = client.get("/healthz").get_json()
    assert any("2027" in warning for warning in body["calendar"]["warnings"])


def test_database_down_is_503(tmp_path, redis_server, redis_client):
    client = _app_with_unreachable_database(tmp_path, redis_server).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == {"ok": False, "error": "OperationalError", "message": "数据库无法连接"}


def test_liveness_and_readiness_for_an_orchestrator(client):
    assert client.get("/livez").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    body = ready.get_json()
    assert ready.status_code == 200 and body["status"] == "ready"
    assert all(body[name]["ok"] and body[name]["ms"] >= 0 for name in ("database", "redis", "calendar"))


def test_an_unreachable_database_is_not_ready_but_alive(tmp_path, redis_server, redis_client):
    client = _app_with_unreachable_database(tmp_path, redis_server).test_client()
    assert client.get("/livez").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["status"] == "not_ready"
    assert response.get_json()["database"]["ok"] is False


def _app_with_unreachable_database(tmp_path, redis_url):
    from app.factory import create_app

    return create_app({
        "APP_ENV": "test", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "REDIS_URL": redis_url,
        "WECHAT_TOKEN": "testtoken",
    })


def test_webhook_answers_success_when_the_database_is_down(tmp_path, redis_server, redis_client):
    from tests import wechat_helpers as wx
    from tests.conftest import WeChat

    app = _app_with_unreachable_database(tmp_path, redis_server)
    wechat = WeChat(app.test_client(), mode="plain")
    wechat.crypto = None
    response = wechat.post_xml(wx.message_xml("o_db_down", "text", Content="帮助", MsgId=wx.next_msgid()))
    assert response.status_code == 200
    assert b"Traceback" not in response.get_data()


def test_interaction_times_waiting_too_long_for_the_scheduler_show_on_healthz(client, wechat, fixed_now):
    import datetime as dt

    wechat.text("o_waiting", "帮助")
    report = client.get("/healthz").get_json()["interactions"]
    assert report == {"ok": True, "waiting": 1, "oldest_seconds": 0}
    with clock.frozen(fixed_now + dt.timedelta(minutes=5)):  # the scheduler has not run for five minutes
        stale = client.get("/healthz").get_json()["interactions"]
        assert stale["ok"] is False and stale["oldest_seconds"] == 300 and "调度进程" in stale["message"]
        wechat.flush()
        assert client.get("/healthz").get_json()["interactions"] == {"ok": True, "waiting": 0, "oldest_seconds": None}


def test_health_details_need_the_metrics_token(tmp_path, redis_server, redis_client):
    """With a metrics token (always in production) anyone else sees the bare status only."""
    from tests.conftest import make_test_app

    token = "t0k3n-for-the-dashboards-2026"
    client = make_test_app(tmp_path, redis_server, METRICS_TOKEN=token).test_client()
    for path, status in (("/healthz", "ok"), ("/readyz", "ready")):
        for headers in ({}, {"Authorization": "Bearer wrong-token"}):
            bare = client.get(path, headers=headers)
            assert bare.status_code == 200 and bare.get_json()["status"] in (status, "degraded"), path
            assert set(bare.get_json()) == {"status"}, (path, bare.get_json())
        full = client.get(path, headers={"Authorization": f"Bearer {token}"}).get_json()
        assert full["database"]["ok"] and full["redis"]["ok"], path
