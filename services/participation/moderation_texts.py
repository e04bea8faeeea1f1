"""Chinese wording of moderation (公开前审核) and of the pushes it and lecture answers send."""

from __future__ import annotations

KIND_LABELS = {"suggestion": "采纳的意见建议", "question": "讲座提问"}
STATUS_LABELS = {"pending": "待审核", "held": "敏感词复核", "approved": "已公开", "rejected": "不予公开"}

PUBLISHED_SUGGESTION = (
    "您好：您的意见建议（编号 {tracking_no}）及办理答复已在“采纳建议落实情况”页面公开，"
    "其中的个人信息已隐去。感谢您对政民互动的支持！"
)
PUBLISHED_QUESTION = (
    "您好：您就“{title}”提出的问题及解答已在活动页面公开，其中的个人信息已隐去。感谢您的参与！"
)
CARD_PUBLISHED = "已公开"

ANSWERED_LIVE_PUSH = (
    "您好：您就“{title}”提出的问题已在讲座现场解答。\n"
    "您的问题：{question}\n"
    "如需书面答复，可在公众号回复【建议】继续留言。解答经审核后将在活动页面公开。"
)
ANSWERED_LIVE_TAIL = "（全文请在活动页面查看）"
CARD_ANSWERED_LIVE = "已现场解答"
LIVE_ANSWER_PUBLIC = "已在讲座现场解答。"
