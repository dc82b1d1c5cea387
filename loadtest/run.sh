#!/usr/bin/env bash
# Load test on loopback: gunicorn (4 workers) on the 100,000-case synthetic database, locust headless.
# Usage: loadtest/run.sh [users=20] [duration=2m]. Prints locust's table; CSV in loadtest/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${1:-20}"
DURATION="${2:-2m}"
CASES="${CAREPLUS_LOAD_CASES:-100000}"
PORT=8765
if [ ! -x .venv-load/bin/locust ]; then
  python3.11 -m venv .venv-load
  .venv-load/bin/pip install --quiet --disable-pip-version-check -r loadtest/requirements.txt
fi
export DJANGO_SETTINGS_MODULE=config.settings.bench
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/var/bench/synthetic-$CASES.sqlite3}"
export CAREPLUS_VAR_DIR="${CAREPLUS_VAR_DIR:-$PWD/var/bench/var}"
export CAREPLUS_API_RATE_TOKEN=1000000/hour CAREPLUS_API_RATE_LIST=1000000/minute
mkdir -p loadtest/results
.venv/bin/python -m loadtest.prepare loadtest/results/users.json "$CASES"
.venv/bin/gunicorn config.wsgi -w 4 -b 127.0.0.1:$PORT --timeout 60 --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$PORT/sante/ >/dev/null && break; sleep 0.2; done
CAREPLUS_LOAD_DATA=loadtest/results/users.json .venv-load/bin/locust -f loadtest/locustfile.py --headless \
  -u "$USERS" -r 5 -t "$DURATION" --host http://127.0.0.1:$PORT --csv loadtest/results/load --only-summary
