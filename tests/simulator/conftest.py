"""Fixtures for the simulator tests: a running emulator and a tiny service that mounts the blueprint."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import xmltodict
from flask import Flask, request
from wechatpy.utils import check_signature

import simulator
from tests.emulator.helpers import Emulator, ServerThread, start_emulator

logging.getLogger("werkzeug").setLevel(logging.WARNING)

TOKEN = "simtoken"


def echo_webhook() -> str:
    """A stand-in for the service's ``/wechat``: checks the signature, echoes texts."""
    args = request.args
    check_signature(TOKEN, args["signature"], args["timestamp"], args["nonce"])
    message = xmltodict.parse(request.get_data(as_text=True))["xml"]
    if message["MsgType"] == "event" and message["Event"] == "subscribe":
        content = "欢迎关注！回复 帮助 查看功能"
    elif message["MsgType"] == "text":
        content = f"你说：{message['Content']}"
    else:
        return "success"
    return (
        f"<xml><ToUserName><![CDATA[{message['FromUserName']}]]></ToUserName>"
        f"<FromUserName><![CDATA[{message['ToUserName']}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content></xml>"
    )


def make_service(api_base: str) -> Flask:
    """A tiny service: the simulator blueprint plus an echoing ``/wechat``."""
    app = Flask("tiny_service")
    app.config.update(WECHAT_API_BASE=api_base, WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY="", TESTING=True)
    app.add_url_rule("/wechat", "wechat", echo_webhook, methods=["POST"])
    simulator.init_app(app)
    return app


@dataclass
class Setup:
    """The emulator, the service (served for real) and a test client of the service."""

    emulator: Emulator
    service_base: str
    app: Flask


@pytest.fixture
def setup() -> Iterator[Setup]:
    """Emulator and service both listening on loopback ports."""
    emulator, emulator_server = start_emulator()
    app = make_service(emulator.base)
    service_server = ServerThread(app)
    yield Setup(emulator, service_server.base, app)
    service_server.stop()
    emulator_server.stop()
