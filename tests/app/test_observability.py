"""Request ids, security headers and /metrics."""

from __future__ import annotations

from tests import wechat_helpers as wx


def test_every_answer_carries_a_request_id_and_security_headers(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-123"})
    assert response.headers["X-Request-ID"] == "lb-123"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_metrics_count_webhook_latency_and_dedup_hits(client, wechat):
    xml = wx.message_xml("o_metrics", "text", Content="帮助", MsgId=wx.next_msgid())
    wechat.post_xml(xml)
    wechat.post_xml(xml)  # WeChat's retry: answered from the dedup cache
    text = client.get("/metrics").get_data(as_text=True)
    assert 'webhook_seconds_count{outcome="ok"}' in text
    hits = [line for line in text.splitlines() if line.startswith("webhook_dedup_hits_total")]
    assert hits and float(hits[0].split()[-1]) >= 1
    assert "outbox_messages" in text
    # The citizen's message is noted for the scheduler to write (seen, once: the retry adds nothing).
    assert "citizen_interactions_pending 1.0" in text
    wechat.flush()
    assert "citizen_interactions_pending 0.0" in client.get("/metrics").get_data(as_text=True)


def test_metrics_count_the_messages_that_may_have_reached_a_citizen_twice(app, client):
    from models import OutboxMessage, OutboxStatus, db
    from services.calendar import clock

    now = clock.now()
    with app.app_context():
        for n, resent in enumerate((True, False, True)):
            db.session.add(OutboxMessage(key=f"o_{n}|reply|{n}", recipient=f"o_{n}", purpose="reply", subject=str(n),
                                         payload={"text": "您好"}, channel="custom", status=OutboxStatus.SENT,
                                         due_at=now, created_at=now, possibly_resent=resent))
        db.session.commit()
    assert "outbox_possibly_resent 2.0" in client.get("/metrics").get_data(as_text=True)
