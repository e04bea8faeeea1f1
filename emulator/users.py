"""Followers, tags and QR codes: ``/cgi-bin/user/*``, ``/cgi-bin/tags/*``, ``/cgi-bin/qrcode/create``."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from emulator.errors import WeChatError, json_body, ok
from emulator.state import EmulatorState, current_state

bp = Blueprint("emulator_users", __name__)

PAGE_SIZE = 10000
MAX_TAGS = 100
TAG_BATCH = 50
QR_MAX_EXPIRE = 2592000


def _known(state: EmulatorState, openid: str | None) -> Any:
    """The follower with ``openid`` or WeChat's 40003 (``invalid openid``)."""
    user = state.users.get(openid) if isinstance(openid, str) else None
    if user is None:
        raise WeChatError(40003)
    return user


@bp.get("/cgi-bin/user/info")
def user_info() -> ResponseReturnValue:
    """One citizen's subscription data (no nickname since 2021-12-27)."""
    state = current_state()
    with state.lock:
        return _known(state, request.args.get("openid")).public_info()


@bp.post("/cgi-bin/user/info/batchget")
def user_info_batch() -> ResponseReturnValue:
    """Up to 100 citizens at once."""
    wanted = json_body().get("user_list") or []
    if not isinstance(wanted, list) or len(wanted) > 100:
        raise WeChatError(40032)
    state = current_state()
    with state.lock:
        infos = [_known(state, (item or {}).get("openid") if isinstance(item, dict) else None).public_info()
                 for item in wanted]
    return {"user_info_list": infos}


def _follower_page(openids: list[str], next_openid: str) -> dict[str, Any]:
    """WeChat's paging: up to 10000 openids after ``next_openid``."""
    start = openids.index(next_openid) + 1 if next_openid in openids else 0
    page = openids[start : start + PAGE_SIZE]
    answer: dict[str, Any] = {
        "total": len(openids),
        "count": len(page),
        "next_openid": page[-1] if page else "",
    }
    if page:
        answer["data"] = {"openid": page}
    return answer


@bp.get("/cgi-bin/user/get")
def user_list() -> ResponseReturnValue:
    """Every follower's openid, 10000 per page."""
    state = current_state()
    with state.lock:
        openids = [u.openid for u in state.users.values() if u.subscribe]
    return _follower_page(openids, request.args.get("next_openid", ""))


def _tag_id(state: EmulatorState, raw: Any) -> int:
    """A known tag id or 45159."""
    try:
        tag_id = int(raw)
    except (TypeError, ValueError):
        raise WeChatError(45159) from None
    if tag_id not in state.tags:
        raise WeChatError(45159)
    return tag_id


def _check_tag_name(state: EmulatorState, name: Any) -> str:
    """A tag name: ≤ 30 bytes (45158) and not taken (45157)."""
    if not isinstance(name, str) or not name:
        raise WeChatError(45157)
    if len(name.encode("utf-8")) > 30:
        raise WeChatError(45158)
    if name in state.tags.values():
        raise WeChatError(45157)
    return name


@bp.post("/cgi-bin/tags/create")
def create_tag() -> ResponseReturnValue:
    """A new tag; ids start at 100 (0–99 are WeChat's own)."""
    name = (json_body().get("tag") or {}).get("name")
    state = current_state()
    with state.lock:
        if len(state.tags) >= MAX_TAGS:
            raise WeChatError(45056)
        name = _check_tag_name(state, name)
        tag_id = state.next_tag_id
        state.next_tag_id += 1
        state.tags[tag_id] = name
    return {"tag": {"id": tag_id, "name": name}}


@bp.get("/cgi-bin/tags/get")
def list_tags() -> ResponseReturnValue:
    """Every tag with its follower count."""
    state = current_state()
    with state.lock:
        tags = [
            {"id": tag_id, "name": name, "count": _tag_count(state, tag_id)}
            for tag_id, name in state.tags.items()
        ]
    return {"tags": tags}


def _tag_count(state: EmulatorState, tag_id: int) -> int:
    """How many followers carry ``tag_id``."""
    return sum(1 for u in state.users.values() if u.subscribe and tag_id in u.tags)


