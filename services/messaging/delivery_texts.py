"""Chinese reasons staff read next to a message that could not be delivered."""

from __future__ import annotations

ERROR_REASONS = {
    -1: "微信系统繁忙",
    40001: "access_token 无效（已刷新重试）",
    40003: "openid 无效（不是本公众号的用户）",
    40014: "access_token 无效（已刷新重试）",
    40037: "模板 ID 无效，请检查 WECHAT_TEMPLATE_IDS 配置",
    42001: "access_token 已过期（已刷新重试）",
    43004: "用户未关注公众号或已取消关注",
    43101: "用户拒绝接收订阅通知",
    45009: "接口调用超过频率限制",
    45015: "用户超过48小时未与公众号互动，无法发送客服消息，且没有其他可用渠道",
    45028: "本月群发次数已用完",
    45047: "客服消息条数已达上限",
    47003: "模板字段不符合微信的字段类型规则（如 thing 不超过20字、phrase 不超过5个汉字、time 须为时间，不能为空或换行），请检查 WECHAT_TEMPLATE_FIELDS 与所选模板",
    48001: "公众号没有该接口权限（请在公众平台开通或检查账号类型）",
}
NO_CHANNEL = "没有可用的发送渠道：消息既无文字内容可发客服消息，也无可用的模板（请检查模板配置）"
TOO_MANY_ATTEMPTS = "已重试 {attempts} 次仍未成功，不再自动重试"
RECOVERED = "投递进程在发送中途中断，已重新排队（可能重复发送一次）"
MAYBE_DELIVERED = "请求超时，微信可能已收到；已重新排队（可能重复发送一次）"
INFRASTRUCTURE = "本系统的 Redis 暂时不可用，消息尚未发出；稍后自动重发（不计入重试次数）"
RETRYING = "暂时失败，{delay} 秒后重试"


def reason(code: int | None, message: str) -> str:
    """A staff-readable reason for WeChat's ``code`` (or a network error)."""
    if code is None:
        return f"网络或微信服务器错误（{message}）"
    known = ERROR_REASONS.get(code)
    return f"{known}（错误码 {code}）" if known else f"微信返回错误 {code}：{message}"
