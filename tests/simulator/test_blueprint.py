"""The simulator blueprint: the page renders, the API proxies to the emulator."""

from __future__ import annotations

import socket

import requests

from tests.simulator.conftest import Setup, make_service


def test_page_renders_with_local_assets(setup: Setup) -> None:
    page = requests.get(setup.service_base + "/simulator", timeout=5)
    assert page.status_code == 200
    html = page.text
    assert "模拟微信重试" in html and "关注公众号" in html and "<script src=\"/simulator/static/" in html
    assert 'src="http' not in html and 'href="http' not in html, "everything is served locally (no CDN)"
    for asset in ("simulator.js", "render.js", "wechat-text.js", "simulator.css"):
        assert requests.get(f"{setup.service_base}/simulator/static/simulator/{asset}", timeout=5).status_code == 200


def test_openid_from_the_query_is_used_and_escaped(setup: Setup) -> None:
    html = requests.get(setup.service_base + "/simulator/", params={"openid": "o_abc"}, timeout=5).text
    assert 'data-openid="o_abc"' in html
    html = requests.get(setup.service_base + "/simulator", params={"openid": '"><script>x</script>'}, timeout=5).text
    assert "<script>x</script>" not in html


def test_send_proxies_to_the_phone_and_inbox_shows_replies(setup: Setup) -> None:
    api = setup.service_base + "/simulator/api"
    status = requests.get(api + "/status", timeout=5).json()
    assert status["webhook"] == setup.service_base + "/wechat", "the blueprint points the emulator at /wechat"
    follow = {"openid": "o_sim", "nickname": "李四", "type": "event", "event": "subscribe"}
    answer = requests.post(api + "/send", json=follow, timeout=10).json()
    assert answer["replies"] == [{"type": "text", "content": "欢迎关注！回复 帮助 查看功能"}]
    answer = requests.post(api + "/send", json={"openid": "o_sim", "type": "text", "content": "活动"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["replies"][0]["content"] == "你说：活动"
    inbox = requests.get(api + "/inbox", params={"openid": "o_sim", "since_id": 1}, timeout=5).json()
    assert [m["payload"]["content"] for m in inbox["messages"]] == ["你说：活动"]
    assert inbox["epoch"]
    assert requests.get(api + "/user", params={"openid": "o_sim"}, timeout=5).json()["subscribe"] is True


def test_retry_switch_sends_three_copies(setup: Setup) -> None:
    api = setup.service_base + "/simulator/api"
    requests.post(api + "/send", json={"openid": "o_r", "type": "event", "event": "subscribe"}, timeout=10)
    body = {"openid": "o_r", "type": "text", "content": "报名", "retry": True}
    answer = requests.post(api + "/send", json=body, timeout=20).json()
    assert len(answer["attempts"]) == 3


def test_menu_proxy(setup: Setup) -> None:
    menu = {"button": [{"type": "click", "name": "活动", "key": "EVENTS"}]}
    assert setup.emulator.api("/cgi-bin/menu/create", menu)["errcode"] == 0
    assert requests.get(setup.service_base + "/simulator/api/menu", timeout=5).json() == {"menu": menu}


def test_not_following_gets_a_chinese_message(setup: Setup) -> None:
    answer = requests.post(setup.service_base + "/simulator/api/send", json={"openid": "o_x", "content": "hi"}, timeout=5)
    assert answer.status_code == 409 and "关注" in answer.json()["message"]


def unused_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_emulator_is_a_clear_message() -> None:
    app = make_service(f"http://127.0.0.1:{unused_port()}")
    client = app.test_client()
    answer = client.post("/simulator/api/send", json={"openid": "o", "type": "text", "content": "x"})
    assert answer.status_code == 502
    assert "无法连接微信接口模拟器" in answer.json["message"] and "python -m emulator" in answer.json["message"]
    assert client.get("/simulator/api/menu").status_code == 502
    assert client.get("/simulator").status_code == 200, "the page itself still renders"
