"""Chinese wording of adoption progress (落实进展): stage labels and the pushed update."""

from __future__ import annotations

STAGE_LABELS = {"studying": "研究中", "implementing": "实施中", "done": "已完成"}
NO_UPDATE_YET = "已采纳，落实进展待报送"

PROGRESS_PUSH = (
    "您的建议（编号 {tracking_no}）有新的落实进展。\n"
    "进展：{stage}（{day}）\n"
    "说明：{note}\n"
    "办理单位：{unit}\n"
    "回复【我的建议】可查看全部进展。"
)
PROGRESS_PUSH_TAIL = "（全文请回复【我的建议】查看）"
