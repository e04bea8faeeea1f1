"""The peer baseline: a minimal wechatpy + Flask echo bot in safe mode.

Written the way a developer would from wechatpy's own Flask example
(``examples/echo``): check the URL signature, decrypt with ``WeChatCrypto``,
``parse_message``, ``create_reply`` (echo the text, a fixed sentence for
anything else), encrypt the reply. Like the example it builds the
``WeChatCrypto`` inside the view, once per request. No database, no Redis,
no dedup: this is what "a team would otherwise run" before adding a service.

Served by ``gunicorn bench.echo_bot:app`` with the same settings as the service.
"""

from __future__ import annotations

import os

from flask import Flask, abort, request
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

TOKEN = os.environ.get("WECHAT_TOKEN", "demotoken")
AES_KEY = os.environ.get("WECHAT_AES_KEY", "")
APPID = os.environ.get("WECHAT_APPID", "")

app = Flask(__name__)


@app.route("/wechat", methods=["GET", "POST"])
def wechat():
    """Echo a text message back; answer anything else with a fixed sentence."""
    signature = request.args.get("signature", "")
    timestamp = request.args.get("timestamp", "")
    nonce = request.args.get("nonce", "")
    try:
        check_signature(TOKEN, signature, timestamp, nonce)
    except InvalidSignatureException:
        abort(403)
    if request.method == "GET":
        return request.args.get("echostr", "")
    if request.args.get("encrypt_type", "raw") == "raw":
        msg = parse_message(request.data)
        return _reply_to(msg).render()
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    try:
        plain = crypto.decrypt_message(request.data, request.args.get("msg_signature", ""), timestamp, nonce)
    except (InvalidSignatureException, InvalidAppIdException):
        abort(403)
    msg = parse_message(plain)
    return crypto.encrypt_message(_reply_to(msg).render(), nonce, timestamp)


def _reply_to(msg):
    """wechatpy's example reply: the text itself, or a fixed sentence."""
    if msg.type == "text":
        return create_reply(msg.content, msg)
    return create_reply("Sorry, can not handle this for now", msg)
