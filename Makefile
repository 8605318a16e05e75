# Two set-up commands do everything on a fresh machine: `make book` and `make test`.
# Both create .venv if missing (with Python 3.11, 3.12 or 3.13: the first of python3, python3.13,
# python3.12, python3.11 on PATH, or PYTHON=...) and install the locked environment
# (requirements.lock, every package pinned) with tools/install_env.py.

PYTHON ?=
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXECUTED := build/executed

.PHONY: book student test lint unit chapters bench notebooks lock linkcheck colab-check mutation clean help

help:
	@echo "make book     - set up .venv, write the scoreboard page, execute every chapter, build the HTML book into book/_build/html"
	@echo "make test     - set up .venv, lint the workflows and the code, run the unit tests, execute every chapter (papermill + nbval)"
	@echo "make lint     - lint .github/workflows (jactionlint) and the Python code (ruff)"
	@echo "make bench    - print the benchmark ratios"
	@echo "make student  - build the student edition (no solutions) into book/_build_student/html"
	@echo "make notebooks - regenerate chapters/*.ipynb (for Colab) from chapters/*.md"
	@echo "make lock     - regenerate requirements.lock from requirements.txt (needs the package registry)"
	@echo "make linkcheck - check the links of every page (chapters not executed; needs the network)"
	@echo "make colab-check - run the chapters' Colab set-up cell and chapters 2, 5, 6 in a Colab-like env"
	@echo "make mutation - mutation testing of the core modules (mutmut, not part of CI), score per module"
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
	$(PY) tools/scoreboard.py
	$(VENV)/bin/jupyter-book build . --toc book/_toc.yml --path-output book -W --keep-going
	$(PY) tools/check_book.py html book/_build/html
	@echo "Book built: book/_build/html/index.html"

student: $(STAMP)
	$(PY) tools/scoreboard.py
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
	$(VENV)/bin/ruff check src tests tools benchmarks

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

# Mutation testing of the core modules (configuration: [tool.mutmut] in pyproject.toml; explained
# survivors: tests/MUTATION.md). Not part of CI. mutmut and the packages it needs beyond the lock
# go into $(VENV)/mutmut, outside the locked environment; it runs on a copy in build/mutation
# (results are kept there, so a second run only retests what changed), niced, MUTATION_JOBS mutants at a time.
MUTMUT_PINS := mutmut==3.8.1 libcst==1.9.0 setproctitle==1.3.8 textual==8.2.8 rich==15.0.0
MUTATION_DIR := build/mutation
MUTATION_JOBS ?= 2

mutation: $(STAMP)
	@[ -f $(VENV)/mutmut/.pins ] && [ "$$(cat $(VENV)/mutmut/.pins)" = "$(MUTMUT_PINS)" ] || { \
		rm -rf $(VENV)/mutmut && \
		$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(VENV)/mutmut $(MUTMUT_PINS) && \
		echo "$(MUTMUT_PINS)" > $(VENV)/mutmut/.pins; }
	mkdir -p $(MUTATION_DIR) && cp -a src tests pyproject.toml $(MUTATION_DIR)/
	cd $(MUTATION_DIR) && OMP_NUM_THREADS=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTHONPATH=$(abspath $(VENV))/mutmut \
		nice -n 10 $(abspath $(PY)) -m mutmut run --max-children $(MUTATION_JOBS) > mutmut.log 2>&1 \
		|| { tail -40 mutmut.log; exit 1; }
	@# mutmut keeps a verdict until the mutated function changes: survivors are tested again, since
	@# tests may have been added after they were checked
	cd $(MUTATION_DIR) && names=$$(PYTHONPATH=$(abspath $(VENV))/mutmut $(abspath $(PY)) tests/mutation_report.py \
		--survivors) && [ -z "$$names" ] || OMP_NUM_THREADS=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 \
		PYTHONPATH=$(abspath $(VENV))/mutmut nice -n 10 $(abspath $(PY)) -m mutmut run \
		--max-children $(MUTATION_JOBS) $$names >> mutmut.log 2>&1 || { tail -40 mutmut.log; exit 1; }
	cd $(MUTATION_DIR) && PYTHONPATH=$(abspath $(VENV))/mutmut $(abspath $(PY)) tests/mutation_report.py

clean:
	rm -rf book/_build book/_build_student book/_build_linkcheck build
