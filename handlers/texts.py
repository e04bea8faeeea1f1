"""Every sentence the official account says to a citizen, in one place.

Keep each reply well under WeChat's 2,048-byte limit; long lists paginate.
"""

from __future__ import annotations

ACCOUNT_NAME = "大兴区政民互动"

WELCOME = (
    "您好，欢迎关注“{account}”！\n"
    "这里发布“政务开放日”和“政策公开讲”活动，您可以报名参加公开遴选、留言建议，并查看建议的采纳情况。\n\n"
    "{menu}"
)

HELP = (
    "您可以点击下方菜单，或直接回复以下文字：\n"
    "【活动】近期活动\n"
    "【报名】报名参加公开遴选\n"
    "【我的报名】查看或取消报名\n"
    "【建议】留言建议\n"
    "【我的建议】查看建议办理情况\n"
    "【订阅】订阅专题活动提醒\n"
    "【我的信息】查看或删除个人信息\n"
    "【帮助】显示本说明\n"
    "在列表中回复序号即可选择；填写过程中回复【取消】可随时退出。"
)

UNKNOWN = "抱歉，没有理解您的意思。\n" + HELP

CANCELLED = "已退出当前操作。回复【帮助】查看可以办理的事项。"
NOTHING_TO_CANCEL = "当前没有进行中的操作。回复【帮助】查看可以办理的事项。"
DIALOGUE_EXPIRED = "您之前的填写已超过 30 分钟未继续，已自动结束，请重新开始。"

NON_TEXT = "已收到。目前公众号只能处理文字消息，请回复文字或点击下方菜单。回复【帮助】查看可以办理的事项。"
LOCATION = "已收到您的位置。如需查找附近的活动，请回复【活动】查看近期活动及地点。"

SORRY_BUSY = "系统繁忙，请稍后再试。给您带来不便，敬请谅解。"
SORRY_ERROR = "抱歉，系统处理时出现问题，我们已记录并会尽快处理。请稍后再试。"
STATE_UNAVAILABLE = "系统繁忙，暂时无法继续填写，请稍后再试。您可以先回复【活动】浏览活动。"
