#!/usr/bin/env bash
# Saleor beside the shop, for `make bench BENCH=peers` (docs/performance.md, "Peer: Saleor").
#
#   bench/peers/saleor.sh SOURCE          # or SALEOR_SOURCE=... bench/peers/saleor.sh
#   bench/peers/saleor.sh stop            # stops the gunicorn this script started
#
# SOURCE is Saleor's source: a work tree, or a git directory (bare or not), whose HEAD is
# exported with `git archive` into SALEOR_DIR. A fresh machine gets it with the session's
# `fetch github:saleor/saleor` tool (it prints the git directory), or `git clone` of the
# public repository where git may reach it. Nothing of Saleor enters this repository.
#
# Every step is skipped when already done (stamp files in SALEOR_DIR), so the script can be
# run again after a failure; the steps it could not do are listed at the end and make it
# exit non-zero. Needs: pyenv's Python 3.12, PostgreSQL and Redis on loopback, openssl.
set -u

SALEOR_DIR=${SALEOR_DIR:-/work/peers/saleor}
SALEOR_PORT=${SALEOR_PORT:-8530}
SALEOR_DB=${SALEOR_DB:-saleor_bench}
SALEOR_PG=${SALEOR_PG:-postgres://postgres@127.0.0.1:5432}
SALEOR_REDIS=${SALEOR_REDIS:-redis://127.0.0.1:6379/13}
# Celery's queue: without a broker Saleor runs its tasks inside the request (eager); with
# one they wait for a worker, as our RQ jobs do in the benchmark. No worker is started.
SALEOR_BROKER=${SALEOR_BROKER:-redis://127.0.0.1:6379/14}
SALEOR_WORKERS=${SALEOR_WORKERS:-4}
SALEOR_STOCK=${SALEOR_STOCK:-1000000}
PYTHON312=${PYTHON312:-}
SRC="$SALEOR_DIR/src"
VENV="$SALEOR_DIR/venv"
STATE="$SALEOR_DIR/state"
FAILED=()

say() { printf 'saleor.sh: %s\n' "$*" >&2; }
fail() { FAILED+=("$1"); say "FAILED: $1"; }
done_already() { [ -e "$STATE/$1.done" ]; }
mark() { touch "$STATE/$1.done"; }

if [ "${1:-}" = stop ]; then
  pid=$(cat "$STATE/gunicorn.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    say "stopped gunicorn $pid"; rm -f "$STATE/gunicorn.pid"; exit 0
  fi
  say "no gunicorn of this script is running"; exit 0
fi

SOURCE=${1:-${SALEOR_SOURCE:-}}
mkdir -p "$STATE"

source_step() {
  if [ -f "$SRC/manage.py" ]; then return 0; fi
  if [ -z "$SOURCE" ]; then
    fail "source: give Saleor's source (a work tree or git directory) as \$1 or SALEOR_SOURCE"
    return 1
  fi
  mkdir -p "$SRC"
  if [ -f "$SOURCE/manage.py" ]; then
    cp -a "$SOURCE/." "$SRC/"
  elif git --git-dir="$SOURCE" rev-parse HEAD >/dev/null 2>&1; then
    git --git-dir="$SOURCE" archive HEAD | tar -x -C "$SRC" || { fail "source: git archive"; return 1; }
    git --git-dir="$SOURCE" rev-parse HEAD > "$SALEOR_DIR/COMMIT"
  else
    fail "source: $SOURCE is neither a work tree with manage.py nor a git directory"; return 1
  fi
  [ -f "$SRC/manage.py" ] || { fail "source: no manage.py after export"; return 1; }
}

venv_step() {
  if [ -x "$VENV/bin/gunicorn" ] && done_already deps; then return 0; fi
  if [ -z "$PYTHON312" ]; then
    PYTHON312=$(ls -d "$HOME"/.pyenv/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V | tail -1)
    [ -n "$PYTHON312" ] || PYTHON312=$(command -v python3.12 || true)
  fi
  [ -n "$PYTHON312" ] || { fail "python: Saleor needs Python 3.12 (pyenv install 3.12)"; return 1; }
  [ -x "$VENV/bin/python" ] || "$PYTHON312" -m venv "$VENV" || { fail "python: venv"; return 1; }
  "$VENV/bin/pip" install -q uv || { fail "deps: pip install uv"; return 1; }
  (cd "$SRC" && "$VENV/bin/uv" export --frozen --no-dev --no-hashes -o "$SALEOR_DIR/req.txt" \
     >/dev/null) || { fail "deps: uv export of Saleor's lock"; return 1; }
  # pytest: Saleor's populatedb imports test fixtures; setuptools: 3.23.x needs it at run time.
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r "$SALEOR_DIR/req.txt" \
     gunicorn pytest setuptools || { fail "deps: uv pip install"; return 1; }
  mark deps
}

env_step() {
  local envfile="$SALEOR_DIR/env"
  [ -f "$envfile" ] && return 0
  local key="$SALEOR_DIR/rsa.pem"
  [ -f "$key" ] || openssl genrsa -out "$key" 2048 2>/dev/null || { fail "env: openssl genrsa"; return 1; }
  {
    echo "export DATABASE_URL=$SALEOR_PG/$SALEOR_DB"
    echo "export SECRET_KEY=$(openssl rand -hex 32)"
    echo "export RSA_PRIVATE_KEY=\"\$(cat $key)\""
    echo "export ALLOWED_HOSTS=127.0.0.1,localhost ALLOWED_CLIENT_HOSTS=127.0.0.1,localhost"
    echo "export DEBUG=False PLAYGROUND_ENABLED=False SEND_USAGE_TELEMETRY=False"
    echo "export CACHE_URL=$SALEOR_REDIS PUBLIC_URL=http://127.0.0.1:$SALEOR_PORT"
    echo "export CELERY_BROKER_URL=$SALEOR_BROKER"
    echo "export DJANGO_SETTINGS_MODULE=saleor.settings"
  } > "$envfile"
  chmod 600 "$envfile" "$key"
}

manage() { (cd "$SRC" && . "$SALEOR_DIR/env" && "$VENV/bin/python" manage.py "$@"); }

database_step() {
  local exists
  exists=$(psql "$SALEOR_PG/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$SALEOR_DB'") \
    || { fail "database: PostgreSQL at $SALEOR_PG not reachable"; return 1; }
  [ "$exists" = 1 ] || psql "$SALEOR_PG/postgres" -qc "CREATE DATABASE \"$SALEOR_DB\"" \
    || { fail "database: create $SALEOR_DB"; return 1; }
  done_already migrate || { say "migrate (a few minutes)"; manage migrate -v 0 && mark migrate; } \
    || { fail "database: manage.py migrate"; return 1; }
  done_already populatedb || { say "populatedb (demo catalog)"; \
    manage populatedb --createsuperuser >"$SALEOR_DIR/populatedb.log" 2>&1 && mark populatedb; } \
    || { fail "database: manage.py populatedb (see $SALEOR_DIR/populatedb.log)"; return 1; }
  # Enough stock for every checkout a bench run completes (the demo has a few units each).
  psql "$SALEOR_PG/$SALEOR_DB" -qc "UPDATE warehouse_stock SET quantity = $SALEOR_STOCK,
      quantity_allocated = 0" || fail "database: raise warehouse_stock.quantity"
}

app_token_step() {
  [ -s "$SALEOR_DIR/app-token" ] && return 0
  local out
  out=$(manage create_app bench-payment-app --permission HANDLE_PAYMENTS --activate 2>&1) \
    || { fail "payment app: create_app ($out)"; return 1; }
  printf '%s\n' "$out" | grep -oE '[A-Za-z0-9_-]{20,}' | tail -1 > "$SALEOR_DIR/app-token"
  [ -s "$SALEOR_DIR/app-token" ] || fail "payment app: no token in create_app's output"
}

serve_step() {
  if curl -fs -o /dev/null "http://127.0.0.1:$SALEOR_PORT/health/"; then
    say "already serving on http://127.0.0.1:$SALEOR_PORT/graphql/"; return 0
  fi
  (cd "$SRC" && . "$SALEOR_DIR/env" && exec "$VENV/bin/gunicorn" saleor.asgi:application \
     -w "$SALEOR_WORKERS" -k uvicorn.workers.UvicornWorker -b "127.0.0.1:$SALEOR_PORT" \
     --pid "$STATE/gunicorn.pid" --daemon --log-file "$SALEOR_DIR/gunicorn.log" --timeout 120) \
    || { fail "serve: gunicorn did not start (see $SALEOR_DIR/gunicorn.log)"; return 1; }
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "http://127.0.0.1:$SALEOR_PORT/health/" && {
      say "serving on http://127.0.0.1:$SALEOR_PORT/graphql/ ($SALEOR_WORKERS workers)"; return 0; }
    sleep 1
  done
  fail "serve: no answer on /health/ after 120 s (see $SALEOR_DIR/gunicorn.log)"
}

source_step && venv_step && env_step && database_step && app_token_step && serve_step
if [ ${#FAILED[@]} -gt 0 ]; then
  say "could not do:"; printf '  - %s\n' "${FAILED[@]}" >&2; exit 1
fi
say "ready: SALEOR_URL=http://127.0.0.1:$SALEOR_PORT SALEOR_DIR=$SALEOR_DIR"
