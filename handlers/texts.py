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
    "【提问】向即将举行的政策公开讲提问\n"
    "【评价】对参加过的活动进行满意度评价\n"
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

# -- shared bits -------------------------------------------------------------------------------

NONE_GIVEN = "无"
ITEM_GONE = "（该条目已不存在）"
DIALOGUE_LABELS = {
    "apply": "填写报名信息",
    "suggest": "填写意见建议",
    "cancel_application": "确认取消报名",
    "erase": "确认删除个人信息",
    "default": "进行中的操作",
}
LEFT_DIALOGUE = "（已退出{label}，未提交的内容不会保存。）"
TEXT_ONLY_IN_DIALOGUE = "您正在{label}，这一步请回复文字。"
KEYWORD_IN_DIALOGUE = "您正在{label}。如需使用【{word}】，请先回复【取消】退出当前填写。"
DIALOGUE_LOST = "抱歉，当前填写的进度已丢失，请重新开始。回复【帮助】查看可以办理的事项。"
PICK_ONE_OR_TWO = "请回复 1 或 2。"
RESTART_HINTS = {
    "apply": "如需继续报名，请回复【报名】重新开始。",
    "suggest": "如需继续留言，请回复【建议】重新开始。",
    "cancel_application": "如需取消报名，请回复【我的报名】重新选择。",
    "erase": "如需删除个人信息，请回复【删除我的信息】重新开始。",
    "default": "回复【帮助】查看可以办理的事项。",
}

# -- lists and pages -------------------------------------------------------------------------

MORE_FOOTER = "回复【更多】查看下一页（第{page}/{pages}页）"
LAST_PAGE_FOOTER = "（第{page}/{pages}页，已是最后一页）"
DETAIL_MORE_FOOTER = "（第{page}/{pages}页）回复【更多】继续阅读"
CONTINUED = "（续）"
NOTHING_MORE = "没有可以继续查看的内容。回复【活动】查看近期活动。"
NO_MORE_PAGES = "已经是最后一页了。回复序号查看详情，或回复【活动】从头查看。"
NO_LIST = "请先查看一个列表（例如回复【活动】），再回复序号选择。"
NUMBER_WITHOUT_LIST = (
    "您回复了“{number}”，请问是指哪一项呢？\n"
    "如需按序号选择，请先回复【活动】查看活动、【我的报名】查看报名记录或【我的建议】查看建议记录，再回复序号。"
)
NUMBER_OUT_OF_RANGE = "序号超出范围，请回复 1–{count} 之间的序号。"
NUMBER_OUT_OF_RANGE_ZERO = "序号超出范围，请回复 0–{count} 之间的序号。"

# -- browsing ---------------------------------------------------------------------------------

EVENTS_TITLE_UPCOMING = "近期活动（共 {count} 场，按时间排列）"
EVENTS_TITLE_TOPIC = "“{topic}”专题活动（共 {count} 场）"
EVENTS_TITLE_LECTURES = "政策公开讲（共 {count} 场）"
EVENT_ITEM = "{when}\n{title}\n{where}\n{window}"
HINT_EVENTS = "回复序号查看活动详情。"
TOPICS_TITLE = "按专题查看活动："
TOPIC_ITEM = "{name}（近期 {count} 场）"
HINT_TOPICS = "回复序号查看该专题的活动。"
NO_UPCOMING = "近期暂无已发布的活动，敬请关注。回复【订阅】可在新活动发布时收到通知。"
NO_LECTURES = "近期暂无政策公开讲活动，敬请关注。回复【活动】查看其他活动。"
NO_TOPICS = "暂无活动专题。回复【活动】查看近期活动。"
NO_EVENTS_IN_TOPIC = "“{topic}”专题近期暂无活动。回复【订阅】可在该专题发布新活动时收到通知。"
EVENT_GONE = "该活动不存在或尚未发布。回复【活动】查看近期活动。"

DETAIL_ACTIONS_APPLY = "回复【报名】报名本场活动；回复【建议】就本场活动留言。"
DETAIL_ACTIONS = "回复【建议】就本场活动留言；回复【活动】查看其他活动。"

# -- applying ---------------------------------------------------------------------------------

