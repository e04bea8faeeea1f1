"""Numbered lists and long texts in pages; ``更多`` and picking by number.

A capability registers a list *kind* (how its items read and what picking one
does) and *page sources* (a detail text as blocks). A list is remembered in the
conversation state as ids, so ``更多`` and ``3`` work on what was shown even if
new events appear meanwhile. A detail that does not fit in one reply is split
into pages; ``更多`` continues it, and the list it came from stays pickable.
Any other reply (``取消``, help, a dialogue's question…) covers the list on the
citizen's screen: a bare number after it asks what they mean instead of picking
from a list they no longer see.
Every reply stays under :data:`PAGE_BYTES`, leaving room for the short notes
(expired dialogue, left dialogue) that may be put in front of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from handlers import texts
from handlers.chat import ChatContext, NewsReply, Reply, StateUnavailable, TextReply

PAGE_BYTES = 1800
FOCUS_SECONDS = 1800  # "报名" right after reading an event means that event, for this long


@dataclass(frozen=True)
class ListKind:
    """How one kind of list reads and what picking an item does."""

    render: Callable[[ChatContext, list[int]], list[str]]  # one text per id, same order
    pick: Callable[[ChatContext, int], Reply]
    title: Callable[[ChatContext, dict], str]
    hint: str
    separator: str = "\n"


KINDS: dict[str, ListKind] = {}
SOURCES: dict[str, Callable[[ChatContext, int], list[str]]] = {}


def register_kind(name: str, kind: ListKind) -> None:
    """Make ``name`` a list kind."""
    KINDS[name] = kind


def register_source(name: str, blocks: Callable[[ChatContext, int], list[str]]) -> None:
    """Make ``name`` a paged detail text: ``blocks(ctx, id)`` returns its paragraphs."""
    SOURCES[name] = blocks


def size(text: str) -> int:
    """UTF-8 length, the measure WeChat uses."""
    return len(text.encode())


# -- splitting ------------------------------------------------------------------------------

def _split_long(block: str, limit: int) -> list[str]:
    """Cut one over-long block into pieces of at most ``limit`` bytes (at line ends when possible)."""
    pieces, current = [], ""
    for line in block.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if size(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while size(line) > limit:
            cut = line.encode()[:limit].decode(errors="ignore")
            pieces.append(cut)
            line = line[len(cut):]
        current = line
    if current:
        pieces.append(current)
    return pieces


def pack(blocks: list[str], limit: int, separator: str = "\n") -> list[str]:
    """Group blocks into pages of at most ``limit`` bytes each, never cutting a block that fits."""
    pages, current = [], ""
    for block in blocks:
        for piece in _split_long(block, limit) if size(block) > limit else [block]:
            candidate = f"{current}{separator}{piece}" if current else piece
            if size(candidate) <= limit:
                current = candidate
            else:
                pages.append(current)
                current = piece
    if current or not pages:
        pages.append(current)
    return pages


@functools.lru_cache(maxsize=512)
def paginate(title: str, items: tuple[str, ...], hint: str, separator: str = "\n", lead: str = "") -> tuple[str, ...]:
    """The pages of a numbered list: lead and title on the first page, a footer on each.

    Remembered per process: the same list (``活动`` between two changes of the programme) is cut once.
    """
    reserve = size(texts.MORE_FOOTER.format(page=99, pages=99)) + size(hint) + 2
    head = "\n\n".join(part for part in (lead, title) if part)
    body_pages = pack(items, PAGE_BYTES - reserve - size(head) - 2, separator) if items else [""]
    pages = []
    for number, body in enumerate(body_pages, 1):
        footer = hint
        if number < len(body_pages):
            footer += "\n" + texts.MORE_FOOTER.format(page=number, pages=len(body_pages))
        elif len(body_pages) > 1:
            footer += "\n" + texts.LAST_PAGE_FOOTER.format(page=number, pages=len(body_pages))
        top = head if number == 1 else texts.CONTINUED
        pages.append("\n\n".join(part for part in (top, body, footer) if part))
    return tuple(pages)


# -- remembering --------------------------------------------------------------------------

def _remember(ctx: ChatContext, name: str, ids: list[int], page: int, extra: dict) -> None:
    ctx.extras["list_shown"] = True
    try:
        ctx.state.remember_list(name, ids, page, extra)
    except StateUnavailable:
        pass  # the list is still shown; picking by number will say the service is busy


def cover_list(ctx: ChatContext, reply: Reply) -> None:
    """After a visible reply that neither showed nor kept the list, mark the list as no longer on screen."""
    if ctx.extras.get("list_shown") or ctx.extras.get("list_kept") or not isinstance(reply, TextReply | NewsReply):
        return
    last = ctx.state.last_list if ctx.state.available else None
    if not last or (last.get("extra") or {}).get("covered"):
        return
    _remember(ctx, last.get("kind", ""), last.get("ids", []), last.get("page", 1),
              {**(last.get("extra") or {}), "covered": True})


def focus(ctx: ChatContext, key: str) -> int | None:
    """The id of the event or application the citizen just read (``key``), if recent."""
    last = ctx.state.last_list or {}
    spot = (last.get("extra") or {}).get("focus") or {}
    if key in spot and ctx.now.timestamp() - spot.get("at", 0) <= FOCUS_SECONDS:
        return spot[key]
    return None


def _with(ctx: ChatContext, **changes) -> None:
    """Keep the last list but change its extra (``focus``, ``more``)."""
    last = ctx.state.last_list or {"kind": "", "ids": [], "page": 1, "extra": {}}
    extra = dict(last.get("extra") or {})
    extra.update(changes)
    _remember(ctx, last.get("kind", ""), last.get("ids", []), last.get("page", 1), extra)


# -- showing ------------------------------------------------------------------------------

def show_list(ctx: ChatContext, name: str, ids: list[int], *, extra: dict | None = None,
              page: int = 1, lead: str = "") -> Reply:
    """Show page ``page`` of a numbered list and remember it."""
    kind = KINDS[name]
    extra = {k: v for k, v in (extra or {}).items() if k not in ("focus", "more")}
    bodies = kind.render(ctx, ids)
    items = tuple(f"{number}. {body}" for number, body in enumerate(bodies, 1))
    pages = paginate(kind.title(ctx, extra), items, kind.hint, kind.separator, lead)
    page = max(1, min(page, len(pages)))
    _remember(ctx, name, ids, page, extra)
    return TextReply(pages[page - 1])


def show_pages(ctx: ChatContext, source: str, object_id: int, *, page: int = 1,
               focus_on: dict | None = None, lead: str = "") -> Reply:
    """Show a detail text, one page at a time; ``更多`` continues it."""
    blocks = SOURCES[source](ctx, object_id)
    if lead:
        blocks = [lead, *blocks]
    pages = pack(blocks, PAGE_BYTES - size(texts.DETAIL_MORE_FOOTER.format(page=99, pages=99)) - 1)
    page = max(1, min(page, len(pages)))
    text = pages[page - 1]
    more = None
    if page < len(pages):
        text += "\n" + texts.DETAIL_MORE_FOOTER.format(page=page, pages=len(pages))
        more = {"source": source, "id": object_id, "page": page + 1}
    changes = {"more": more}
    if focus_on is not None:
        changes["focus"] = {**focus_on, "at": ctx.now.timestamp()}
    _with(ctx, **changes)
    return TextReply(text)


def on_more(ctx: ChatContext) -> Reply:
    """``更多``: the next page of the detail or list shown last."""
    last = ctx.state.last_list
    if not ctx.state.available:
        return TextReply(texts.STATE_UNAVAILABLE)
    if not last:
        return TextReply(texts.NOTHING_MORE)
    more = (last.get("extra") or {}).get("more")
    if more and more.get("source") in SOURCES:
        return show_pages(ctx, more["source"], more["id"], page=more["page"])
    if last.get("kind") not in KINDS:
        return TextReply(texts.NOTHING_MORE)
    kind = KINDS[last["kind"]]
    extra = last.get("extra") or {}
    bodies = kind.render(ctx, last["ids"])
    items = tuple(f"{number}. {body}" for number, body in enumerate(bodies, 1))
    pages = paginate(kind.title(ctx, extra), items, kind.hint, kind.separator)
    if last.get("page", 1) >= len(pages):
        ctx.extras["list_kept"] = True  # the last page is still what the citizen sees
        return TextReply(texts.NO_MORE_PAGES)
    return show_list(ctx, last["kind"], last["ids"], extra=extra, page=last.get("page", 1) + 1)


def on_number(ctx: ChatContext) -> Reply:
    """A number typed outside a dialogue picks from the last list shown."""
    if not ctx.state.available:
        return TextReply(texts.STATE_UNAVAILABLE)
    if ctx.state.expired_dialogue:
        # The number was an answer to the dialogue that just expired, not a pick from a list.
        return TextReply(texts.RESTART_HINTS.get(ctx.state.expired_dialogue, texts.RESTART_HINTS["default"]))
    last = ctx.state.last_list
    if not last or not last.get("ids") or last.get("kind") not in KINDS:
        return TextReply(texts.NO_LIST)
    if (last.get("extra") or {}).get("covered"):
        # 取消 or another reply has replaced the list on screen: do not pick from a list they no longer see.
        return TextReply(texts.NUMBER_WITHOUT_LIST.format(number=ctx.text))
    number = int(ctx.text)
    if not 1 <= number <= len(last["ids"]):
        ctx.extras["list_kept"] = True
        return TextReply(texts.NUMBER_OUT_OF_RANGE.format(count=len(last["ids"])))
    return KINDS[last["kind"]].pick(ctx, last["ids"][number - 1])


def register(router) -> None:
    """``更多`` and numbers."""
    router.text("更多", "下一页", "more")(on_more)
    router.regex(r"[0-9０-９]{1,4}")(on_number)
    router.after.append(cover_list)
