"""Chinese wording of suggestion triage: the reasons shown to the coordinator, and the push telling where it went."""

from __future__ import annotations

# The same name the citizen is told when a general suggestion arrives (handlers/texts.DISTRICT_OFFICE).
DISTRICT_OFFICE = "区政务服务和数据管理局"
AWAITING_ROUTING = f"{DISTRICT_OFFICE}（待分派）"

REASON_EVENT_HOST = "关于活动“{title}”，由该活动的主责单位办理。"
REASON_SUGGESTION = "与已由{unit}办理的建议 {label} 相近（相似度 {score:.2f}；共同词：{shared}）。"
REASON_EVENT = "与{unit}的活动{label}相近（相似度 {score:.2f}；共同词：{shared}）。"
REASON_DUPLICATE = "与已由{unit}办理的建议 {label} 内容相近（相似度 {score:.2f}），已关联，建议一并转{unit}办理。"
REASON_NONE = "未找到相近的已办理建议或活动，请人工选择办理单位。"

ROUTED_PUSH = (
    "您好：您的意见建议（编号 {tracking_no}）已由区政务服务和数据管理局转{unit}办理，"
    "答复及采纳情况将推送给您，也可回复【我的建议】随时查看。"
)
CARD_ROUTED = "已转办"
