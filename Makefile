# Parley: `make run` (embedded demo) and `make test` (the whole suite). See README.md.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint venv system migrate seed messages clean bench

$(VENV)/.installed: pyproject.toml
	@PYBIN=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  rm -rf $(VENV); echo "parley: creating $(VENV) with $$PYBIN"; $$PYBIN -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

system:
	@scripts/ensure_system.sh

messages: venv
	@# The compiled catalogue is committed; recompile when gettext is here (it is not needed to run).
	@if command -v msgfmt >/dev/null 2>&1 && ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
	  DEBUG=1 $(PY) manage.py compilemessages -v 0 --ignore=.venv; fi

run: venv system messages
	@DEBUG=1 $(PY) manage.py migrate --no-input -v 0
	@# Static files as production serves them (hashed, gzipped; DEBUG=0 picks that storage, the key is a dummy).
	@DEBUG=0 SECRET_KEY=collectstatic-only $(PY) manage.py collectstatic --no-input -v 0
	@DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "  Parley is running at http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins (password: parley-demo): admin@demo.test, supervisor@demo.test,"
	@echo "  agent1@demo.test, agent2@demo.test; another workspace: owner@other.test"
	@echo ""
	DEBUG=1 PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
	  $(VENV)/bin/uvicorn config.asgi:application --host 127.0.0.1 --port $(PORT) --lifespan on \
	  --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-}"

test: venv
	@scripts/ensure_system.sh --browser
	@$(MAKE) -s messages
	@scripts/test.sh

bench: venv
	@# The ingest hot path through real HTTP (uvicorn, 2 workers) against the bare psycopg loop and the naive ORM
	@# floor in the same run; needs PostgreSQL and Redis on 127.0.0.1 (installs wrk when root). See bench/README.md.
	$(PY) bench/ingest.py $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) data staticfiles
