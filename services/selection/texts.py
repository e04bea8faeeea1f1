"""Chinese wording of the selection engine: problems, notes, progress stages and notices.

Kept apart from the logic so that the words can be reviewed (and changed) in one place.
"""

from __future__ import annotations

FEATURE_LABELS = {"category": "类别", "street": "街镇"}
ALGORITHM_LABELS = {"everyone": "全体入选（报名人数不超过席位，未抽签）", "maximin": "最大最小公平算法（maximin）", "nash": "纳什公平算法（nash）", "legacy": "传统分层抽签（legacy）",
                    "sealed": "封存抽签（最大最小公平分布取整为等概率名单，由公开随机数选定）"}
STATUS_LABELS = {"queued": "排队中", "running": "抽取中", "done": "已完成", "failed": "失败", "confirmed": "已确认"}

# -- problems found before the solver runs (check_feasibility) ------------------------------
NO_SEATS = "没有需要抽取的席位（活动席位 {seats} 个，定向邀请已占 {invited} 个）"
NO_SEATS_PLAIN = "没有需要抽取的席位"
TOO_FEW_APPLICANTS = "需要抽取 {seats} 人，但只有 {count} 人报名"
MIN_ABOVE_MAX = "“{value}”的下限 {lo} 大于上限 {hi}"
MIN_NOT_MET = "“{value}”至少需要 {lo} 人，但只有 {count} 人报名"
MINS_TOO_HIGH = "各{feature}下限合计 {total} 人，超过待抽取的 {seats} 人"
MAXES_TOO_LOW = "各{feature}最多可入选 {total} 人（上限与报名人数取较小者），不足待抽取的 {seats} 人"
UNKNOWN_ALGORITHM = "未知的遴选算法“{algorithm}”，可选：maximin、nash、legacy"
LEXIMIN_UNAVAILABLE = "leximin 算法需要商业求解器 Gurobi，本系统未安装；请使用 maximin"

# -- notes attached to a result -------------------------------------------------------------
RELAXED = "配额无法同时满足，已按最小调整自动放宽："
RELAXED_MIN = "“{value}”下限由 {old} 调整为 {new}"
RELAXED_MAX = "“{value}”上限由 {old} 调整为 {new}"
EVERYONE_SELECTED = "报名人数（{count} 人）不超过待抽取席位（{seats} 个），全体报名者入选，未进行抽签"
MIN_LOWERED = "“{value}”只有 {count} 人报名，下限由 {old} 调整为 {count}"
MAX_RAISED = "按默认配额无法抽满席位，“{value}”上限由 {old} 调整为 {new}"
FELL_BACK = "公平算法在 {budget:g} 秒内未完成，已改用传统分层抽签（legacy）；结果同样可用同一种子复现"
FAILED_PRIMARY = "公平算法出错（{error}），已改用传统分层抽签（legacy）"
UNSELECTABLE = "“{category}”有 {count} 位报名者无法入选（入选概率为 0）：{reason}"
REASON_CATEGORY_CAPPED = "该类别的上限为 0"
REASON_STREET_CAPPED = "其所在街镇“{street}”的上限为 0"
REASON_NO_PLACE = "满足其他配额的任何名单中都没有其位置（例如其他类别的下限已占满席位）"
INFEASIBLE_SUGGESTION = "配额无法同时满足，建议按以下最小调整放宽后重试："
INFEASIBLE_AFTER_RELAX = "配额无法满足，且无法自动放宽，请调整配额"
LEGACY_FAILED = "传统分层抽签多次尝试仍未满足配额，请放宽配额后重试"
ENGINE_CRASHED = "遴选计算进程异常退出：{error}"
ENGINE_TIMEOUT = "遴选计算超时（{seconds:g} 秒）"

# -- progress stages ------------------------------------------------------------------------
STAGE_START = "启动遴选计算"
STAGE_PREPARE = "整理报名数据与配额"
STAGE_FEASIBLE = "检查配额可行性"
STAGE_COVER = "生成候选名单组合（{done}/{total}）"
STAGE_OPTIMISE = "优化入选概率：第 {iteration} 轮，{committees} 个候选组合"
STAGE_MW = "搜索多样化候选组合（{done}/{total}）"
STAGE_LEGACY = "传统分层抽签：第 {attempt} 次尝试"
STAGE_DRAW = "按种子抽取名单"
STAGE_WAITLIST = "排定候补顺序"
STAGE_FALLBACK = "公平算法超时，改用传统分层抽签"
STAGE_DONE = "遴选完成"

# -- preview (quotas before applications open) ---------------------------------------------
PREVIEW_EMPTY = "请至少填写一个类别的预计报名人数"
PREVIEW_NEGATIVE = "预计报名人数不能为负数"
PREVIEW_TOO_LARGE = "预计报名人数合计超过 {limit:,} 人，请核对"
PREVIEW_BAD_CAP = "“每个街镇最多”应为不小于 0 的整数"
BINDS_MAX = "“{value}”的上限 {hi} 人起约束作用：每次抽出的名单都恰好有 {hi} 人"
BINDS_MIN = "“{value}”的下限 {lo} 人起约束作用：每次抽出的名单都恰好有 {lo} 人"
BINDS_STREETS = "每个街镇最多 {cap} 人的限制生效"
BINDS_NONE = "没有配额起约束作用：入选概率与不设配额时相同"
PREVIEW_SPREAD = "预计报名者按全区 {count} 个街镇平均分布估算"

# -- the public record ------------------------------------------------------------------------
RECORD_NOT_YET = "本场活动的遴选结果尚未确认。确认后，此处将公示随机种子、配额、各类别报名与入选人数及复核方法。"