APPLY_EVENTS_TITLE = "正在报名的活动（共 {count} 场）"
HINT_APPLY_EVENTS = "回复序号报名该活动。"
NO_OPEN_APPLICATIONS = "目前没有正在接受报名的活动。"
NEXT_OPENING = "\n下一场“{title}”将于 {opens} 开始报名。"
APPLY_HEAD = "您正在报名：{title}（{when}）\n填写过程中回复【取消】可随时退出。"
ASK_REUSE = (
    "您之前填写过报名信息：\n"
    "姓名：{name}\n手机：{mobile}\n身份类别：{category}\n街道（镇）：{street}\n\n"
    "回复 1 使用以上信息；回复 2 重新填写。"
)
ASK_NAME = "第 1 步：请输入您的真实姓名（2–20 个字）。"
BAD_NAME = "姓名需为 2–20 个汉字或字母（不含数字和符号），例如：张三。"
ASK_MOBILE = "第 2 步：请输入您的手机号（用于通知遴选结果和活动联系）。"
BAD_MOBILE = "手机号格式不正确，请输入 11 位中国大陆手机号，例如：13812345678。"
ASK_CATEGORY = (
    "第 3 步：请选择您的身份类别，回复序号：\n"
    "1. 人大代表\n2. 政协委员\n3. 群众代表（家长）\n4. 群众代表（企业）\n5. 媒体记者\n6. 其他群众"
)
BAD_CATEGORY = "请回复 1–6 之间的序号选择身份类别。"
ASK_STREET = "第 4 步：请选择您所在的街道（镇），回复序号或名称：\n{options}"
BAD_STREET = "没有找到该街道（镇），请回复列表中的序号，或输入如“兴丰街道”“黄村镇”的名称。"
ASK_REASON = "第 5 步（选填）：请简要说明报名理由或想了解的问题（200 字以内）；不填写请回复【跳过】。"
REASON_TOO_LONG = "报名理由请控制在 {limit} 字以内（您输入了 {length} 字）。"
PRIVACY_NOTICE = (
    "第 6 步：个人信息告知\n"
    "收集内容：姓名、手机号、身份类别、所在街道（镇）和报名理由。\n"
    "用途：仅用于本次活动的公开遴选、入选通知、入场核验和活动联系，不用于其他目的，不向第三方提供。\n"
    "保存：姓名和手机号加密保存，活动结束 {days} 天后自动删除，仅保留不含个人信息的统计数据。\n"
    "您可随时回复【我的信息】查看或删除。\n\n"
    "回复【同意】继续；回复【不同意】放弃报名。"
)
AGREE_OR_NOT = "请回复【同意】或【不同意】。"
CONSENT_REFUSED = "您未同意个人信息告知，报名未提交。如需报名，可随时回复【报名】重新开始。"
APPLY_SUMMARY = (
    "请核对报名信息：\n"
    "活动：{title}\n时间：{when}\n"
    "姓名：{name}\n手机：{mobile}\n身份类别：{category}\n街道（镇）：{street}\n报名理由：{reason}\n\n"
    "回复【确认】提交报名；回复【修改】重新填写。"
)
CONFIRM_OR_CHANGE = "请回复【确认】提交，或回复【修改】重新填写。"
APPLIED_ELSEWHERE = "您已在网页上完成“{title}”的报名（{status}），本次对话报名已结束，无需重复填写。回复【我的报名】可查看详情。"
APPLY_DONE = (
    "报名成功！\n"
    "活动：{title}（{when}）\n\n"
    "接下来：{selection}遴选结果将通过本公众号推送给您；如您入选，最迟会在 {deadline}"
    "（活动前一个工作日）收到入选通知和签到码。\n"
    "回复【我的报名】查看或取消报名。"
)
APPLICATION_NUMBER = "\n报名编号：{number}（遴选公示只列编号，不列姓名，仅您本人知道哪个编号是您）"
APPLICATION_NUMBER_LINE = "\n报名编号：{number}"
NEXT_SELECTION_DAY = "工作人员将于 {day} 进行公开遴选（随机抽选，兼顾各类代表）。"
NEXT_SELECTION_AFTER = "报名截止（{closes}）后将进行公开遴选（随机抽选，兼顾各类代表）。"
APPLY_FAILED = "抱歉，报名未能提交，请稍后回复【报名】重试。"
APPLY_NOT_SAVED = (
    "抱歉，系统繁忙，您的报名暂未提交成功，给您带来不便，敬请谅解。\n"
    "您填写的信息已为您保留，请稍后回复【确认】再次提交。"
)
ALREADY_APPLIED = "您已报名“{title}”，当前状态：{status}。\n回复【我的报名】查看详情。"
ALREADY_APPLIED_OTHERS = "您已报名“{title}”，当前状态：{status}。回复【我的报名】可查看详情。"
NO_OTHER_OPEN_APPLICATIONS = "目前没有其他正在接受报名的活动。"
CLOSED_NOT_YET = "“{title}”尚未开始报名，将于 {opens} 开放报名，届时欢迎回复【报名】。"
CLOSED_PASSED = "“{title}”的报名已于 {closes} 截止。回复【活动】查看其他活动。"
CLOSED_REASONS = {
    "started": "“{title}”已经开始或已结束，不能再报名。回复【活动】查看其他活动。",
    "no_applications": "“{title}”为线上直播活动，无需报名，届时通过直播链接观看即可。回复序号查看活动详情。",
    "cancelled": "“{title}”已取消，不再接受报名。回复【活动】查看其他活动。",
    "not_published": "该活动尚未发布，暂不能报名。回复【活动】查看近期活动。",
}

