"""POST /wechat served beside Flask's request machinery (app/webhook_entry.py): what every request gets, it gets."""

from __future__ import annotations

import pytest
import structlog.testing

from tests import wechat_helpers as wx

pytestmark = pytest.mark.postgres


def _count(metrics: str, outcome: str) -> float:
    line = next((line for line in metrics.splitlines() if line.startswith(f'webhook_seconds_count{{outcome="{outcome}"}}')),
                None)
    return float(line.split()[-1]) if line else 0.0


def test_a_push_carries_the_load_balancers_request_id_or_a_new_one(wechat):
    xml = wx.message_xml("o_entry", "text", Content="帮助", MsgId=wx.next_msgid())
    query = wx.signed_query("x")  # any push: the id is set before the signature is read
    given = wechat.client.post("/wechat", query_string=query, data=xml.encode(), headers={"X-Request-ID": "lb-77"})
    assert given.status_code == 403 and given.headers["X-Request-ID"] == "lb-77"
    fresh = wechat.post_xml(xml)
    assert fresh.status_code == 200 and len(fresh.headers["X-Request-ID"]) == 16
    assert "X-Frame-Options" not in fresh.headers  # a page's headers: WeChat's servers read no page


def test_an_error_that_escapes_is_a_logged_500_and_the_next_push_is_answered(client, wechat, monkeypatch):
    from bot import webhook

    before = _count(client.get("/metrics").get_data(as_text=True), "500")
    real = webhook._guard

    def broken(*args):
        raise RuntimeError("a bug between verifying and handling")

    monkeypatch.setattr(webhook, "_guard", broken)
    with structlog.testing.capture_logs() as logs:
        response = wechat.post_xml(wx.message_xml("o_entry_err", "text", Content="帮助", MsgId=wx.next_msgid()))
    assert response.status_code == 500 and response.get_data() == b"internal error"  # WeChat retries
    assert [entry["log_level"] for entry in logs if entry["event"] == "webhook.unhandled"] == ["error"]
    assert _count(client.get("/metrics").get_data(as_text=True), "500") == before + 1
    monkeypatch.setattr(webhook, "_guard", real)
    assert "【活动】" in wechat.text("o_entry_err", "帮助")


def test_the_server_check_and_the_pages_still_go_through_flask(client):
    from tests.conftest import TEST_TOKEN

    query = wx.signed_query(TEST_TOKEN) | {"echostr": "123"}
    check = client.get("/wechat", query_string=query)
    assert check.get_data() == b"123" and check.headers["X-Frame-Options"] == "DENY"
    assert client.put("/wechat").status_code == 405
