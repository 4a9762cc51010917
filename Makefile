# Two commands do all the set-up on a fresh machine with only Python 3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test unit integration e2e browser lint typecheck package layer site chromium clean bench

$(STAMP): requirements.txt functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## Start the whole system locally on the embedded AWS emulator (Ctrl-C stops it).
run: $(STAMP)
	$(PY) -m infra.local.run

## Debian's Chromium for the browser tests (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages"; \
	  if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Every tier: lint, types, unit, integration (emulator), end-to-end and browser (local stack).
test: $(STAMP) chromium lint typecheck
	$(PY) -m pytest -q -p no:cacheprovider tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

e2e: $(STAMP)
	$(PY) -m pytest -q tests/e2e

browser: $(STAMP) chromium
	$(PY) -m pytest -q tests/browser

lint: $(STAMP)
	$(VENV)/bin/ruff check functions infra layers bench tests

typecheck: $(STAMP)
	cd functions && ../$(VENV)/bin/mypy app.py chalicelib

## The deployable package: Chalice's SAM template merged with infra/resources.yaml and the function patches.
package: $(STAMP)
	$(PY) -m infra.package --out build/package

## The dependency layer, byte-for-byte reproducible (prints its SHA-256).
layer: $(STAMP)
	$(PY) -m layers.build --out build/layer/dependencies.zip

## Benchmarks: print their tables and write the figures into docs/performance.md.
bench: $(STAMP)
	$(PY) -m bench.targeting --residents 200000 --write-docs
	$(PY) -m bench.fanout --recipients 10000 --baseline 1000 --write-docs
	$(PY) -m bench.scope --boundary-vertices 50000 --write-docs

site: $(STAMP)
	$(PY) -m infra.local.site_build --out build/site

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

## A demo officer's ID token from the running local stack: curl -H "Authorization: Bearer $(make -s token USER=...)".
# USER is also the login name in the environment, so only a USER given on make's command line counts.
TOKEN_USER = $(if $(filter command line,$(origin USER)),$(USER),demo-officer@hexwatch.example)
# No $(STAMP) prerequisite: the stack (make run) has built the venv already, and stdout must carry only the token.
.PHONY: token
token:
	@$(PY) -m infra.local.token $(if $(STATE_FILE),--state-file $(STATE_FILE)) $(TOKEN_USER)
