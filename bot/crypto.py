"""Signature checks, safe-mode (AES) crypto and hardened XML parsing for the webhook.

wechatpy does the cryptography; this module adds what it lacks: refusing DTDs
and entities (XXE, billion laughs) before any XML reaches a parser that might
expand them, and one cached ``WeChatCrypto`` per key instead of one per request.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException


class BadRequest(Exception):
    """The body is not a WeChat message we can read (answered with 400)."""


class Forbidden(Exception):
    """The request is not signed by WeChat with our token (answered with 403)."""


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's URL signature: sha1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def check_url_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Raise :class:`Forbidden` unless ``signature`` matches (constant-time compare)."""
    if not (signature and timestamp and nonce):
        raise Forbidden("missing signature parameters")
    if not hmac.compare_digest(url_signature(token, timestamp, nonce), signature.lower()):
        raise Forbidden("bad signature")


class AccountCrypto(WeChatCrypto):
    """wechatpy's ``WeChatCrypto`` with its AES cipher built once per key instead of once per message.

    wechatpy builds a ``PrpCrypto`` (and with it a ``cryptography`` ``Cipher``) for every message it
    encrypts or decrypts; it takes the class as a parameter, so a factory that hands back one prepared
    instance does the same work without rebuilding it. A ``Cipher`` is immutable and makes a fresh
    context for each use, so threads can share it.
    """

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        super().__init__(token, encoding_aes_key, app_id)
        prepared = PrpCrypto(self.key)
        self._prepared = lambda _key: prepared

    def encrypt_message(self, msg, nonce, timestamp=None):
        return self._encrypt_message(msg, nonce, timestamp, self._prepared)

    def decrypt_message(self, msg, signature, timestamp, nonce):
        return self._decrypt_message(msg, signature, timestamp, nonce, self._prepared)


@functools.lru_cache(maxsize=8)
def crypto_for(token: str, aes_key: str, appid: str) -> WeChatCrypto:
    """One :class:`AccountCrypto` per key set; building it decodes the key, so cache it."""
    return AccountCrypto(token, aes_key, appid)


# Control characters XML 1.0 does not allow (tab, line feed and carriage return aside). A citizen can type them
# and they would make the whole message unreadable, so the citizen would get silence; as single bytes they are
# never part of a UTF-8 sequence, so dropping them cannot break a character (the text is cleaned again later).
_XML_ILLEGAL = bytes(range(0x20)).translate(None, b"\t\n\r")


def safe_xml(body: bytes) -> dict[str, str]:
    """Parse a flat WeChat XML document into a dict, refusing DTDs and entities."""
    try:
        root = _parse(body)
    except ET.ParseError:
        stripped = body.translate(None, _XML_ILLEGAL)  # only on failure: the hot path parses once
        if stripped == body:
            raise BadRequest("unreadable XML: ParseError") from None
        try:
            root = _parse(stripped)
        except ET.ParseError:
            raise BadRequest("unreadable XML: ParseError") from None
    if root.tag != "xml":
        raise BadRequest("root element is not <xml>")
    if root.tag != "xml":
        raise BadRequest("root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child):  # nested elements (e.g. ScanCodeInfo): keep their text joined
            fields[child.tag] = "".join(child.itertext())
        else:
            fields[child.tag] = child.text or ""
    return fields


def _parse(body: bytes):
    try:
        return SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ET.ParseError:
        raise
    except (DefusedXmlException, ValueError, UnicodeError) as exc:
        raise BadRequest(f"unreadable XML: {type(exc).__name__}") from None


def decrypt(crypto: WeChatCrypto, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> bytes:
    """Decrypt a safe-mode body; a wrong key or signature is :class:`Forbidden`."""
    outer = safe_xml(body)
    if not outer.get("Encrypt"):
        raise BadRequest("safe mode body without Encrypt")
    try:
        # wechatpy takes the envelope already parsed (it would parse it again with xmltodict).
        plain = crypto.decrypt_message(outer, msg_signature, timestamp, nonce)
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise Forbidden(type(exc).__name__) from None
    except Exception as exc:  # padding/base64 errors from a wrong AES key or garbage
        raise Forbidden(f"cannot decrypt: {type(exc).__name__}") from None
    return plain.encode() if isinstance(plain, str) else plain
