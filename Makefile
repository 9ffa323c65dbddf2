# flaskstack.deploy: `make demo` deploys the sample app onto a local stand-in VPS over SSH;
# `make test` lints and runs every Molecule scenario. Both set up everything they need.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
# The collection is found from this checkout (as flaskstack.deploy) by ansible, ansible-lint and molecule.
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible
export XDG_CACHE_HOME := $(CURDIR)/.cache
export MOLECULE_NO_LOG := false
SCENARIOS ?= default uwsgi tls releases cluster

.PHONY: help venv collection docker images lint sanity changelog galaxy test quick demo demo-clean bench bench-deploy bench-clean clean

help:
	@echo "make demo   deploy the sample app onto a local Debian container reached over SSH"
	@echo "make test   lint, then every Molecule scenario ($(SCENARIOS))"
	@echo "make quick  lint, then the uwsgi scenario only (one host), for iterating"
	@echo "make bench  deploy the sample app with the collection and by hand, measure both (results/)"
	@echo "make lint   yamllint, ansible-lint --profile production, spec/defaults check, unit tests,"
	@echo "            changelog lint, ansible-test sanity, galaxy build and galaxy-importer"
	@echo "make sanity ansible-test sanity on the collection as shipped (make lint runs it)"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

collection:
	@mkdir -p .cache/collections/ansible_collections/flaskstack
	@ln -sfn ../../../.. .cache/collections/ansible_collections/flaskstack/deploy

docker:
	bash scripts/ensure-docker.sh

images: docker
	bash scripts/build-images.sh --test-hosts bookworm trixie

lint: venv collection
	yamllint -s .
	ansible-lint --profile production
	python3 scripts/check_specs.py
	python3 scripts/role_readme.py --check
	python3 scripts/entry_specs.py --check
	python3 -m pytest -q -p no:cacheprovider tests/unit
	$(MAKE) --no-print-directory changelog
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory galaxy

changelog: venv
	bash scripts/check-changelog.sh

# ansible-test sanity needs shellcheck, which it does not install: Debian's package.
sanity: venv
	@command -v shellcheck >/dev/null 2>&1 || bash scripts/ensure-shellcheck.sh
	bash scripts/sanity.sh

galaxy: venv
	bash scripts/check-galaxy.sh

# Two lanes side by side (scripts/test-scenarios.sh); each lane runs its scenarios in turn.
LANES ?= "releases tls uwsgi" "default cluster"
test: lint images
	bash scripts/test-scenarios.sh $(if $(filter command line environment,$(origin SCENARIOS)),"$(SCENARIOS)",$(LANES))

quick: lint images
	molecule test -s uwsgi

demo: venv collection images
	bash scripts/demo.sh

demo-clean:
	bash scripts/demo.sh --destroy

# The benchmark needs only the bookworm image (the suite of the recorded hand-made baseline).
BENCH_SUITE ?= bookworm
bench: venv collection docker
	bash scripts/build-images.sh $(BENCH_SUITE)
	BENCH_SUITE=$(BENCH_SUITE) bash scripts/bench/bench.sh
	BENCH_SUITE=$(BENCH_SUITE) bash scripts/bench/deploy.sh

# Deploy times over SSH as a sudo user on a fresh stand-in VPS, with this checkout's collection and
# (BENCH_DEPLOY_COMPARE, default fe58cff) the one before the fast-deploy modules. `make bench` runs it too.
bench-deploy: venv collection docker
	bash scripts/build-images.sh $(BENCH_SUITE)
	BENCH_SUITE=$(BENCH_SUITE) bash scripts/bench/deploy.sh

bench-clean:
	bash scripts/bench/bench.sh --destroy
	bash scripts/bench/deploy.sh --destroy

clean: demo-clean bench-clean
	-for s in $(SCENARIOS); do molecule destroy -s $$s; done
	rm -rf .cache .ansible
