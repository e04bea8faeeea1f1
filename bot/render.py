"""Turn a handler's reply into WeChat's passive-reply XML (wechatpy renders it)."""

from __future__ import annotations

from wechatpy.replies import ArticlesReply
from wechatpy.replies import TextReply as WxTextReply

from bot.context import NewsReply, NoReply, Reply, TextReply


def to_xml(reply: Reply, openid: str, account: str) -> str:
    """XML for ``reply`` addressed to ``openid``; ``success`` when there is nothing to say."""
    if isinstance(reply, NoReply) or reply is None:
        return "success"
    if isinstance(reply, TextReply):
        return WxTextReply(source=account, target=openid, content=reply.content).render()
    if isinstance(reply, NewsReply):
        articles = [
            {"title": a.title, "description": a.description, "url": a.url, "image": a.image}
            for a in reply.articles[:8]
        ]
        return ArticlesReply(source=account, target=openid, articles=articles).render()
    raise TypeError(f"unknown reply type {type(reply).__name__}")
