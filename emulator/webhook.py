"""Posting to the service's webhook exactly as WeChat's servers do.

WeChat signs every post with ``signature = sha1(sorted([token, timestamp,
nonce]))`` in the query string. In safe mode (an EncodingAESKey is set) the
message is AES-encrypted with wechatpy's ``PrpCrypto`` into
``<xml><ToUserName/><Encrypt/></xml>`` and ``msg_signature`` signs the
ciphertext too; the passive reply must then come back encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from emulator import clock
from emulator.state import EmulatorState, WebhookSettings

UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts joined together."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _cdata(value: Any) -> str:
    """Text inside CDATA; a literal ``]]>`` has to be split across two sections."""
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: dict[str, Any], root: str = "xml") -> str:
    """WeChat's XML: numbers bare, text in CDATA, dicts nested."""
    parts = [f"<{root}>"]
    for key, value in fields.items():
        if isinstance(value, dict):
            parts.append(build_xml(value, key))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(f"<{key}>{value}</{key}>")
        else:
            parts.append(f"<{key}>{_cdata(value)}</{key}>")
    parts.append(f"</{root}>")
    return "".join(parts)


def encrypt(settings: WebhookSettings, xml: str) -> str:
    """The ``Encrypt`` field: AES-256-CBC of random16 + length + xml + appid, base64."""
    key = base64.b64decode(settings.aes_key + "=")
    return PrpCrypto(key).encrypt(xml, settings.appid).decode("ascii")


def signed_request(settings: WebhookSettings, xml: str, openid: str) -> tuple[dict[str, str], str]:
    """Query parameters and body of one post, plain or encrypted, signed with the real time.

    WeChat stamps its pushes with its own (real) clock: a moved emulator clock (``/_admin/clock``,
    ``EMU_CLOCK_NOW``) moves ``CreateTime``, quotas and windows, never the signature's ``timestamp``.
    """
    timestamp = str(int(clock.real_seconds()))
    nonce = str(secrets.randbelow(9_000_000_000) + 1_000_000_000)
    params = {
        "signature": sign(settings.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": openid,
    }
    if not settings.aes_key:
        return params, xml
    ciphertext = encrypt(settings, xml)
    params["encrypt_type"] = "aes"
    params["msg_signature"] = sign(settings.token, timestamp, nonce, ciphertext)
    body = build_xml({"ToUserName": settings.original_id, "Encrypt": ciphertext})
    return params, body


@dataclass
class Attempt:
    """One post to the webhook and what came back."""

    status: int | None = None
    body: str = ""
    elapsed_ms: int = 0
    error: str | None = None
    replies: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``/_phone/send`` and the delivery log."""
        return {
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
            "error": self.error,
            "replies": self.replies,
        }


def post(settings: WebhookSettings, xml: str, openid: str) -> Attempt:
    """Post one message; a timeout or refused connection is an attempt with ``error``."""
    if not settings.url:
        return Attempt(error="未配置 webhook 地址（EMU_WEBHOOK_URL 或 POST /_admin/webhook）")
    params, body = signed_request(settings, xml, openid)
    started = time.monotonic()
    try:
        response = requests.post(
            settings.url,
            params=params,
            data=body.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8", "User-Agent": "Mozilla/4.0"},
            timeout=settings.timeout,
        )
    except requests.Timeout:
        return Attempt(error="timeout", elapsed_ms=_since(started))
    except requests.RequestException as exc:
        return Attempt(error=f"connection failed: {exc.__class__.__name__}", elapsed_ms=_since(started))
    return Attempt(status=response.status_code, body=response.text, elapsed_ms=_since(started))


def _since(started: float) -> int:
    """Milliseconds since ``started`` (a ``time.monotonic()`` value)."""
    return int((time.monotonic() - started) * 1000)


class ReplyError(Exception):
    """A passive reply WeChat would not show (the citizen sees :data:`UNAVAILABLE`)."""


def _decrypt_reply(settings: WebhookSettings, body: str, root: dict[str, Any]) -> dict[str, Any]:
    """The decrypted reply of safe mode, checked against its ``MsgSignature``."""
    crypto = WeChatCrypto(settings.token, settings.aes_key, settings.appid)
    try:
        plain = crypto.decrypt_message(body, root["MsgSignature"], root["TimeStamp"], root["Nonce"])
    except (KeyError, InvalidSignatureException, InvalidAppIdException, ValueError) as exc:
        raise ReplyError(f"加密回复校验失败: {exc.__class__.__name__}") from None
    return xmltodict.parse(plain)["xml"]


def parse_reply(settings: WebhookSettings, attempt: Attempt, openid: str) -> list[dict[str, Any]]:
    """What the citizen sees from one answer; raises :class:`ReplyError` for a bad one."""
    if attempt.status != 200:
        raise ReplyError(attempt.error or f"HTTP {attempt.status}")
    body = attempt.body.strip()
    if body in ("", "success"):
        return []
    try:
        root = xmltodict.parse(body)["xml"]
    except Exception:  # noqa: BLE001 - any parse failure means WeChat rejects the reply
        raise ReplyError("回复不是合法的 XML") from None
    if settings.aes_key:
        if "Encrypt" not in root:
            raise ReplyError("安全模式下回复未加密")
        root = _decrypt_reply(settings, body, root)
    if root.get("ToUserName") != openid:
        raise ReplyError("回复的 ToUserName 不是发消息的用户")
    return [reply_dict(root)]


def reply_dict(root: dict[str, Any]) -> dict[str, Any]:
    """A reply XML (as a dict) in the simulator's shape."""
    kind = root.get("MsgType")
    if kind == "text":
        return {"type": "text", "content": root.get("Content") or ""}
    if kind == "news":
        items = (root.get("Articles") or {}).get("item") or []
        items = items if isinstance(items, list) else [items]
        articles = [
            {
                "title": item.get("Title") or "",
                "description": item.get("Description") or "",
                "picurl": item.get("PicUrl") or "",
                "url": item.get("Url") or "",
            }
            for item in items
        ]
        return {"type": "news", "articles": articles}
    if kind in ("image", "voice", "video", "music"):
        return {"type": kind, "detail": root.get(kind.capitalize()) or {}}
    if kind == "transfer_customer_service":
        return {"type": "transfer_customer_service"}
    raise ReplyError(f"未知的回复类型 {kind!r}")


def deliver(state: EmulatorState, fields: dict[str, Any], openid: str) -> Attempt:
    """Post an event now and log it (used by the background thread)."""
    with state.lock:
        settings = WebhookSettings(**vars(state.webhook))
    attempt = post(settings, build_xml(fields), openid)
    state.add_delivery(
        {"event": fields.get("Event"), "openid": openid, "fields": fields, **attempt.to_dict()}
    )
    return attempt


def deliver_later(state: EmulatorState, fields: dict[str, Any], openid: str) -> None:
    """Post an event from a background thread after the configured delay.

    WeChat reports ``TEMPLATESENDJOBFINISH`` and ``MASSSENDJOBFINISH`` some time
    after the API call returned; nothing is posted when no webhook is set.
    """
    with state.lock:
        if not state.webhook.url:
            return
    delay = state.config.event_delay_ms / 1000

    def run() -> None:
        time.sleep(delay)
        deliver(state, fields, openid)

    threading.Thread(target=run, name="emulator-event", daemon=True).start()