# -- my applications --------------------------------------------------------------------------

MY_APPLICATIONS_TITLE = "我的报名（共 {count} 条）"
APPLICATION_ITEM = "{when}\n{title}\n状态：{status}"
HINT_MY_APPLICATIONS = "回复序号查看详情或取消报名。"
NO_APPLICATIONS = "您还没有报名记录。回复【报名】查看正在报名的活动。"
STATUS_SELECTED = '已入选（签到码 {code}，<a href="{url}">点此出示入场码</a>）'
STATUS_WAITLISTED = "候补第 {position} 位"
STATUS_OFFERED = "候补递补：请于 {deadline} 前回复【确认参加】"
STATUS_OFFER_LAPSED = "候补递补已逾期"
APPLICATION_DETAIL = (
    "【{title}】\n时间：{when}\n地点：{place}\n状态：{status}\n\n"
    "报名信息：{name}｜{mobile}｜{category}｜{street}"
)
CHECKIN_HINT = "入场时请向工作人员出示签到码，并请提前 15 分钟到场。"
OFFER_ACTIONS = "有名额为您保留至 {deadline}：回复【确认参加】接受名额；回复【放弃名额】放弃。"
CANCEL_ACTION = "如不能参加，请回复【取消报名】。"
CANCEL_WHICH = "您有多条可取消的报名。请先回复【我的报名】，再回复序号选择要取消的一条。"
NOTHING_TO_CANCEL_APPLICATION = "您目前没有可以取消的报名。"
CANCEL_CONFIRM = "确定要取消“{title}”（{when}）的报名吗？{warning}\n回复 1 确认取消；回复 2 保留报名。"
CANCEL_SELECTED_WARNING = "\n您已入选，取消后名额将顺延给候补人员，不能恢复。"
CANCEL_KEPT = "已为您保留报名。"
APPLICATION_CANCELLED = "已取消“{title}”的报名。{note}\n回复【我的报名】查看其他报名。"
CANCELLED_SEAT_PASSED = "您的名额将顺延给候补人员，感谢您及时告知。"
CANNOT_CANCEL_STARTED = "“{title}”已经开始，不能再取消报名。"
CANNOT_CANCEL_FINAL = "“{title}”的报名当前状态为“{status}”，无需取消。"
NO_OFFER = "您目前没有待确认的候补名额。回复【我的报名】查看报名状态。"
OFFER_WHICH = "您有多个待确认的候补名额。请回复【我的报名】，选择一条后再回复【确认参加】或【放弃名额】。"
OFFER_GONE = "该名额的确认时间已过或已处理。回复【我的报名】查看最新状态。"
OFFER_ACCEPTED = (
    "已为您确认名额，您已入选！\n活动：{title}\n时间：{when}\n地点：{place}\n签到码：{code}\n"
    '入场码：<a href="{url}">点此出示</a>\n'
    "入场时请出示签到码，并请提前 15 分钟到场。"
)
OFFER_DECLINED = "已放弃“{title}”的候补名额，名额将顺延给下一位候补。感谢您及时告知。"

