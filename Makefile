# 村务通 — two commands: `make run` (try it) and `make test` (prove it). See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi $(BIN)/flask
APT := DEBIAN_FRONTEND=noninteractive apt-get
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# make run PORT=5001 serves elsewhere; links, plaques and the sandbox's calls follow (PUBLIC_BASE_URL).
PORT ?= 5000
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
export PUBLIC_BASE_URL
# pytest-xdist processes per stack; each has its own database, Redis prefix and live server.
TEST_WORKERS ?= 2

.PHONY: run test bench deps dev-deps assets font chromium lint fuzz test-embedded test-production worker beat migrate clean

run: deps assets font  ## Install, migrate, load the demo village once, serve on :$(PORT) (default 5000)
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	@echo ""
	@echo "后台 $(PUBLIC_BASE_URL)/admin/ 的演示账号（用户名  密码  角色  管辖）："
	@$(FLASK) accounts demo 2>/dev/null || echo "  （数据库里没有演示村，没有演示账号）"
	@echo "村务通 is running at $(PUBLIC_BASE_URL)"
	@echo "  a demo household page: $$($(FLASK) households link --village 大苍村 --household 0101 2>/dev/null)"
	@echo "  health: $(PUBLIC_BASE_URL)/healthz   API docs: $(PUBLIC_BASE_URL)/api/mp/v1/docs"
	@echo "  sandbox: $(PUBLIC_BASE_URL)/sandbox/ (the menu is pushed to it once the server answers)"
	@echo ""
	@# In sandbox mode the menu goes to the sandbox, which is this server: push it from the
	@# background once gunicorn answers (nothing happens with a real account or in production).
	@($(FLASK) wechat menu push --sandbox-only --wait 120 || true) &
	@# One process, several threads: the embedded default keeps its page cache in memory.
	$(BIN)/gunicorn --workers 1 --threads 8 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

test: dev-deps assets font chromium lint fuzz test-embedded test-production  ## The whole suite, both stacks

lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/bandit -c pyproject.toml -q -r .

fuzz:  ## The callback's body parser under atheris for 20 s (fixed seed); fails on any unexpected exception
	rm -rf instance/fuzz && mkdir -p instance/fuzz/corpus
	$(BIN)/python tests/fuzz/fuzz_callback.py -seed=1 -max_total_time=20 -artifact_prefix=instance/fuzz/ \
		instance/fuzz/corpus tests/fuzz/corpus

test-embedded:  ## SQLite, in-memory cache, no Redis
	@echo "== tests on the embedded default (SQLite, no Redis) =="
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q -n $(TEST_WORKERS)

test-production:  ## PostgreSQL + Redis
	@echo "== tests on the production stack (PostgreSQL + Redis) =="
	TEST_DATABASE_URL=$(PG_URL) TEST_REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -q -n $(TEST_WORKERS)

bench: dev-deps assets  ## Household page vs trivial JSON, then the WeChat callback, on gunicorn + PostgreSQL (see bench/)
	@command -v wrk >/dev/null || ($(APT) update -qq && $(APT) install -y -qq wrk)
	PG_URL=$(PG_URL) bash bench/run.sh

worker: deps  ## Celery worker for the production stack (needs REDIS_URL, DATABASE_URL …)
	$(BIN)/celery -A tasks.worker worker --loglevel=INFO --concurrency=2

beat: deps  ## Celery beat: the periodic jobs of tasks/schedule.py (run exactly one)
	mkdir -p instance
	$(BIN)/celery -A tasks.worker beat --loglevel=INFO --schedule instance/celerybeat-schedule

migrate: deps
	$(FLASK) db upgrade

deps: $(BIN)/.runtime-installed
dev-deps: $(BIN)/.dev-installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(BIN)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/.runtime-installed $@

assets: app/static/vendor/.installed
# Also rerun when one of our own static files changes: its precompressed copies must follow it.
OWN_STATIC := $(shell find app/static -path app/static/vendor -prune -o -type f ! -name '*.gz' ! -name '*.br' -print)
app/static/vendor/.installed: package.json package-lock.json scripts/vendor_assets.py $(OWN_STATIC) | $(BIN)/python
	npm ci --no-audit --no-fund --ignore-scripts
	$(BIN)/python scripts/vendor_assets.py
	touch $@

font:  ## Plaques need a CJK font; install one if the machine has none
	@fc-list :lang=zh 2>/dev/null | grep -q . || ($(APT) update -qq && $(APT) install -y -qq fonts-wqy-zenhei fontconfig)

chromium:  ## Headless browser tests use Debian's Chromium (no browser download)
	@command -v chromium >/dev/null || ($(APT) update -qq && $(APT) install -y -qq chromium)

clean:
	rm -rf $(VENV) node_modules app/static/vendor .pytest_cache .ruff_cache
	find app/static \( -name '*.gz' -o -name '*.br' \) -delete
