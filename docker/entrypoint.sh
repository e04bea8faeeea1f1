#!/usr/bin/env sh
# One image, one entrypoint: `web`, `scheduler`, `worker`, `migrate` (and `flask ...`).
# ENTRYPOINT_DRY_RUN=1 prints the command instead of running it (used by the tests).
set -eu

run() {
  if [ "${ENTRYPOINT_DRY_RUN:-0}" = "1" ]; then
    echo "$*"
    return 0
  fi
  exec "$@"
}

PYTHON=${PYTHON:-python}
# No query string (%(U)s is the path only) and no referer in the access log: WeChat's signature,
# timestamp, nonce and the citizen's openid travel in the query. Same format as scripts/devstack.py.
ACCESS_LOG_FORMAT='%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'
role=${1:-web}
[ $# -gt 0 ] && shift

case "$role" in
  web)
    run gunicorn --bind "0.0.0.0:${PORT:-8080}" --workers "${WEB_CONCURRENCY:-4}" --threads "${WEB_THREADS:-4}" \
      --timeout 30 --graceful-timeout 20 --access-logfile - --access-logformat "$ACCESS_LOG_FORMAT" --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
      "$@" wsgi:app
    ;;
  scheduler)
    run "$PYTHON" -m flask scheduler run "$@"
    ;;
  worker)
    run "$PYTHON" -m flask worker "$@"
    ;;
  migrate)
    run "$PYTHON" -m flask db upgrade "$@"
    ;;
  flask)
    run "$PYTHON" -m flask "$@"
    ;;
  *)
    echo "用法：entrypoint.sh web|scheduler|worker|migrate|flask ..." >&2
    echo "未知角色：$role" >&2
    exit 2
    ;;
esac
