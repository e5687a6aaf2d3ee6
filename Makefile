# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?= -n 2

.PHONY: constraints demo test venv system services lint typecheck messages messages-update test-sqlite test-postgres bench clean

# constraints.txt pins every package to the versions the suite last passed with, so a fresh clone installs
# what CI tested (a newer type checker once failed a clean run). Refresh it with `make constraints`.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

system:
	bash scripts/system-packages.sh

services:
	bash scripts/services.sh

messages: venv
	cd src/huikuan && ../../$(BIN)/django-admin compilemessages --ignore=.venv -v0

# After adding user-facing strings: refresh the catalogue, then add the new terms to scripts/zh_hans_terms.tsv.
messages-update: venv
	cd src/huikuan && DJANGO_SETTINGS_MODULE=huikuan.config.settings_demo ../../$(BIN)/django-admin makemessages \
		-l zh_Hans --ignore=migrations --no-wrap --no-location -v0
	$(BIN)/python scripts/translate_po.py src/huikuan/locale/zh_Hans/LC_MESSAGES/django.po
	# A catalogue that only compiles where an older .mo hides it fails here, not in a fresh clone's `make test`.
	msgfmt --check-format -o /dev/null src/huikuan/locale/zh_Hans/LC_MESSAGES/django.po

# Demo mode: the public demo secrets are accepted and the site is served over plain HTTP (never in production).
demo: export HUIKUAN_DEMO := 1
demo: system venv messages
	$(BIN)/huikuan migrate --noinput -v0
	$(BIN)/huikuan demo
	$(BIN)/huikuan runserver --insecure 127.0.0.1:8000

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

test-sqlite: venv messages
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: venv messages services
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

test: system services venv lint typecheck messages test-sqlite test-postgres

constraints: venv
	$(BIN)/pip freeze --exclude-editable | grep -v '^huikuan' > constraints.txt

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
