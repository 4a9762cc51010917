# Two commands do all the set-up on a fresh machine with only Python 3 (3.11, .python-version): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The Python of the venv and of Lambda (the python3.11 runtime): Chalice derives the packaged runtime from the
# interpreter it runs on, so both must agree. infra/local/preflight.py refuses another major.minor.
PYTHON_PIN := $(shell cat .python-version)

# The local stack's ports: `make run MOTO_PORT=5017` (and API_PORT, SITE_PORT) when one is taken.
MOTO_PORT ?= 5007
API_PORT ?= 8000
SITE_PORT ?= 8080

# Hashed locks made by `make lock` from the human-edited inputs (functions/requirements.txt, requirements/*.in).
# runtime: what the Lambda functions import (and the layer holds); run: + the local stack; test: + the tools;
# checkov: the template checker, in a venv of its own (its exact pins clash with the runtime's; requirements/checkov.in).
RUNTIME_LOCK := requirements/runtime.txt
RUN_LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt
CHECKOV_LOCK := requirements/checkov.txt
CHECKOV := $(VENV)/bin/checkov
# One stamp per lock: each is installed once, and again whenever its lock changes.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
CHECKOV_STAMP := $(VENV)/.installed-checkov
# Installs take exactly the locked files: every version pinned, every file's hash checked. Without --no-deps, so a
# lock that missed a dependency fails the install (pip wants a hash for it) instead of installing it unchecked.
PIP_INSTALL := -m pip install --require-hashes --disable-pip-version-check
# The lock tool, pinned so that `make lock` gives the same output everywhere. uv rather than pip-tools: it resolves
# one lock for every platform at once (--universal: the markers for Linux, macOS and Windows are kept, where
# pip-compile resolves for the machine it runs on only), it can resolve the runtime lock with wheels only, and it takes
# a second where pip-compile takes minutes. It only writes the locks; pip installs them.
UV_VERSION := 0.13.8
UV := $(VENV)/bin/uv
COMPILE := $(UV) pip compile --quiet --universal --python-version $(PYTHON_PIN) --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
# The preflight runs on the venv's Python once there is one (that is the Python that counts), on $(PYTHON) before.
PREFLIGHT = $(if $(wildcard $(PY)),$(PY),$(PYTHON)) infra/local/preflight.py --venv $(VENV)

.PHONY: run test unit integration e2e browser lint typecheck package layer site chromium clean bench lock preflight \
	install-run install-test deploy-site

# The Python and the venv modules, before anything is made (quick and stdlib-only; no ports: see `run`).
preflight:
	@$(PREFLIGHT)

$(PY): | preflight
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(RUN_LOCK) | $(PY) preflight
	@echo "Installing what \`make run\` needs from $(RUN_LOCK) into $(VENV) (about $$(grep -c '^[a-zA-Z0-9]' $(RUN_LOCK)) packages; a minute or two the first time)"
	$(PY) $(PIP_INSTALL) -r $(RUN_LOCK)
	@touch $@

$(TEST_STAMP): $(TEST_LOCK) $(CHECKOV_STAMP) | $(PY) preflight
	@echo "Installing the test tools from $(TEST_LOCK) into $(VENV) (about $$(grep -c '^[a-zA-Z0-9]' $(TEST_LOCK)) packages)"
	$(PY) $(PIP_INSTALL) -r $(TEST_LOCK)
	@touch $@

$(CHECKOV_STAMP): $(CHECKOV_LOCK) | $(PY) preflight
	@echo "Installing checkov from $(CHECKOV_LOCK) into $(VENV)/checkov (about $$(grep -c '^[a-zA-Z0-9]' $(CHECKOV_LOCK)) packages), linked as $(CHECKOV)"
	test -x $(VENV)/checkov/bin/python || $(PY) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python $(PIP_INSTALL) -r $(CHECKOV_LOCK)
	ln -sf ../checkov/bin/checkov $(CHECKOV)
	@touch $@

install-run: $(RUN_STAMP)
install-test: $(TEST_STAMP)

## Start the whole system locally on the embedded AWS emulator (Ctrl-C stops it); FRESH=1 starts from empty data.
# The ports are checked first, before the venv is made or anything installed, so a busy port stops this in seconds
# even on a fresh clone; the install is a sub-make so that it cannot start before that check (nor under make -j).
run:
	@$(PREFLIGHT) --moto-port $(MOTO_PORT) --api-port $(API_PORT) --site-port $(SITE_PORT) --command "make run"
	@$(MAKE) --no-print-directory install-run
	$(PY) -m infra.local.run --moto-port $(MOTO_PORT) --api-port $(API_PORT) --site-port $(SITE_PORT) $(if $(FRESH),--fresh)

