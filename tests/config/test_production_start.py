"""Production refuses to start unsafe (issue 25, item 5): the real ``gunicorn -c gunicorn.conf.py wsgi:app``
and ``flask`` commands stop before serving, with one line per problem saying what to set, and status 2.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from config.settings import load_settings
from tests.config.test_settings import PRODUCTION, ROOT

# The database and Redis of a production start that would go on: nothing listens there.
UNREACHED = {"DATABASE_URL": "postgresql://zm:pw@127.0.0.1:9/zm", "REDIS_URL": "redis://127.0.0.1:9/0"}

COMMANDS = {
    "gunicorn": [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "-b", "127.0.0.1:0", "wsgi:app"],
    "flask db upgrade": [sys.executable, "-m", "flask", "db", "upgrade"],
}

BAD = [
    ("PUBLIC_BASE_URL", "http://zmhd.example.gov.cn", "PUBLIC_BASE_URL：生产环境必须是 https:// 开头的公网地址"),
    ("SECRET_KEY", "a" * 48, "SECRET_KEY：生产环境必须设置至少 32 个字符的随机密钥"),
    ("WECHAT_AES_KEY", "a" * 43, "WECHAT_AES_KEY：请在公众平台“基本配置”中随机生成消息加解密密钥"),
    ("WECHAT_MESSAGE_MODE", "plain", "WECHAT_MESSAGE_MODE：生产环境不能使用明文模式，请设为 safe"),
    ("PERSONAL_DATA_KEY", "not-a-fernet-key", "PERSONAL_DATA_KEY: 每个密钥必须是 32 字节的 URL 安全 Base64 编码"),
    ("WECHAT_ACCOUNT_ID", "", "WECHAT_ACCOUNT_ID：生产环境必须填写公众号的真实配置"),
    ("WECHAT_API_BASE", "http://api.example.com", "WECHAT_API_BASE：生产环境请使用 https://"),
    ("WECHAT_OAUTH_BASE", "http://open.example.com", "WECHAT_OAUTH_BASE：生产环境请使用 https://"),
]


def _run(command: list[str], tmp_path, **settings: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "INSTANCE_PATH": str(tmp_path), **PRODUCTION, **UNREACHED,
           **settings}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
@pytest.mark.parametrize(("name", "value", "line"), BAD, ids=[case[0] for case in BAD])
def test_each_unsafe_setting_stops_the_production_start_with_one_line_and_status_2(tmp_path, command, name, value,
                                                                                    line):
    result = _run(COMMANDS[command], tmp_path, **{name: value})
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    problems = [text.strip() for text in result.stderr.splitlines() if text.startswith("  ")]
    assert len(problems) == 1 and problems[0].startswith(line), result.stderr
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr
    assert "Booting worker" not in result.stderr  # refused before serving, not when a worker boots


@pytest.mark.parametrize("command", [["worker"], ["scheduler", "run"], ["routes"]], ids=" ".join)
def test_every_flask_command_refuses_the_unsafe_start(tmp_path, command):
    result = _run([sys.executable, "-m", "flask", *command], tmp_path, WECHAT_MESSAGE_MODE="plain")
    assert result.returncode == 2 and "WECHAT_MESSAGE_MODE：生产环境不能使用明文模式" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_unset_wechat_bases_are_wechats_own_hosts_in_production_and_the_emulator_otherwise():
    production = load_settings(PRODUCTION)
    assert (production.WECHAT_API_BASE, production.WECHAT_OAUTH_BASE) == (
        "https://api.weixin.qq.com", "https://open.weixin.qq.com")
    development = load_settings({"APP_ENV": "development"})
    assert development.WECHAT_API_BASE == development.WECHAT_OAUTH_BASE == "http://127.0.0.1:8081"


@pytest.mark.parametrize("base", ["http://10.0.0.5:8081", "http://127.0.0.1:8081", "http://localhost:3128"])
def test_a_plain_http_base_on_a_private_address_starts_with_a_warning(tmp_path, base):
    result = _run([sys.executable, "-m", "flask", "routes"], tmp_path, WECHAT_API_BASE=base)
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert '"event": "settings.plain_http_wechat_base"' in output and base in output
    assert '"level": "warning"' in output
