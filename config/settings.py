"""Typed settings, read once from the environment (and an optional ``.env``).

Every value has an embedded development default, so ``make run`` needs no
configuration. A wrong value stops start-up with a message that names the
variable and says what is expected; production refuses the development secret
key and missing WeChat credentials.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"
HOLIDAYS_DIR = ROOT / "config" / "holidays"
DEV_SECRET_KEY = "dev-secret-key-change-me"
# WeChat's own published sample key; fine for the local emulator, never for production.
DEV_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
EMULATOR_BASE = "http://127.0.0.1:8081"
# WeChat's own hosts: what an unset WECHAT_API_BASE / WECHAT_OAUTH_BASE means in production.
WECHAT_HOSTS = {"WECHAT_API_BASE": "https://api.weixin.qq.com", "WECHAT_OAUTH_BASE": "https://open.weixin.qq.com"}
MIN_DISTINCT_CHARACTERS = 8  # a key of fewer different characters ("aaaa…", "abab…") is no secret


class SettingsError(RuntimeError):
    """Raised when the environment holds an invalid or unsafe configuration."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    APP_ENV: Literal["development", "production", "test"] = "development"
    SECRET_KEY: str = DEV_SECRET_KEY
    DATABASE_URL: str = ""
    REDIS_URL: str = ""

    WECHAT_TOKEN: str = "demotoken"
    WECHAT_APPID: str = "wx_demo_appid"
    WECHAT_SECRET: str = "demo_secret"
    WECHAT_AES_KEY: str = DEV_AES_KEY
    WECHAT_ACCOUNT_ID: str = "gh_demo"
    # Empty: the emulator in development and tests, WeChat's own hosts (WECHAT_HOSTS) in production.
    WECHAT_API_BASE: str = ""
    # Web authorisation (网页授权): WeChat's authorise host differs from its API host.
    WECHAT_OAUTH_BASE: str = ""
    CITIZEN_SESSION_MINUTES: int = Field(default=120, ge=5)
    WECHAT_HTTP_TIMEOUT: float = Field(default=5.0, gt=0)
    WECHAT_TEMPLATE_IDS: str = "selection=tmpl_selection,offer=tmpl_offer,reminder=tmpl_reminder,reply=tmpl_reply,notice=tmpl_notice"

    # The instance folder (SQLite file, embedded Redis); empty: instance/ in the checkout.
    INSTANCE_PATH: str = ""

    # Message mode as on WeChat's configuration page (明文 / 兼容 / 安全); empty: safe in production,
    # compatible otherwise. Safe accepts only encrypted bodies whose msg_signature verifies.
    WECHAT_MESSAGE_MODE: Literal["", "plain", "compatible", "safe"] = ""
    # A push whose timestamp is further than this from the service clock is refused; each
    # (timestamp, nonce) is accepted once (for one body) within it.
    WECHAT_TIMESTAMP_WINDOW_SECONDS: int = Field(default=300, ge=30, le=3600)

    # Console sessions end after this many seconds without a request (and on logout, new password, deactivation).
    CONSOLE_IDLE_SECONDS: int = Field(default=8 * 3600, ge=300, le=7 * 86400)

    # Proxies (load balancers) in front of the service whose X-Forwarded-For / -Proto are trusted; 0: none.
    TRUSTED_PROXY_HOPS: int = Field(default=0, ge=0, le=5)

    # Bearer token that /metrics requires (Authorization: Bearer <token>); required in production.
    METRICS_TOKEN: str = ""

    PUBLIC_BASE_URL: str = "http://127.0.0.1:8080"
    SIMULATOR_ENABLED: bool = False
    # Waits on the database. The web processes get sub-second limits from gunicorn.conf.py (the 1-second
    # reply); workers, the scheduler and the CLI keep these longer defaults. 0 = no limit (PostgreSQL).
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=0, ge=0)
    DB_LOCK_TIMEOUT_MS: int = Field(default=0, ge=0)
    DB_POOL_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    SQLITE_BUSY_TIMEOUT_SECONDS: float = Field(default=15.0, gt=0)
    DEDUP_TTL_SECONDS: int = Field(default=60, ge=30)
    DIALOGUE_TTL_SECONDS: int = Field(default=1800, ge=60)
    MAX_BODY_BYTES: int = Field(default=64 * 1024, ge=1024)
    PERSONAL_DATA_KEY: str = ""
    RETENTION_DAYS: int = Field(default=180, ge=1)
    # Flood limit: at most this many suggestions, this many lecture questions and this many rating comments
    # per citizen in any hour, across the chat and the citizens' pages (services.intake.flood).
    CITIZEN_POSTS_PER_HOUR: int = Field(default=10, ge=1, le=1000)

    # Reminders and deadline notices (issue 5). Times are Asia/Shanghai wall times "HH:MM".
    REMINDER_TIME: str = "09:00"
    REMINDER_TEXT: str = (
        # No arrival advice here: the line with the participant's check-in code says it once (提前 15 分钟).
        "【活动提醒】您入选的“{title}”将于{time}在{place}举行。"
        "如不能参加，请在公众号回复“我的报名”取消，把名额留给其他市民。"
    )
    DEADLINE_NOTICE_TIME: str = "09:00"
    DIGEST_TIME: str = "09:00"
    # Semantic payload names → template field keys, per template purpose (JSON; empty: built-in map).
    WECHAT_TEMPLATE_FIELDS: str = ""
    # Subscribe-notification (订阅通知) template ids, same format as WECHAT_TEMPLATE_IDS; empty disables it.
    WECHAT_SUBSCRIBE_TEMPLATE_IDS: str = (
        "selection=tmpl_selection,offer=tmpl_offer,reminder=tmpl_reminder,reply=tmpl_reply,notice=tmpl_notice"
    )
    # Delivery: channel order for channel "auto", workers, retries.
    DELIVERY_CHANNELS: str = "custom,template,subscribe"
    DELIVERY_TEXT_FALLBACK_TEMPLATE: str = "notice"
    DELIVERY_QUEUE: str = "delivery"
    DELIVERY_THREADS: int = Field(default=64, ge=1, le=512)
    DELIVERY_BATCH_SIZE: int = Field(default=100, ge=1, le=5000)
    DELIVERY_MAX_ATTEMPTS: int = Field(default=8, ge=1, le=50)
    DELIVERY_BACKOFF_BASE: float = Field(default=2.0, gt=0)
    DELIVERY_BACKOFF_MAX: float = Field(default=900.0, gt=0)
    DELIVERY_WORKER_TTL: int = Field(default=15, ge=1)
    DELIVERY_DISPATCH_SECONDS: float = Field(default=2.0, gt=0)
    DELIVERY_RECOVER_SECONDS: float = Field(default=10.0, gt=0)
    SCHEDULER_LEADER_TTL: int = Field(default=30, ge=1, le=55)
    SCHEDULER_TICK_SECONDS: float = Field(default=60.0, gt=0)
    # How often the scheduler writes the citizens' interaction times noted by the webhook (docs/delivery.md).
    INTERACTION_FLUSH_SECONDS: float = Field(default=2.0, gt=0, le=60)

    @field_validator("REMINDER_TEXT")
    @classmethod
    def _reminder_text_fields(cls, value: str) -> str:
        try:
            value.format(title="活动", time="10月9日 09:30", place="地点")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"只能使用 {{title}}、{{time}}、{{place}} 三个占位符（{exc}）") from None
        return value

    @field_validator("REMINDER_TIME", "DEADLINE_NOTICE_TIME", "DIGEST_TIME")
    @classmethod
    def _wall_time(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("必须是 24 小时制的“时:分”，例如 09:00")
        return value.strip()

    @field_validator("WECHAT_AES_KEY")
    @classmethod
    def _aes_key_shape(cls, value: str) -> str:
        if value and len(value) != 43:
            raise ValueError("必须是 43 个字符（微信公众平台“消息加解密密钥 EncodingAESKey”）")
        return value

    @field_validator("WECHAT_TOKEN")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        if not (3 <= len(value) <= 32) or not value.isalnum():
            raise ValueError("必须是 3–32 位英文字母或数字（与公众平台“令牌 Token”一致）")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("必须以 sqlite: 或 postgresql: 开头")
        if value.startswith("postgres:") or value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url_shape(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("必须以 redis://、rediss:// 或 unix:// 开头")
        return value

    @field_validator("WECHAT_API_BASE", "WECHAT_OAUTH_BASE", "PUBLIC_BASE_URL")
    @classmethod
    def _http_url(cls, value: str, info) -> str:
        if not value and info.field_name != "PUBLIC_BASE_URL":
            return value  # the default host (_wechat_hosts)
        if not value.startswith(("http://", "https://")):
            raise ValueError("必须是以 http:// 或 https:// 开头的网址")
        return value.rstrip("/")

    @field_validator("PERSONAL_DATA_KEY")
    @classmethod
    def _personal_data_key_shape(cls, value: str) -> str:
        """Comma-separated Fernet keys (models/cipher.py): each 32 bytes in URL-safe base64 (44 characters)."""
        for key in (part.strip() for part in value.split(",")):
            if not key and value:
                raise ValueError("多个密钥之间用英文逗号分隔，不能有空项")
            if key and not _is_fernet_key(key):
                raise ValueError("每个密钥必须是 32 字节的 URL 安全 Base64 编码（44 个字符，可用 "
                                 "python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\" 生成）")
        return value

    @model_validator(mode="after")
    def _wechat_hosts(self) -> Settings:
        for name, real in WECHAT_HOSTS.items():
            if not getattr(self, name):
                setattr(self, name, real if self.APP_ENV == "production" else EMULATOR_BASE)
        return self

    @model_validator(mode="after")
    def _message_mode(self) -> Settings:
        if not self.WECHAT_MESSAGE_MODE:
            self.WECHAT_MESSAGE_MODE = "safe" if self.APP_ENV == "production" else "compatible"
        if self.WECHAT_MESSAGE_MODE != "plain" and not self.WECHAT_AES_KEY:
            raise ValueError(f"WECHAT_MESSAGE_MODE：{self.WECHAT_MESSAGE_MODE} 模式需要设置 WECHAT_AES_KEY"
                             "（或改为 plain）")
        return self

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        """In production, every unsafe setting is refused with one line naming it and what to set."""
        if self.APP_ENV != "production":
            return self
        problems = []
        if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32 or _weak(self.SECRET_KEY):
            problems.append("SECRET_KEY：生产环境必须设置至少 32 个字符的随机密钥，不能使用开发默认值或重复的字符")
        for name in ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_ACCOUNT_ID"):
            if getattr(self, name) in ("", "wx_demo_appid", "demo_secret", "demotoken", "gh_demo", DEV_AES_KEY):
                problems.append(f"{name}：生产环境必须填写公众号的真实配置")
        if self.WECHAT_AES_KEY not in ("", DEV_AES_KEY) and _weak(self.WECHAT_AES_KEY):
            problems.append("WECHAT_AES_KEY：请在公众平台“基本配置”中随机生成消息加解密密钥（EncodingAESKey），"
                            "不能使用重复的字符")
        if self.WECHAT_MESSAGE_MODE == "plain":
            problems.append("WECHAT_MESSAGE_MODE：生产环境不能使用明文模式，请设为 safe（安全模式）或 compatible（兼容模式），"
                            "并在公众平台选择相同的消息加解密方式")
        if not self.PUBLIC_BASE_URL.startswith("https://"):
            problems.append("PUBLIC_BASE_URL：生产环境必须是 https:// 开头的公网地址（市民网页与网页授权需要）")
        for name in WECHAT_HOSTS:
            if urlsplit(getattr(self, name)).scheme == "http" and not _private_host(getattr(self, name)):
                problems.append(f"{name}：生产环境请使用 https://（或不设置，即微信官方地址）；"
                                "http:// 只允许本机或内网地址（出口代理、预发环境的模拟器）")
        if not self.DATABASE_URL.startswith("postgresql"):
            problems.append("DATABASE_URL：生产环境必须使用 PostgreSQL")
        if not self.REDIS_URL:
            problems.append("REDIS_URL：生产环境必须连接独立的 Redis 服务")
        if not self.PERSONAL_DATA_KEY:
            problems.append("PERSONAL_DATA_KEY：生产环境必须设置个人信息加密密钥")
        if len(self.METRICS_TOKEN) < 24:
            problems.append("METRICS_TOKEN：生产环境必须为 /metrics 设置至少 24 个字符的随机令牌")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def plain_http_wechat_bases(self) -> list[str]:
        """The WeChat bases reached over plain http:// (production warns about them at start)."""
        return [name for name in WECHAT_HOSTS if urlsplit(getattr(self, name)).scheme == "http"]

    @property
    def simulator_on(self) -> bool:
        """The phone simulator is a development tool, never mounted in production."""
        return self.APP_ENV != "production" and (self.APP_ENV == "development" or self.SIMULATOR_ENABLED)

    @property
    def template_ids(self) -> dict[str, str]:
        """Purpose → WeChat template id, parsed from ``WECHAT_TEMPLATE_IDS``."""
        pairs = (item.split("=", 1) for item in self.WECHAT_TEMPLATE_IDS.split(",") if "=" in item)
        return {purpose.strip(): tid.strip() for purpose, tid in pairs}


def _weak(secret: str) -> bool:
    """Too few different characters to be a random secret."""
    return len(set(secret)) < MIN_DISTINCT_CHARACTERS


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _private_host(url: str) -> bool:
    """``url`` is on this machine or a private network (an IP address; ``localhost``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def load_settings(overrides: dict | None = None) -> Settings:
    """Read and validate the settings; raise :class:`SettingsError` with readable messages."""
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            # A check of several settings (production's) gives one line per problem, each naming its setting.
            lines += [f"  {name}: {line}" if name else f"  {line}" for line in message.splitlines()]
        raise SettingsError("配置有误，服务无法启动：\n" + "\n".join(lines)) from None