# -- staff binding their WeChat (console 绑定微信) ---------------------------------------------

STAFF_BOUND = ("已将本微信绑定到政民互动管理平台账号“{name}”。群发预览和工作期限提醒将发送到这里。"
               "如非本人操作，请登录工作台“绑定微信”页面解除绑定。")
STAFF_BIND_INVALID = "绑定码无效或已过期（有效期 10 分钟，只能使用一次）。请在工作台“绑定微信”页面重新生成后再发送。"

# -- suggestions ------------------------------------------------------------------------------

SUGGEST_ABOUT = (
    "请选择您的意见建议针对的活动，回复序号：\n"
    "0. 一般性意见建议（不针对具体活动）\n{events}\n\n"
    "也可以直接输入建议内容（视为一般性意见建议）；可先发送图片。回复【取消】退出。"
)
SUGGEST_EVENT_ITEM = "{number}. {day} {title}"
SUGGEST_PICK_ABOUT = "请回复序号选择，或直接输入 5 字以上的建议内容。"
SUGGEST_ABOUT_FOCUSED = (
    "您刚刚查看了“{title}”。\n"
    "1. 就本场活动留言\n"
    "2. 一般性意见建议（不针对具体活动）\n\n"
    "请回复序号选择；也可以直接输入建议内容（视为对本场活动的留言），可先发送图片。回复【取消】退出。"
)
SUGGEST_PICK_FOCUSED = "请回复 1 或 2 选择，或直接输入 5 字以上的建议内容。"
ABOUT_EVENT = "关于“{title}”"
ABOUT_GENERAL = "一般性意见建议"
ABOUT_GENERAL_SHORT = "一般性意见建议"
SUGGEST_ASK_TEXT = "{about}：请输入您的意见建议（{low}–{high} 字）。如有图片，可先发送图片再发送文字。"
SUGGEST_TOO_SHORT = "内容太短了，请至少输入 {low} 个字。"
SUGGEST_TOO_LONG = "内容请控制在 {high} 字以内（您输入了 {length} 字），可分条提交。"
SUGGEST_FLOOD = (
    "感谢您的热心参与！您在一小时内已提交 {limit} 条意见建议，为便于工作人员逐条认真办理，"
    "请于 {when} 后再留言。已提交的建议会逐条答复，回复【我的建议】可查看办理情况。"
)
PICTURE_KEPT = "图片已收到（共 {count} 张），将随建议一并提交。"
TOO_MANY_PICTURES = "每条建议最多附 {limit} 张图片。"
PICTURE_ATTACHED = "图片已附加到您的建议（编号 {tracking_no}，共 {count} 张图片）。"
SUGGEST_PICTURES = "附图 {count} 张"
DISTRICT_OFFICE = "区政务服务和数据管理局"
SUGGEST_DONE = (
    "感谢您的意见建议！\n"
    "编号：{tracking_no}\n{about}\n{pictures}\n"
    "我们将转{unit}研究办理，答复及采纳情况将推送给您，也可回复【我的建议】随时查看。\n"
    "如需补充图片，可在 30 分钟内直接发送。"
)
MY_SUGGESTIONS_TITLE = "我的意见建议（共 {count} 条）"
SUGGESTION_ITEM = "{tracking_no}｜{status}\n{about}\n{excerpt}{answer}"
SUGGESTION_ITEM_ANSWER = "\n答复：{reply}{reason}"
SUGGESTION_ITEM_REASON = "\n说明：{reason}"
HINT_MY_SUGGESTIONS = "回复序号查看全文和答复。"
NO_SUGGESTIONS = "您还没有提交过意见建议。回复【建议】即可留言。"
SUGGESTION_REPLIED = "已答复（{adoption}）"
SUGGESTION_HEAD = "编号：{tracking_no}\n提交时间：{when}\n{about}\n状态：{status}"
SUGGESTION_TEXT = "您的建议：\n{text}"
SUGGESTION_ANSWER = "采纳情况：{adoption}\n{reason}答复时间：{when}\n答复内容：\n{reply}"
SUGGESTION_REASON = "说明：{reason}\n"
SUGGESTION_PENDING = "工作人员正在研究办理，答复后将推送给您。"

