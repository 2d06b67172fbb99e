#!/usr/bin/env bash
# `make cluster-test`: the production topology on loopback, then deploy/cluster_load.py.
#
#   haproxy ─┬─ gunicorn node a ─┐                 ┌─ rq worker × 2, rq cron × 1
#            └─ gunicorn node b ─┴─ PgBouncer ─ PostgreSQL      (and Redis, shared)
#
# Free ports, a private database (test_cluster_<pid>_<random>) and a private Redis
# database number, so it runs beside the test suite. Everything it started is stopped, and
# the database dropped, when it exits, however it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
PY="$BIN/python"
PG_HOST="${CLUSTER_PG_HOST:-127.0.0.1}"
PG_PORT="${CLUSTER_PG_PORT:-5432}"
PG_USER="${CLUSTER_PG_USER:-postgres}"
REDIS_HOST="${CLUSTER_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${CLUSTER_REDIS_PORT:-6379}"
export WEB_WORKERS="${CLUSTER_WEB_WORKERS:-2}"

for tool in haproxy pgbouncer psql redis-cli envsubst setsid; do
  command -v "$tool" >/dev/null || { echo "cluster: $tool is missing (make cluster-deps)" >&2; exit 2; }
done

RUN_DIR="$(mktemp -d /tmp/shop-cluster.XXXXXX)"
chmod 755 "$RUN_DIR"  # PgBouncer runs as postgres when we are root
DB="test_cluster_$$_${RANDOM}"
REDIS_DB=""
PIDS=()

