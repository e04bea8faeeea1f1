#!/usr/bin/env bash
# Prepare a clean machine for `make run` / `make test`: system packages (Chromium,
# a CJK font, a colour emoji font, PostgreSQL, wrk) and the Python virtual environment. Idempotent and quiet
# when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need_apt+=(fonts-wqy-microhei)
# Citizens type emoji; without a colour emoji font the simulator shows empty boxes.
fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || need_apt+=(fonts-noto-color-emoji)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ "${WITH_BENCH:-0}" = "1" ]; then
  command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
  # The production-stack webhook bench (bench/webhook.py) starts its own Redis server on a free port.
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "安装系统软件包：${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian's postgresql package starts a cluster we do not use; tests run their own.
  if printf '%s\n' "${need_apt[@]}" | grep -qx postgresql; then
    $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
  # Likewise Debian's redis-server package starts a system instance on port 6379; the bench runs its own.
  if printf '%s\n' "${need_apt[@]}" | grep -qx redis-server; then
    $SUDO service redis-server stop >/dev/null 2>&1 || true
  fi
fi

stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "准备 Python 虚拟环境（.venv）……"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
