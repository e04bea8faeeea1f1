"""Chinese wording of what the closing report pushes: the lecture video and the event's materials."""

from __future__ import annotations

RECORDING_PUSH = (
    "您好：您关注的“{title}”（{when}）{what}已发布，欢迎随时观看、下载。\n"
    "{lines}"
    "活动页面：{url}\n"
    "如有意见建议，欢迎回复【建议】告诉我们。"
)
WHAT_VIDEO = "讲解视频"
WHAT_MATERIALS = "活动资料"
WHAT_BOTH = "讲解视频和活动资料"
VIDEO_LINE = "观看视频：{url}\n"
MATERIALS_LINE = "查看资料：{url}\n"
CARD_STATUS_VIDEO = "讲解视频已发布"
CARD_STATUS_MATERIALS = "活动资料已发布"
