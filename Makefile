# Two set-up commands do everything on a fresh machine: `make book` and `make test`.
# Both create .venv if missing (with Python 3.11, 3.12 or 3.13: the first of python3, python3.13,
# python3.12, python3.11 on PATH, or PYTHON=...) and install the locked environment
# (requirements.lock, every package pinned) with tools/install_env.py.

PYTHON ?=
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXECUTED := build/executed

.PHONY: book student test lint unit chapters bench notebooks lock linkcheck colab-check clean help

help:
	@echo "make book     - set up .venv, execute every chapter, build the HTML book into book/_build/html"
	@echo "make test     - set up .venv, lint the workflows, run the unit tests, execute every chapter (papermill + nbval)"
	@echo "make lint     - lint .github/workflows (jactionlint)"
	@echo "make bench    - print the benchmark ratios"
	@echo "make student  - build the student edition (no solutions) into book/_build_student/html"
	@echo "make notebooks - regenerate chapters/*.ipynb (for Colab) from chapters/*.md"
	@echo "make lock     - regenerate requirements.lock from requirements.txt (needs the package registry)"
	@echo "make linkcheck - check the links of every page (chapters not executed; needs the network)"
	@echo "make colab-check - run the chapters' Colab set-up cell and chapters 2, 5, 6 in a Colab-like env"
	@echo "Options: PYTHON=python3.x (3.11-3.13), VENV=folder (default .venv),"
	@echo "         TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu (torch's CPU build)"

$(STAMP): requirements.lock pyproject.toml tools/install_env.py
	@if [ ! -x $(PY) ]; then \
		python=$$(sh tools/find_python.sh $(PYTHON)) || exit 1; \
		echo "Creating $(VENV) with $$python ($$($$python --version 2>&1))"; \
		$$python -m venv $(VENV) || exit 1; \
	fi
	$(PY) tools/install_env.py
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --toc book/_toc.yml --path-output book -W --keep-going
	$(PY) tools/check_book.py html book/_build/html
	@echo "Book built: book/_build/html/index.html"

student: $(STAMP)
	sed 's/^\(\s*hide_solutions:\).*/\1 true/' _config.yml > $(VENV)/_config_student.yml
	$(VENV)/bin/jupyter-book build . --toc book/_toc.yml --config $(VENV)/_config_student.yml \
		--path-output book/_build_student -W --keep-going
	@echo "Student edition: book/_build_student/_build/html/index.html"

unit: $(STAMP)
	$(PY) -m pytest tests

chapters: $(STAMP)
	$(PY) tools/chapters.py execute --out $(EXECUTED)
	$(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env $(EXECUTED)
	$(PY) tools/check_book.py outputs $(EXECUTED)

lint: $(STAMP)
	$(VENV)/bin/jactionlint

test: lint unit chapters

bench: $(STAMP)
	$(PY) benchmarks/bench.py

notebooks: $(STAMP)
	$(PY) tools/chapters.py sync

lock: $(STAMP)
	$(PY) tools/lock.py

linkcheck: $(STAMP)
	sed 's/^\(\s*execute_notebooks:\).*/\1 "off"/' _config.yml > $(VENV)/_config_linkcheck.yml
	$(VENV)/bin/jupyter-book build . --toc book/_toc.yml --config $(VENV)/_config_linkcheck.yml \
		--path-output book/_build_linkcheck --builder linkcheck

colab-check: $(STAMP)
	$(PY) tools/colab_check.py

clean:
	rm -rf book/_build book/_build_student book/_build_linkcheck build
