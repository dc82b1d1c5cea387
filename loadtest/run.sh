#!/usr/bin/env bash
# Load test on loopback: gunicorn (4 workers) on the 100,000-case synthetic database, locust headless.
# Usage: loadtest/run.sh [users=20] [duration=2m]. Prints locust's table; CSV in loadtest/results/.
# LOAD_SERVERS=2 starts two gunicorn instances (2 workers each, ports 8765 and 8766) and
# each user sends its requests to them in turn; the whole audit chain is verified after the run.
# LOAD_CASES=1000000 with DATABASE_URL (and CAREPLUS_VAR_DIR, where that database's keys are) runs
# it on another synthetic database, such as the million-file one of `make bench-pg CASES=1000000`.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${1:-20}"
DURATION="${2:-2m}"
CASES="${LOAD_CASES:-100000}"
PORT=8765
SERVERS="${LOAD_SERVERS:-1}"
if [ "$SERVERS" -lt 1 ]; then SERVERS=1; fi
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
PIDS=()
HOSTS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
for index in $(seq 0 $((SERVERS - 1))); do
  port=$((PORT + index))
  .venv/bin/gunicorn config.wsgi -w $((4 / SERVERS > 0 ? 4 / SERVERS : 1)) -b 127.0.0.1:$port --timeout 60 --log-level warning &
  PIDS+=($!)
  HOSTS+=("http://127.0.0.1:$port")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/sante/" >/dev/null && break; sleep 0.2; done
done
CAREPLUS_LOAD_HOSTS="$(IFS=,; echo "${HOSTS[*]}")" CAREPLUS_LOAD_DATA=loadtest/results/users.json \
  .venv-load/bin/locust -f loadtest/locustfile.py --headless \
  -u "$USERS" -r 5 -t "$DURATION" --host "${HOSTS[0]}" --csv loadtest/results/load --only-summary
# Every server appended to the one audit chain under the head's row lock: it must still verify, whole.
.venv/bin/python manage.py verify_audit