# -- verify -----------------------------------------------------------------------------------
NO_RUN = "该活动还没有可核验的遴选结果"
SEED_DIFFERS = "种子不同：存档为 {stored}，输入为 {given}"
SELECTED_MISSING = "存档入选但复算未入选：{ids}"
SELECTED_EXTRA = "复算入选但存档未入选：{ids}"
WAITLIST_DIFFERS = "候补顺序不同"
POOL_CHANGED = "报名 {id} 的{feature}已变化：抽签时为“{old}”，现为“{new}”"
POOL_MISSING = "报名 {id} 已不在数据库中"

# -- the sealed lottery (封存抽签) --------------------------------------------------------------
PANEL_COUNT_INVALID = "候选名单数量应为 1000、10000、100000 等 10 的整数次幂（至少 1000），以便公开随机数的末几位均匀选出名单"
STAGE_ROUND = "正在把最优分布取整为 {panels} 份等可能的候选名单"
ROUNDING_FAILED = "取整为等可能候选名单时出错，请联系技术人员"
CONFIRM_SEALED_RUN = "该活动的抽签已封存，只能确认按公开随机数抽出的名单（不能确认其他遴选结果）"
LOTTERY_NOT_YET = "本场活动的抽签尚未封存。报名截止后，此处将公示全部候选名单及决定名单的公开随机数。"
SEAL_WHILE_OPEN = "报名尚未截止（{closes} 截止），截止后才能封存报名名单"
SEAL_NO_APPLICANTS = "该活动还没有可参加抽签的报名，不能封存"
ALREADY_SEALED = "该活动的抽签已于 {at} 封存（指纹 {digest}）；如确需重新封存，请用 --reason 说明理由（理由将公开显示）"
SEAL_AFTER_DRAW = "该活动已按公开随机数 {value} 抽签；如确需重新封存，请用 --reason 说明理由（理由将公开显示）"
NOT_SEALED = "该活动的抽签尚未封存，请先运行 flask selection seal {event_id}"
ALREADY_DRAWN = "该活动已按公开随机数 {value} 抽出第 {index} 号名单，不能用另一个随机数（{given}）再抽；如确需重抽，须先说明理由重新封存"
BEACON_INVALID = "公开随机数应为非负整数（例如福彩3D开奖号码 058），收到“{value}”"
BEACON_DATE_PAST = "公开随机数的日期（{date}）早于今天，封存必须在随机数公布之前"
LOTTERY_SEALED = ("该活动的抽签已封存并公示了全部候选名单，只能按公开随机数抽签："
                  "flask selection run {event_id} --beacon 开奖号码")
BEACON_3D = ("福彩3D", "中国福利彩票“3D”游戏 {date} 当晚开奖号码（三位数 000–999，按开奖顺序连读）")
BEACON_P5 = ("体彩排列5", "中国体育彩票“排列5”游戏 {date} 当晚开奖号码（五位数 00000–99999，按开奖顺序连读）{tail}")
BEACON_TAIL = "的后 {digits} 位"
BEACON_RULE = "第 (开奖号码 mod {panels}) 号名单即为入选名单（名单从 0 编号）"
SEAL_CHANGED = "封存记录与其指纹不符（封存后被改动）"
SEALED_PANEL_DIFFERS = "入选名单与封存的第 {index} 号名单不一致"

# -- notices (outbox payloads) ----------------------------------------------------------------
NOTICE_SELECTED = (
    "恭喜您入选“{title}”！\n"
    "时间：{when}\n"
    "地点：{place}\n"
    "签到码：{code}（请于活动开始前 15 分钟凭签到码入场）\n"
    "入场码：{pass_url}\n"
    "活动内容：{summary}\n"
    "如不能参加，请回复【我的报名】取消，名额将顺延给候补人员。\n"
    "遴选公示（种子、配额与各类别入选概率，可复核）：{record_url}"
)
NOTICE_WAITLISTED = (
    "感谢您报名“{title}”（{when}）。本次公开遴选您暂列候补第 {rank} 位；"
    "如有名额空出，我们会第一时间通知您。\n"
    "遴选公示（种子、配额与各类别入选概率，可复核）：{record_url}"
)
NOTICE_NOT_SELECTED = (
    "感谢您报名“{title}”（{when}）。本次公开遴选名额有限，您未能入选。"
    "欢迎关注直播并通过公众号提出意见建议，也欢迎报名后续活动。\n"
    "遴选公示（种子、配额与各类别入选概率，可复核）：{record_url}"
)
RESULT_SELECTED = "已入选"
RESULT_WAITLISTED = "候补"  # template "phrase" fields hold at most 5 characters; the rank is in the text
RESULT_NOT_SELECTED = "未入选"


def default_beacon(day: str, panel_count: int) -> tuple[str, str]:
    """(source, description) of the public number for ``panel_count`` panels: 福彩3D for 1,000, else 排列5's last digits."""
    digits = len(str(panel_count)) - 1
    if digits <= 3:
        return BEACON_3D[0], BEACON_3D[1].format(date=day)
    tail = BEACON_TAIL.format(digits=digits) if digits < 5 else ""
    return BEACON_P5[0], BEACON_P5[1].format(date=day, tail=tail)


def percent(probability: float | None, decimals: int = 2) -> str:
    """A probability as a percentage readable at any pool size: 4.92%, 0.03093% (four significant digits below 1%)."""
    if probability is None:
        return "—"
    if probability == 0 or probability >= 0.01:
        return f"{probability:.{decimals}%}"
    return f"{probability * 100:.4g}%"
