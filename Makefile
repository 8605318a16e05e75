# Two set-up commands do everything on a fresh machine: `make book` and `make test`.
# Both create .venv if missing and install the pinned dependencies of requirements.txt.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXECUTED := build/executed

.PHONY: book student test unit chapters bench notebooks clean help

help:
	@echo "make book     - set up .venv, execute every chapter, build the HTML book into book/_build/html"
	@echo "make test     - set up .venv, run the unit tests and execute every chapter (papermill + nbval)"
	@echo "make bench    - print the benchmark ratios"
	@echo "make student  - build the student edition (no solutions) into book/_build_student/html"
	@echo "make notebooks - regenerate chapters/*.ipynb (for Colab) from chapters/*.md"

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]}; set PYTHON=..."' \
		|| (echo "error: $(PYTHON) is not Python 3.11 (try: make PYTHON=/path/to/python3.11 ...)"; exit 1)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	grep -v -E '^escnn==' requirements.txt > $(VENV)/requirements-with-deps.txt
	$(PY) -m pip install --disable-pip-version-check -q -r $(VENV)/requirements-with-deps.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps $$(grep -E '^escnn==' requirements.txt)
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --toc book/_toc.yml --path-output book -W --keep-going
	@echo "Book built: book/_build/html/index.html"

student: $(STAMP)
	sed 's/^\(\s*hide_solutions:\).*/\1 true/' _config.yml > $(VENV)/_config_student.yml
	$(VENV)/bin/jupyter-book build . --toc book/_toc.yml --config $(VENV)/_config_student.yml \
		--path-output book/_build_student -W --keep-going
	@echo "Student edition: book/_build_student/_build/html/index.html"

unit: $(STAMP)
	$(PY) -m pytest tests

chapters: $(STAMP)
	$(PY) -m eqrep.chapters execute --out $(EXECUTED)
	$(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env $(EXECUTED)

test: unit chapters

bench: $(STAMP)
	$(PY) -m eqrep.bench

notebooks: $(STAMP)
	$(PY) -m eqrep.chapters sync

clean:
	rm -rf book/_build book/_build_student build
