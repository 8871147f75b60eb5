# selfhost.supabase: development and test entry points.
#   make test     everything from a fresh machine: venv, Docker engine, images, lint, unit, Molecule
#   make fast     lint + unit, for the development loop
#   make deploy   venv, then site.yml against this machine (needs a registry for the official images)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
ROOT := $(abspath .)
export PATH := $(ROOT)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/collections
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Scenarios in the order `make molecule` runs them; SCENARIO=x runs one.
SCENARIOS ?= $(shell cat molecule/resources/scenarios.txt 2>/dev/null)
SCENARIO ?=
INVENTORY ?= inventories/local

STAMP := $(VENV)/.installed

.PHONY: help setup host-deps engine images lint unit sanity bench bench-site molecule test fast deploy build clean demo demo-down

help:
	@echo "make setup | lint | unit | fast | molecule [SCENARIO=x] | test | deploy | build | demo | demo-down | sanity | bench | bench-site"

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

## setup: the Python venv with pinned dependencies, and the host packages the unit tests use
setup: $(STAMP) host-deps

host-deps:
	@bash molecule/resources/scripts/host-deps.sh

## engine: a Docker engine that answers (installs and starts docker.io if none does)
engine:
	@bash molecule/resources/scripts/engine.sh

## images: the harness images (platforms, offline service images), cached by recipe hash
images: engine
	@bash molecule/resources/scripts/images.sh

lint: $(STAMP)
	yamllint -s .
	ansible-lint --offline

unit: setup
	pytest -q -n auto tests/unit

## sanity: ansible-test sanity on a copy laid out as ansible_collections/selfhost/supabase
## (ansible-test refuses a tree reached through a symlink). Needs PyPI for its own venvs.
sanity: $(STAMP)
	rm -rf .cache/sanity && mkdir -p .cache/sanity/ansible_collections/selfhost
	mkdir -p .cache/sanity/ansible_collections/selfhost/supabase
	git archive HEAD | tar -x -C .cache/sanity/ansible_collections/selfhost/supabase
	cd .cache/sanity/ansible_collections/selfhost/supabase && ansible-test sanity --local --python 3.11 plugins tests/unit

## bench: health_probe concurrency figure (12 endpoints, slowest ~1 s)
bench: $(STAMP)
	python scripts/bench_health_probe.py

## bench-site: site.yml against docker-compose on the stack scenario's host, one table with ratios (~25 min;
## a benchmark, not part of `make test`). BENCH_FLEET=1 adds the fleet's 4-host no-op. Run it through the queue.
bench-site: setup images
	bash scripts/bench_site.sh

molecule: setup images
	@bash molecule/resources/scripts/run-scenarios.sh $(if $(SCENARIO),$(SCENARIO),$(SCENARIOS))

fast: lint unit

test: setup engine lint unit build molecule
	@echo "make test: all green"

build: $(STAMP)
	mkdir -p .cache/build
	ansible-galaxy collection build --force --output-path .cache/build .

deploy: $(STAMP)
	ansible-playbook -i $(INVENTORY) playbooks/site.yml

## demo: the whole stack on a local docker-in-docker host with the offline image set, left running
demo: setup images
	bash scripts/demo.sh up

demo-down: $(STAMP)
	bash scripts/demo.sh down

clean:
	rm -rf .cache tests/output