# -- subscriptions ------------------------------------------------------------------------------

SUBSCRIPTIONS_TITLE = "订阅专题：订阅后，该专题发布新活动时会推送通知给您。"
SUBSCRIBED_MARK = "（已订阅）"
HINT_SUBSCRIPTIONS = "回复序号订阅或取消订阅该专题。"
SUBSCRIBED = "已订阅“{topic}”。"
UNSUBSCRIBED = "已取消订阅“{topic}”。"

# -- my data ----------------------------------------------------------------------------------

MY_INFO = (
    "本公众号保存的您的信息：\n"
    "关注状态：{following}（{since}起）\n"
    "常用报名信息：{saved}\n"
    "订阅专题：{topics}\n"
    "报名记录：{applications} 条（回复【我的报名】查看）\n"
    "意见建议：{suggestions} 条（回复【我的建议】查看）\n\n"
    "以上信息仅用于活动报名、遴选通知和意见建议办理；姓名和手机号加密保存。\n"
    "回复【删除我的信息】可删除您的个人信息。"
)
MY_INFO_SAVED = "{name}｜{mobile}｜{category}｜{street}"
MY_INFO_NOT_SAVED = "未保存"
MY_INFO_NOTHING = "本公众号目前没有保存您的个人信息。"
FOLLOWING = "已关注"
NOT_FOLLOWING = "未关注"
ERASE_CONFIRM = (
    "删除后：\n"
    "1. 常用报名信息和订阅专题将被清除；\n"
    "2. 尚未开始的活动报名将被取消（已入选的名额顺延给候补）；\n"
    "3. 报名和建议记录作为工作档案保留，但其中的姓名、手机号、报名理由和图片将被抹去，且不再与您关联，之后也无法再收到建议答复。\n\n"
    "确认删除请回复【确认删除】；回复其他任意内容放弃。"
)
ERASE_KEPT = "已放弃删除，您的信息未做任何改动。"
ERASED = (
    "已删除您的个人信息：取消报名 {cancelled} 条，匿名化报名记录 {applications} 条、建议 {suggestions} 条。\n"
    "您仍可继续使用本公众号；再次报名时需重新填写信息。"
)

# -- satisfaction rating (好差评) ------------------------------------------------------------------

DIALOGUE_LABELS["rate"] = "填写满意度评价"
RATE_PICK = "请选择您要评价的活动（回复序号）：\n{events}"
RATE_EVENT_ITEM = "{number}. {day} {title}"
RATE_NOTHING = (
    "您目前没有可以评价的活动。\n"
    "满意度评价面向已现场签到的参加人员，以及报名了直播活动或通过活动页面“进入直播”观看的市民；"
    "活动结束后 {days} 天内可以评价或修改。"
)
RATE_ASK_LEVEL = (
    "请对“{title}”进行满意度评价，回复序号：\n"
    "1. 非常满意\n2. 满意\n3. 基本满意\n4. 不满意\n5. 非常不满意"
)
RATE_ALREADY = "您已评价“{level}”，{until}前可以修改，本次评价将替换原评价。"
RATE_LEVEL_INVALID = "请回复 1–5 之间的数字（1 为非常满意，5 为非常不满意）。"
RATE_ASK_TAGS = "您选择了“{level}”。请选择符合的方面，可多选，例如回复 1 3；回复【跳过】不选：\n{tags}"
RATE_TAG_ITEM = "{number}. {tag}"
RATE_TAGS_INVALID = "请回复 1–{count} 之间的序号，多个序号用空格分开；回复【跳过】不选。"
RATE_ASK_COMMENT = "如有具体意见，请直接输入（{limit} 字以内）；回复【跳过】直接提交。"
RATE_COMMENT_TOO_LONG = "您输入了 {length} 字，评价意见请控制在 {limit} 字以内。"
RATE_COMMENT_FLOOD = (
    "感谢您的反馈！您在一小时内已填写 {limit} 条评价意见，请于 {when} 后再填写；"
    "也可以回复【跳过】，不填意见直接提交本次评价。"
)
RATE_SKIP_WORDS = ("跳过", "不用", "没有", "无")
RATE_DONE = "感谢您的评价！\n活动：{title}\n评价：{level}{tags}\n{until}前回复【评价】可以修改。"
RATE_CHANGED = "已修改您的评价。\n活动：{title}\n评价：{level}{tags}\n{until}前回复【评价】可以再次修改。"
RATE_DONE_TAGS = "（{tags}）"
RATE_BAD_FOLLOW_UP = "\n我们已将您的意见转{unit}，工作人员将在 1 个工作日内回访，15 个工作日内整改答复。"
RATE_CLOSED = "抱歉，“{title}”的满意度评价已于活动结束 {days} 天后截止，本次评价未保存。"
RATE_NOT_ATTENDED = ("抱歉，满意度评价面向现场签到参加“{title}”的人员；直播活动还面向报名了该活动、"
                     "或通过公众号活动页面“进入直播”观看的市民。您的评价未保存。")
