"""Chinese wording of satisfaction ratings (好差评) that services compose: levels and pushed messages."""

from __future__ import annotations

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}

INVITATION = (
    "感谢您参加“{title}”！\n"
    "为不断改进政民互动活动，诚邀您对本场活动进行满意度评价（非常满意、满意、基本满意、不满意、非常不满意）。\n"
    "回复【评价】即可在对话中评价{link}，{days} 天内可修改。"
)
INVITATION_LINK = "，或<a href=\"{url}\">点此在页面评价</a>"
INVITATION_ITEM = "活动满意度评价邀请"

FOLLOW_UP_REPLY = (
    "您对“{title}”的评价（{level}）已由{unit}回访整改，答复如下：\n"
    "{reply}\n\n"
    "感谢您的监督。如您愿意，可回复【评价】对整改情况再评价一次（追评）。"
)
FOLLOW_UP_ITEM = "差评整改答复"