say() { echo "cluster: $*" >&2; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  touch "$RUN_DIR/stop"  # the node loops start no new gunicorn
  for name in a b; do
    [ -s "$RUN_DIR/web-$name.pid" ] && kill -TERM -- "-$(cat "$RUN_DIR/web-$name.pid")" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qAtc \
    "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || say "could not drop $DB"
  [ -n "$REDIS_DB" ] && redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" -n "$REDIS_DB" FLUSHDB >/dev/null
  if [ "$status" -ne 0 ]; then
    say "failed ($status); last lines of each log:"
    for log in "$RUN_DIR"/*.log; do echo "== $log" >&2; tail -n 15 "$log" >&2; done
  fi
  [ -n "${CLUSTER_KEEP_LOGS:-}" ] && cp "$RUN_DIR"/*.log "$CLUSTER_KEEP_LOGS"/ 2>/dev/null
  rm -rf "$RUN_DIR"
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

claim_redis_db() {  # the first empty database number from 15 down that we can claim
  local n
  for n in 15 14 13 12 11 10; do
    if [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" -n "$n" SET shop-cluster-claim "$$" NX EX 3600)" = OK ]; then
      if [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" -n "$n" DBSIZE)" = 1 ]; then REDIS_DB=$n; return; fi
      redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" -n "$n" DEL shop-cluster-claim >/dev/null
    fi
  done
  say "no free Redis database among 10-15"; exit 2
}

wait_http() {  # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { say "$1 did not answer in $2 s"; return 1; }
    sleep 0.2
  done
}

export RUN_DIR PG_HOST PG_PORT PG_USER
export PGB_PORT="$(free_port)" PROXY_PORT="$(free_port)" STATS_PORT="$(free_port)"
export WEB_A_PORT="$(free_port)" WEB_B_PORT="$(free_port)" SANDBOX_PORT="$(free_port)"
export PGB_DIR="$RUN_DIR" PGB_DATABASE="$DB" PG_DATABASE="$DB" PGB_POOL_SIZE="${CLUSTER_PGB_POOL_SIZE:-10}"
claim_redis_db

psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qAtc "CREATE DATABASE \"$DB\"" >/dev/null
envsubst '$RUN_DIR $PROXY_PORT $STATS_PORT $WEB_A_PORT $WEB_B_PORT $WEB_WORKERS' \
  < deploy/haproxy.cfg.in > "$RUN_DIR/haproxy.cfg"
envsubst '$PGB_DATABASE $PG_HOST $PG_PORT $PG_DATABASE $PG_USER $PGB_PORT $PGB_DIR $PGB_POOL_SIZE' \
  < deploy/pgbouncer.ini.in > "$RUN_DIR/pgbouncer.ini"
printf '"%s" ""\n' "$PG_USER" > "$RUN_DIR/userlist.txt"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$RUN_DIR/pgbouncer.ini" "$RUN_DIR/userlist.txt"
  chown postgres "$RUN_DIR"
  pgbouncer -u postgres "$RUN_DIR/pgbouncer.ini" >/dev/null 2>&1 & PIDS+=($!)
else
  pgbouncer "$RUN_DIR/pgbouncer.ini" >/dev/null 2>&1 & PIDS+=($!)
fi
"$PY" -m sandbox --port "$SANDBOX_PORT" > "$RUN_DIR/sandbox.log" 2>&1 & PIDS+=($!)

# Every shop process: production settings, the database through PgBouncer.
export SHOP_ENV=production SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export DATABASE_URL="postgresql+psycopg://$PG_USER@127.0.0.1:$PGB_PORT/$DB" DATABASE_POOLER=pgbouncer
export REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/$REDIS_DB"
export STRIPE_SECRET_KEY=sk_test_sandbox STRIPE_PUBLISHABLE_KEY=pk_test_sandbox
export STRIPE_WEBHOOK_SECRET=whsec_bench STRIPE_API_BASE="http://127.0.0.1:$SANDBOX_PORT"
export STRIPE_JS_URL="http://127.0.0.1:$SANDBOX_PORT/js.stripe.com/v3/"
export BASE_URL=https://127.0.0.1 SESSION_COOKIE_SECURE=0 TRUSTED_PROXIES=1 LOG_LEVEL=WARNING
export MAIL_OUTBOX_DIR="$RUN_DIR/mail"
# 50 shoppers share one address here: the per-address limits are not what is tested.
for limit in RATELIMIT_CHECKOUT_PER_IP RATELIMIT_CHECKOUT_PER_SESSION RATELIMIT_PAYMENT_PER_IP \
             RATELIMIT_PAYMENT_PER_SESSION CARD_TESTING_PER_IP CARD_TESTING_PER_SESSION; do
  export "$limit=1000000 per minute"
done
export MAX_OPEN_CHECKOUTS_PER_IP=1000000 MAX_OPEN_CHECKOUTS_PER_SESSION=1000000

deadline=$((SECONDS + 30))
until grep -q ready "$RUN_DIR/sandbox.log"; do  # the sandbox says so once it listens
  [ "$SECONDS" -lt "$deadline" ] || { say "the Stripe sandbox did not start"; exit 1; }
  sleep 0.1
done
"$BIN/flask" --app wsgi db upgrade > "$RUN_DIR/migrate.log" 2>&1
DIRECT_URL="postgresql+psycopg://$PG_USER@$PG_HOST:$PG_PORT/$DB"
"$PY" -m deploy.cluster_load seed --database-url "$DIRECT_URL" --stock 10

node() {  # a web node that its supervisor (systemd's Restart=always here) starts again
  local name=$1 port=$2
  while [ ! -e "$RUN_DIR/stop" ]; do
    PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/metrics-$name" setsid --wait "$BIN/gunicorn" \
      -c python:shop.gunicorn_conf -w "$WEB_WORKERS" -b "127.0.0.1:$port" \
      --pid "$RUN_DIR/web-$name.pid" wsgi:app >> "$RUN_DIR/web-$name.log" 2>&1 || true
  done
}
node a "$WEB_A_PORT" & PIDS+=($!)
node b "$WEB_B_PORT" & PIDS+=($!)
for i in 1 2; do
  "$BIN/rq" worker --with-scheduler --maintenance-interval 120 \
    --worker-class shop.jobs.worker.Worker --url "$REDIS_URL" default \
    > "$RUN_DIR/worker-$i.log" 2>&1 & PIDS+=($!)
done
"$BIN/rq" cron shop.jobs.cron --url "$REDIS_URL" > "$RUN_DIR/cron.log" 2>&1 & PIDS+=($!)
haproxy -db -f "$RUN_DIR/haproxy.cfg" > "$RUN_DIR/haproxy.log" 2>&1 & PIDS+=($!)

wait_http "http://127.0.0.1:$WEB_A_PORT/readyz" 90
wait_http "http://127.0.0.1:$WEB_B_PORT/readyz" 90
wait_http "http://127.0.0.1:$PROXY_PORT/readyz" 30
say "up after ${SECONDS} s: haproxy :$PROXY_PORT, nodes :$WEB_A_PORT :$WEB_B_PORT, pgbouncer :$PGB_PORT, database $DB, redis db $REDIS_DB"

"$PY" -m deploy.cluster_load run --database-url "$DIRECT_URL" \
  --proxy "http://127.0.0.1:$PROXY_PORT" --stats-url "http://127.0.0.1:$STATS_PORT/stats" \
  --sandbox-url "http://127.0.0.1:$SANDBOX_PORT" --mail-dir "$MAIL_OUTBOX_DIR" \
  --haproxy-log "$RUN_DIR/haproxy.log" --kill-pidfile "$RUN_DIR/web-a.pid" ${CLUSTER_LOAD_ARGS:-}
