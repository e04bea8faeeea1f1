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
role=${1:-web}
[ $# -gt 0 ] && shift

case "$role" in
  web)
    # Workers, threads, timeouts, the access-log format and the database waits: gunicorn.conf.py
    # (WEB_CONCURRENCY, WEB_THREADS, PORT, FORWARDED_ALLOW_IPS from the environment).
    run gunicorn -c gunicorn.conf.py "$@" wsgi:app
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
