# Two commands: `make run` serves the demo, `make test` installs everything and runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
AXE    := tests/browser/node_modules/axe-core/axe.min.js
NGINX  := /usr/sbin/nginx
ZGW_PORT ?= 8001
ZGW_SECRET := zgw-demo-secret-of-at-least-32-bytes

.PHONY: install run run-zgw test lint fmt bench clean browser-deps nginx-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	# Real OPA (its Go engine as a Python binding) checks the exported _test.rego files. Its
	# metadata asks for Python 3.14, but the ctypes wrapper runs on 3.11.
	$(BIN)/pip install --quiet --ignore-requires-python "opa-golib-python-bindings==0.4.4"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/doelbinding migrate
	$(BIN)/doelbinding seed-demo
	$(BIN)/uvicorn gateway.app:create_app --factory --host $(HOST) --port $(PORT) --no-access-log

# Upstream mode (docs/zgw.md): the gateway in front of a demo ZGW Zaken API on $(ZGW_PORT),
# which holds two cases of the tour's resident; both stop together.
run-zgw: $(STAMP)
	$(BIN)/doelbinding migrate
	$(BIN)/doelbinding seed-demo
	$(BIN)/python -m tests.fakes.zaken_api --port $(ZGW_PORT) --secret $(ZGW_SECRET) & \
	trap "kill $$!" EXIT INT TERM; \
	DOELBINDING_ZAKEN__URL=http://127.0.0.1:$(ZGW_PORT)/zaken/api/v1 \
	DOELBINDING_ZAKEN__CLIENT_ID=doelbinding DOELBINDING_ZAKEN__SECRET=$(ZGW_SECRET) \
	$(BIN)/uvicorn gateway.app:create_app --factory --host $(HOST) --port $(PORT) --no-access-log

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The browser tests drive Debian's Chromium (never a browser Playwright downloads) and inject
# axe-core from npm; both are installed here only when missing.
$(CHROMIUM):
	apt-get update && apt-get install -y chromium

$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $(AXE)

browser-deps: $(CHROMIUM) $(AXE)

# The auth_request tests run Debian's nginx as a child process (tests/fakes/nginx.py).
$(NGINX):
	apt-get update && apt-get install -y nginx

nginx-deps: $(NGINX)

test: lint browser-deps nginx-deps
	$(BIN)/doelbinding policy test
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var build *.egg-info
