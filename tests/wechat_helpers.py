"""Build, sign and encrypt WeChat XML exactly as WeChat's servers do (for tests)."""

from __future__ import annotations

import itertools
import secrets
import time
from xml.sax.saxutils import escape

from wechatpy.crypto import WeChatCrypto

from bot.crypto import url_signature

_ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


def next_msgid() -> str:
    """A fresh MsgId."""
    return str(next(_ids))


def message_xml(openid: str, msg_type: str, account: str = "gh_demo", create_time: int | None = None, **fields: str) -> str:
    """WeChat's XML for one message or event; ``fields`` are extra elements (Content, Event...)."""
    parts = [
        f"<ToUserName><![CDATA[{account}]]></ToUserName>",
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
    ]
    for name, value in fields.items():
        parts.append(f"<{name}>{escape(str(value))}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def fresh_timestamp() -> str:
    """The real time, as WeChat's ``timestamp`` parameter: WeChat signs with it whatever the service clock says."""
    from services.calendar import clock

    return str(int(clock.wall_time().timestamp()))


def fresh_nonce() -> str:
    """A new nonce, as WeChat sends with every push."""
    return str(secrets.randbelow(9_000_000_000) + 1_000_000_000)


def signed_query(token: str, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """The URL parameters WeChat adds to every push (a fresh timestamp and nonce unless given)."""
    timestamp = timestamp or fresh_timestamp()
    nonce = nonce or fresh_nonce()
    return {"signature": url_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def encrypt(xml: str, token: str, aes_key: str, appid: str, timestamp: str, nonce: str) -> tuple[str, str]:
    """Safe-mode body and its ``msg_signature``."""
    crypto = WeChatCrypto(token, aes_key, appid)
    encrypted = crypto.encrypt_message(xml, nonce, timestamp)
    from bot.crypto import safe_xml

    fields = safe_xml(encrypted.encode())
    body = f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"
    return body, fields["MsgSignature"]
