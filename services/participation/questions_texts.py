"""Chinese wording of questions before a policy lecture (答疑): the pushed written reply."""

from __future__ import annotations

STATUS_LABELS = {"open": "待答复", "answered_live": "已现场解答", "replied": "已书面答复"}

REPLY_PUSH = (
    "您就“{title}”提出的问题已有答复。\n"
    "您的问题：{question}\n"
    "答复：{reply}\n"
    "答复单位：{unit}"
)
REPLY_PUSH_TAIL = "（全文请在活动页面查看）"
CARD_STATUS = "讲座提问已答复"
