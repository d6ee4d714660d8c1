# One command runs the whole assistant (`make run`), one tests it (`make test`).
# Rasa 3.6.21 needs Python 3.10 (.venv-rasa); everything else runs on Python 3.11 (.venv).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY310 ?= $(shell for p in python3.10 /root/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
          command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null && { command -v $$p; break; }; done)
PY311 ?= $(shell for p in python3.11 /root/.pyenv/versions/3.11*/bin/python3.11 /usr/local/bin/python3.11 /usr/bin/python3.11; do \
          command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,11)' 2>/dev/null && { command -v $$p; break; }; done)

APP := .venv/bin
RASA := .venv-rasa/bin
export PYTHONPATH := $(CURDIR)
export PYTHONUNBUFFERED := 1
export TOKENIZERS_PARALLELISM := false
export HF_HUB_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export TRANSFORMERS_OFFLINE := 1

.PHONY: help setup run test eval admin train validate migrate load-kb embedding-model chromium clean bench bench-booking

help:
	@echo "make run    - install what is missing, train if needed, start everything, print the URLs"
	@echo "make test   - the whole test suite (unit, actions, integration, browser, Rasa data and stories)"
	@echo "make eval   - knowledge-base retrieval evaluation (hit@k, MRR, decline, latency)"
	@echo "make admin  - create the first admin account (prints a one-time password)"
	@echo "make bench  - load benchmark on its own stack: N=20 citizens, SECONDS=60, DB=sqlite|postgres|both, RATE=msg/s (paced), WORKERS=Rasa workers (>1 needs Redis)"

.venv/.installed: requirements/app.txt
	@test -n "$(PY311)" || { echo "Python 3.11 not found: install it (e.g. pyenv install 3.11) and retry"; exit 1; }
	@echo "==> Python 3.11 environment (.venv) with $(PY311)"
	@test -x $(APP)/python || $(PY311) -m venv .venv
	$(APP)/pip install -q --upgrade pip
	$(APP)/pip install -q -r requirements/app.txt
	@touch $@

.venv-rasa/.installed: requirements/rasa.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found (Rasa 3.6 needs it): install it (e.g. pyenv install 3.10) and retry"; exit 1; }
	@echo "==> Python 3.10 environment for Rasa (.venv-rasa) with $(PY310)"
	@test -x $(RASA)/python || $(PY310) -m venv .venv-rasa
	$(RASA)/pip install -q --upgrade pip
	$(RASA)/pip install -q -r requirements/rasa.txt
	@touch $@

setup: .venv/.installed .venv-rasa/.installed embedding-model
	@$(APP)/python tools/ensure_env.py

embedding-model: .venv/.installed
	@$(APP)/python -m office.kb.e5_model

chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "==> installing Debian's chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  { echo "could not install chromium: run 'apt-get install -y chromium' as root"; exit 1; }; }

migrate: setup
	@echo "==> database migrations"
	@set -a; source .env; set +a; $(APP)/python -m office.cli migrate

load-kb: migrate
	@set -a; source .env; set +a; $(APP)/python -m office.cli load-profile
	@set -a; source .env; set +a; $(APP)/python -m office.cli load-kb

train: .venv-rasa/.installed
	@$(APP)/python tools/train_if_needed.py

validate: .venv-rasa/.installed
	$(RASA)/rasa data validate --domain bot/domain --data nlu_data bot/data --config config.yml

run: load-kb train
	@set -a; source .env; set +a; $(APP)/python tools/print_urls.py
	@set -a; source .env; set +a; exec $(APP)/honcho start -f Procfile

admin: migrate
	@set -a; source .env; set +a; $(APP)/python -m backoffice.create_admin $(ARGS)

test: setup chromium train
	@set -a; source .env; set +a; $(APP)/python -m pytest -q tests

eval: setup
	@set -a; source .env; set +a; $(APP)/python -m tools.eval_kb

# Load benchmark (tools/bench.py): starts its own stack on free ports and a fresh database, N citizens talk
# for SECONDS, then bare NLU parsing of the same texts; writes results/bench-<date>.json.
bench: setup
	@$(APP)/python -m tools.bench -n $(or $(N),20) --seconds $(or $(SECONDS),60) --db $(or $(DB),sqlite) $(if $(RATE),--rate $(RATE)) $(if $(WORKERS),--rasa-workers $(WORKERS))

bench-booking: bench  # the former booking-only benchmark; bookings are one of the bench's conversations

clean:
	rm -rf models var .pytest_cache
