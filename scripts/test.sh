#!/usr/bin/env bash
# Run the whole suite. Uses PostgreSQL and Redis when reachable (DATABASE_URL/REDIS_URL or the
# local defaults); with REQUIRE_SERVICES=1 their absence is a failure, otherwise those tests skip.
set -u
cd "$(dirname "$0")/.."
# A database name per run, so concurrent runs on one machine do not fight over test_parley.
DEFAULT_DB="postgres://postgres@127.0.0.1:5432/parley_${PARLEY_TEST_ID:-$$}"
# And a Redis database per run (1–14), so one run's Celery worker never takes another run's tasks.
DEFAULT_REDIS="redis://127.0.0.1:6379/$(( (${PARLEY_TEST_ID:-$$} % 14) + 1 ))"
db="${DATABASE_URL:-$DEFAULT_DB}"
rd="${REDIS_URL:-$DEFAULT_REDIS}"
if .venv/bin/python scripts/probe_services.py "$db" "$rd"; then
  export DATABASE_URL="$db" REDIS_URL="$rd"
  echo "parley: testing in the services mode (PostgreSQL + Redis)"
else
  if [ "${REQUIRE_SERVICES:-0}" = "1" ]; then
    echo "parley: REQUIRE_SERVICES=1 but PostgreSQL or Redis is unreachable (see above)." >&2
    exit 1
  fi
  unset DATABASE_URL REDIS_URL
  echo "parley: PostgreSQL/Redis unreachable: testing in the embedded mode; service tests will be skipped"
fi
# And a media folder per run: stored files are named after row ids, which every run's database repeats.
RUN_DATA_DIR="$PWD/data/test/run-${PARLEY_TEST_ID:-$$}"
export DEBUG="${DEBUG:-1}" ALLOW_PRIVATE_WEBHOOKS=1 PARLEY_DATA_DIR="${PARLEY_DATA_DIR:-$RUN_DATA_DIR}"
mkdir -p "$PARLEY_DATA_DIR"
.venv/bin/pytest "$@"
status=$?
[ "$PARLEY_DATA_DIR" = "$RUN_DATA_DIR" ] && rm -rf "$RUN_DATA_DIR"
# pytest's 5 means no test ran: that is a failure here, not a pass.
exit $status