## Regenerate the hashed locks from functions/requirements.txt and requirements/*.in (UPGRADE=1: newest allowed).
# Order matters: the runtime lock first (wheels for Lambda only, requirements/lambda-constraints.txt), the test lock
# within it, then the run lock within the test lock, so that the three agree on every version they share.
lock: | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(COMPILE) --only-binary :all: -c requirements/lambda-constraints.txt -o $(RUNTIME_LOCK) functions/requirements.txt
	$(COMPILE) -o $(TEST_LOCK) requirements/test.in
	$(COMPILE) -c $(TEST_LOCK) -o $(RUN_LOCK) requirements/run.in
	$(COMPILE) -o $(CHECKOV_LOCK) requirements/checkov.in
	$(PY) -m layers.build --check

## A Chromium for the browser tests (Playwright's own browser download cannot work offline): any already there
## (chromium, chromium-browser, google-chrome(-stable), or HEXWATCH_CHROMIUM=/path), else Debian's package.
# apt-get runs without questions (CI is root with no stdin); without apt-get it says how to install one and fails.
FIND_CHROMIUM = $(PYTHON) infra/local/preflight.py --find-chromium
chromium:
	@$(FIND_CHROMIUM) >/dev/null 2>&1 || { \
	  if [ -n "$$HEXWATCH_CHROMIUM" ] || ! command -v apt-get >/dev/null 2>&1; then $(FIND_CHROMIUM) >/dev/null; exit 1; fi; \
	  echo "Installing Chromium from Debian's packages (apt-get install chromium)"; \
	  if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	    && $(FIND_CHROMIUM) >/dev/null; }

## Every tier: lint, types, unit, integration (emulator), end-to-end and browser (local stack).
test: $(TEST_STAMP) chromium lint typecheck
	$(PY) -m pytest -q -p no:cacheprovider tests

unit: $(TEST_STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(TEST_STAMP)
	$(PY) -m pytest -q tests/integration

e2e: $(TEST_STAMP)
	$(PY) -m pytest -q tests/e2e

browser: $(TEST_STAMP) chromium
	$(PY) -m pytest -q tests/browser

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check functions infra layers bench tests

typecheck: $(TEST_STAMP)
	cd functions && ../$(VENV)/bin/mypy app.py chalicelib

## The deployable package: Chalice's SAM template merged with infra/resources.yaml, the infra/*.patch.yaml fragments and
## each function's role, log group, layer and caps (infra/functions.py); the layer zip goes beside it.
package: layer
	$(PY) -m infra.package --out build/package

## The dependency layer, byte-for-byte reproducible (prints its SHA-256).
layer: $(RUN_STAMP)
	$(PY) -m layers.build --out build/layer/dependencies.zip

## Benchmarks: print their tables and write the figures into docs/performance.md.
bench: $(RUN_STAMP)
	$(PY) -m bench.targeting --residents 200000 --write-docs
	$(PY) -m bench.fanout --recipients 10000 --baseline 1000 --write-docs
	$(PY) -m bench.faults --recipients 10000 --write-docs
	$(PY) -m bench.pipeline_model --recipients 100000 --baseline 10000 --write-docs
	$(PY) -m bench.ledger_keys --write-docs
	$(PY) -m bench.scope --boundary-vertices 50000 --write-docs
	$(PY) -m bench.coldstart --write-docs

site: $(RUN_STAMP)
	$(PY) -m infra.local.site_build --out build/site

## Publish build/site to the deployed stack's bucket (STACK=name picks the CloudFormation stack).
deploy-site: site
	$(PY) -m infra.deploy_site --site-dir build/site $(if $(STACK),--stack $(STACK))

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

## A demo officer's ID token from the running local stack: curl -H "Authorization: Bearer $(make -s token USER=...)".
# USER is also the login name in the environment, so only a USER given on make's command line counts.
TOKEN_USER = $(if $(filter command line,$(origin USER)),$(USER),demo-officer@hexwatch.example)
# No install prerequisite: the stack (make run) has built the venv already, and stdout must carry only the token.
.PHONY: token
token:
	@$(PY) -m infra.local.token $(if $(STATE_FILE),--state-file $(STATE_FILE)) $(TOKEN_USER)

## What to type into the officer console's sign-in (user name, password, current authenticator code) for a demo user.
.PHONY: console-login
console-login:
	@$(PY) -m infra.local.token --login $(if $(STATE_FILE),--state-file $(STATE_FILE)) $(TOKEN_USER)
