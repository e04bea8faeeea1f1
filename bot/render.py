"""Turn a handler's reply into WeChat's passive-reply XML.

Text replies (nearly all of them) use a plain template: the same XML wechatpy's
``TextReply`` renders, at a fraction of its cost. News replies are rare and go
through wechatpy.
"""

from __future__ import annotations

import datetime as dt

from wechatpy.replies import ArticlesReply

from handlers.chat import NewsReply, NoReply, Reply, TextReply
from services.calendar import clock

_TEXT = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n"
    "<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]></ToUserName>\n"
    "<CreateTime>{time}</CreateTime>\n</xml>"
)


def cdata(value: str) -> str:
    """``value`` safe inside a CDATA section: a ``]]>`` in it is split across two sections."""
    return value.replace("]]>", "]]]]><![CDATA[>")


def to_xml(reply: Reply, openid: str, account: str, now: dt.datetime | None = None) -> str:
    """XML for ``reply`` addressed to ``openid``; ``success`` when there is nothing to say."""
    if isinstance(reply, NoReply) or reply is None:
        return "success"
    if isinstance(reply, TextReply):
        created = int((now or clock.now()).timestamp())
        return _TEXT.format(content=cdata(reply.content), source=cdata(account), target=cdata(openid), time=created)
    if isinstance(reply, NewsReply):
        articles = [
            {"title": a.title, "description": a.description, "url": a.url, "image": a.image}
            for a in reply.articles[:8]
        ]
        return ArticlesReply(source=account, target=openid, articles=articles).render()
    raise TypeError(f"unknown reply type {type(reply).__name__}")
