#!/usr/bin/env bash
# Regenerate the single initial migration from the models. Allowed only until the
# first production deployment; after that, add migrations with `flask db migrate`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/0001_initial_schema.py
export DATABASE_URL="sqlite:///$tmp/regen.db" APP_ENV=test
.venv/bin/flask db migrate -m "initial schema" >/dev/null
generated=$(ls migrations/versions/*_initial_schema.py)
mv "$generated" migrations/versions/0001_initial_schema.py
sed -i "s/^revision = .*/revision = '0001'/; s/^Revision ID: .*/Revision ID: 0001/; s/^Create Date: .*/Create Date: (regenerated from the models)/" migrations/versions/0001_initial_schema.py
echo "migrations/versions/0001_initial_schema.py regenerated"
