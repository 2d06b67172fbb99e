# Two commands for a new machine: `make dev` serves the shop with demo data on
# http://127.0.0.1:5000, `make test` runs the whole suite. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SANDBOX_PORT ?= 8420
# The Paystack and Flutterwave sandboxes (shop/config_providers.py points at these ports).
PAYSTACK_SANDBOX_PORT ?= 8421
FLUTTERWAVE_SANDBOX_PORT ?= 8422
export SHOP_ENV ?= development

.PHONY: install dev admin test test-postgres browser wrk promtool cluster-deps cluster-test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Without REDIS_URL the periodic jobs run in a loop next to the server (started once the
# sandbox listens: its first pass reconciles with Stripe). Without their keys, the Stripe,
# Paystack and Flutterwave sandboxes start too (ports 8420-8422); Ctrl-C stops them all.
# `make dev` seeds two stores: `main` (USD) and `lagos` (NGN; SHOP_STORE_SLUG=lagos serves it).
dev: $(STAMP)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi shop seed
	@echo "First owner of the dev shop (its admin at /admin): make admin EMAIL=you@example.test"
	@bash -c 'pids=""; trap "kill \$$pids 2>/dev/null" EXIT; \
	  if [ -z "$$STRIPE_SECRET_KEY" ]; then \
	    echo "No STRIPE_SECRET_KEY: starting the offline Stripe sandbox on 127.0.0.1:$(SANDBOX_PORT)"; \
	    $(BIN)/python -m sandbox --port $(SANDBOX_PORT) \
	      --webhook-url http://127.0.0.1:5000/webhooks/stripe --webhook-secret whsec_sandbox \
	      --store-path instance/stripe-sandbox.pickle & pids="$$pids $$!"; \
	  fi; \
	  if [ -z "$$PAYSTACK_SECRET_KEY" ]; then \
	    echo "No PAYSTACK_SECRET_KEY: starting the Paystack sandbox on 127.0.0.1:$(PAYSTACK_SANDBOX_PORT)"; \
	    $(BIN)/python -m sandbox.paystack --port $(PAYSTACK_SANDBOX_PORT) \
	      --secret sk_test_paystack_sandbox \
	      --webhook-url http://127.0.0.1:5000/webhooks/paystack & pids="$$pids $$!"; \
	  fi; \
	  if [ -z "$$FLUTTERWAVE_SECRET_KEY" ]; then \
	    echo "No FLUTTERWAVE_SECRET_KEY: starting the Flutterwave sandbox on 127.0.0.1:$(FLUTTERWAVE_SANDBOX_PORT)"; \
	    $(BIN)/python -m sandbox.flutterwave --port $(FLUTTERWAVE_SANDBOX_PORT) \
	      --secret FLWSECK_TEST-sandbox-X --secret-hash flw-sandbox-hash \
	      --webhook-url http://127.0.0.1:5000/webhooks/flutterwave & pids="$$pids $$!"; \
	  fi; \
	  if [ -z "$$REDIS_URL" ]; then \
	    echo "No REDIS_URL: running the periodic jobs (hold expiry, reconciliation...) in-process"; \
	    (sleep 3; exec $(BIN)/flask --app wsgi shop run-periodic --loop) & pids="$$pids $$!"; \
	  fi; \
	  $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000'

# An owner for the dev shop: `make admin EMAIL=you@example.test` asks for the password
# (typed twice, never shown or kept in the terminal's scrollback); SHOP_ADMIN_PASSWORD
# gives it without a prompt, for scripts.
admin: $(STAMP)
	@if [ -z "$(EMAIL)" ]; then echo "Usage: make admin EMAIL=you@example.test" >&2; exit 2; fi
	@$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi shop create-admin "$(EMAIL)"

# Debian's Chromium for the browser tests (Playwright's own download does not work here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' (browser tests skip without it)"; fi; \
	fi

# Debian's wrk for the webhook benchmark (bench/wrk_driver.py; it falls back to httpx).
wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else echo "wrk is missing: run 'sudo apt-get install wrk' (the webhook benchmark uses httpx without it)"; fi; \
	fi

# Debian's promtool (package prometheus) checks docs/prometheus-alerts.yml
# (tests/integration/test_prometheus_rules.py skips without it unless REQUIRE_SERVICES=1).
promtool:
	@if ! command -v promtool >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; \
	  else echo "promtool is missing: run 'sudo apt-get install prometheus' (the alert rules test skips without it)"; fi; \
	fi

# Debian's haproxy and PgBouncer (1.18) for `make cluster-test` and
# tests/integration/test_pgbouncer.py (which skips without it unless REQUIRE_SERVICES=1).
cluster-deps:
	@if ! command -v haproxy >/dev/null || ! command -v pgbouncer >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy pgbouncer; \
	  else echo "haproxy/pgbouncer missing: run 'sudo apt-get install haproxy pgbouncer' (make cluster-test needs both)"; fi; \
	fi

# Two web nodes behind haproxy, PgBouncer, two RQ workers and rq cron on loopback, under
# load, one node killed mid-burst (deploy/cluster.sh; docs/operations.md). Not part of `make test`.
cluster-test: $(STAMP) cluster-deps
	deploy/cluster.sh

test: $(STAMP) browser wrk promtool cluster-deps
	SHOP_ENV=testing $(BIN)/pytest $(PYTEST_ARGS)

# Every benchmark of bench/ (docs/performance.md): wipes BENCH_DATABASE_URL, default the
# local PostgreSQL's test_bench database, created here when missing.
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test_bench
# The webhook benchmark enqueues receipts on RQ as production does (its own Redis database).
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
bench: $(STAMP) wrk
	BENCH_DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_REDIS_URL="$(BENCH_REDIS_URL)" \
	  $(BIN)/python -m bench $(BENCH)

lint: $(STAMP)
	$(BIN)/ruff check shop sandbox tests bench deploy wsgi.py
	$(BIN)/mypy shop/domain shop/services shop/providers

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache test-artifacts
