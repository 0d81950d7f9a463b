# Two commands: `make run` serves the demo, `make test` installs everything and runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
NGINX  := /usr/sbin/nginx
REPLICAS ?= 2
AXE    := tests/browser/node_modules/axe-core/axe.min.js
ZGW_PORT ?= 8001
ZGW_SECRET := zgw-demo-secret-of-at-least-32-bytes

# The demo's profile, and where its state lives (one SQLite file per profile: profiles never
# share demo data).
PROFILE  ?= $(or $(DOELBINDING_PROFILE),zaanstad)
DATA_DIR ?= $(or $(DOELBINDING_DATA_DIR),var)

.PHONY: install run test lint fmt bench clean browser-deps run-zgw fuzz replicas tour demo-reset

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
	DOELBINDING_PROFILE=$(PROFILE) $(BIN)/doelbinding migrate
	DOELBINDING_PROFILE=$(PROFILE) $(BIN)/doelbinding seed-demo
	DOELBINDING_PROFILE=$(PROFILE) $(BIN)/uvicorn gateway.app:create_app --factory --host $(HOST) --port $(PORT) --no-access-log

# The README's tour against the demo `make run` serves (docs/tour/<profile>.sh); `make test`
# runs the same scripts against a server of its own (tests/gateway/test_tour.py).
tour: $(STAMP)
	DOELBINDING_PROFILE=$(PROFILE) GW=http://$(HOST):$(PORT) bash docs/tour/$(PROFILE).sh

# Back to the demo as shipped: the profile's demo database is removed, migrated and seeded
# anew (stop `make run` first). Only the demo's SQLite file: never a configured database.
demo-reset: $(STAMP)
	@test -z "$(DOELBINDING_DATABASE__URL)" || { echo "demo-reset only resets the demo's SQLite file; DOELBINDING_DATABASE__URL is set" >&2; exit 1; }
	rm -f $(DATA_DIR)/doelbinding-$(PROFILE).db $(DATA_DIR)/doelbinding-$(PROFILE).db-wal $(DATA_DIR)/doelbinding-$(PROFILE).db-shm
	DOELBINDING_PROFILE=$(PROFILE) $(BIN)/doelbinding migrate
	DOELBINDING_PROFILE=$(PROFILE) $(BIN)/doelbinding seed-demo

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
	@# A merge's conflict markers left in a docstring or a doc would pass every other check.
	@! grep -rnE '^(<<<<<<<|>>>>>>>)( |$$)' --exclude-dir=.git --exclude-dir=.venv \
		--exclude-dir=node_modules --exclude-dir=var . || { echo "conflict markers above"; exit 1; }
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

# The replica test, the nginx bench and the auth_request tests (tests/fakes/nginx.py) run
# Debian's nginx as a child process of their own.
$(NGINX):
	apt-get update && apt-get install -y nginx

# N gateway replicas on one PostgreSQL behind nginx (deploy/replicas.py; docs/deploy.md):
#   DOELBINDING_DATABASE__URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make replicas REPLICAS=3
replicas: $(STAMP) $(NGINX)
	$(BIN)/python -m deploy.replicas --replicas $(REPLICAS) --port $(PORT) --seed-demo

test: lint browser-deps $(NGINX)
	$(BIN)/doelbinding policy test
	$(BIN)/pytest --durations=25

# schemathesis over the whole OpenAPI document, 100 cases per operation (the test suite runs 5),
# on SQLite and PostgreSQL: no 5xx, no answer that breaks its documented schema.
FUZZ_EXAMPLES ?= 100
fuzz: $(STAMP)
	DOELBINDING_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -s tests/security/test_edge_schemathesis.py

bench: $(STAMP) $(NGINX)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var build *.egg-info