RATE_NOT_RATABLE = "抱歉，这场活动目前不能评价（尚未结束或已取消）。"
RATE_AGAIN_ASK = (
    "{unit}已就您对“{title}”的评价（{level}）整改答复。请对整改情况再评价一次（追评），回复序号：\n"
    "1. 非常满意\n2. 满意\n3. 基本满意\n4. 不满意\n5. 非常不满意"
)
RATE_AGAIN_DONE = "感谢您的追评！\n活动：{title}\n原评价：{first}\n追评：{level}\n追评只能提交一次。"
RATE_AGAIN_CLOSED = "抱歉，这条评价已追评过或已超过追评期限，本次追评未保存。"

# -- adoption progress in 我的建议 (services.participation.progress) ------------------------------

SUGGESTION_PROGRESS_STATUS = "{status}·{stage}"
SUGGESTION_PROGRESS = "落实进展：\n{lines}"
SUGGESTION_PROGRESS_LINE = "{day} {stage}：{note}"
SUGGESTION_PROGRESS_NONE = "落实进展：承办单位正在推进，有进展会推送给您。"

# -- questions before a policy lecture (handlers/questions.py) ----------------------------------

DIALOGUE_LABELS["question"] = "填写讲座提问"
QUESTION_NO_LECTURES = "目前没有正在征集问题的政策公开讲。新讲座发布后，可回复【提问】向主讲单位提问；回复【活动】查看近期活动。"
QUESTION_PICK = "请选择要提问的政策公开讲，回复序号：\n{lectures}\n\n回复【取消】退出。"
QUESTION_LECTURE_ITEM = "{number}. {day} {title}"
QUESTION_PICK_AGAIN = "请回复 1–{count} 之间的序号。"
QUESTION_ASK = (
    "请直接输入您想在“{title}”（{when}）上提出的问题，不超过 {high} 字。\n"
    "主讲单位会在讲座现场解答，或在会后书面答复并推送给您；已答复的问题经审核后在活动页面公开（不显示提问人信息，手机号等个人信息自动隐去）。\n"
    "回复【取消】退出。"
)
QUESTION_EMPTY = "问题内容不能为空。"
QUESTION_FLOOD = (
    "感谢您的积极提问！您在一小时内已提交 {limit} 个问题，请于 {when} 后再提问。"
    "已提交的问题主讲单位会在现场解答或会后书面答复。"
)
QUESTION_TOO_LONG = "问题请控制在 {high} 字以内（您输入了 {length} 字），请精简后重新发送。"
QUESTION_DONE = (
    "已收到您的问题，感谢您的参与！\n"
    "讲座：{title}（{when}）\n"
    "您的问题：{excerpt}\n"
    "主讲单位会在现场解答或会后书面答复，答复将推送给您。如需补充，可再次回复【提问】。"
)
QUESTION_LECTURE_OVER = "“{title}”已经开始或已结束，不再征集问题。讲座视频和已答复的问题可在活动页面查看：{url}"
QUESTION_NOT_A_LECTURE = "会前提问仅适用于政策公开讲。回复【提问】查看正在征集问题的讲座。"