@bp.post("/cgi-bin/tags/update")
def update_tag() -> ResponseReturnValue:
    """Rename a tag."""
    tag = json_body().get("tag") or {}
    state = current_state()
    with state.lock:
        tag_id = _tag_id(state, tag.get("id"))
        state.tags[tag_id] = _check_tag_name(state, tag.get("name"))
    return ok()


@bp.post("/cgi-bin/tags/delete")
def delete_tag() -> ResponseReturnValue:
    """Delete a tag and take it off every follower."""
    tag = json_body().get("tag") or {}
    state = current_state()
    with state.lock:
        tag_id = _tag_id(state, tag.get("id"))
        del state.tags[tag_id]
        for user in state.users.values():
            user.tags.discard(tag_id)
    return ok()


def _batch(tagging: bool) -> ResponseReturnValue:
    """Tag or untag up to 50 followers."""
    body = json_body()
    openids = body.get("openid_list")
    if not isinstance(openids, list) or not 0 < len(openids) <= TAG_BATCH:
        raise WeChatError(40032)
    state = current_state()
    with state.lock:
        tag_id = _tag_id(state, body.get("tagid"))
        users = [_known(state, openid) for openid in openids]
        for user in users:
            (user.tags.add if tagging else user.tags.discard)(tag_id)
    return ok()


@bp.post("/cgi-bin/tags/members/batchtagging")
def batch_tagging() -> ResponseReturnValue:
    """Put a tag on followers."""
    return _batch(tagging=True)


@bp.post("/cgi-bin/tags/members/batchuntagging")
def batch_untagging() -> ResponseReturnValue:
    """Take a tag off followers."""
    return _batch(tagging=False)


@bp.post("/cgi-bin/tags/getidlist")
def tags_of_user() -> ResponseReturnValue:
    """The tags of one follower."""
    state = current_state()
    with state.lock:
        user = _known(state, json_body().get("openid"))
        return {"tagid_list": sorted(user.tags)}


@bp.post("/cgi-bin/user/tag/get")
def users_of_tag() -> ResponseReturnValue:
    """The followers carrying a tag."""
    body = json_body()
    state = current_state()
    with state.lock:
        tag_id = _tag_id(state, body.get("tagid"))
        openids = [u.openid for u in state.users.values() if u.subscribe and tag_id in u.tags]
    page = _follower_page(openids, body.get("next_openid", ""))
    page.pop("total")
    return page


def _scene(action: str, info: dict[str, Any]) -> dict[str, Any]:
    """The scene of a QR code request, or 40053 when it does not fit the action."""
    scene = (info or {}).get("scene") or {}
    if "STR" in action:
        value = scene.get("scene_str")
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            raise WeChatError(40053)
        return {"scene_str": value}
    value = scene.get("scene_id")
    if not isinstance(value, int) or value <= 0:
        raise WeChatError(40053)
    return {"scene_id": value}


@bp.post("/cgi-bin/qrcode/create")
def create_qrcode() -> ResponseReturnValue:
    """A parametric QR code: temporary (``QR_SCENE``...) or permanent (``QR_LIMIT_*``)."""
    body = json_body()
    action = body.get("action_name")
    actions = {"QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"}
    if action not in actions:
        raise WeChatError(40053)
    scene = _scene(action, body.get("action_info"))
    ticket = "gQ" + secrets.token_urlsafe(72)
    answer: dict[str, Any] = {"ticket": ticket, "url": f"http://weixin.qq.com/q/{ticket[:22]}"}
    if "LIMIT" not in action:
        answer["expire_seconds"] = min(int(body.get("expire_seconds") or 60), QR_MAX_EXPIRE)
    state = current_state()
    with state.lock:
        state.qrcodes[ticket] = {"action_name": action, **scene, **answer}
    return answer


@bp.get("/cgi-bin/showqrcode")
def show_qrcode() -> ResponseReturnValue:
    """The QR code image of a ticket, as SVG (WeChat sends a JPEG)."""
    import qrcode
    import qrcode.image.svg

    ticket = request.args.get("ticket", "")
    state = current_state()
    with state.lock:
        code = state.qrcodes.get(ticket)
    if code is None:
        return {"errcode": 40053, "errmsg": "invalid ticket"}, 404
    image = qrcode.make(code["url"], image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(), 200, {"Content-Type": "image/svg+xml", "X-Ticket": quote(ticket)}
