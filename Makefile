# Two commands set everything up on a fresh machine with Python 3.11:
#   make lab   - create .venv if missing, install the pinned requirements, start JupyterLab on the course
#   make test  - the same set-up, then the unit tests and every notebook in smoke mode (nbval)
# and, with PyPI reachable, `make check-requirements`: the ranges resolve for Python 3.11-3.13, and with Colab's versions held.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat requirements*.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: lab test install executed-notebooks check-requirements

install: $(STAMP)

$(STAMP): requirements.txt requirements-robots.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

test: install
	COURSE_SMOKE=1 MPLBACKEND=Agg $(VENV)/bin/python -m pytest -q notebooks tests

# every notebook run in full mode, outputs stored (about 75 min on two cores; NOTEBOOKS=notebooks/03_*.ipynb for one)
NOTEBOOKS ?= notebooks/[0-9][0-9]_*.ipynb
executed-notebooks: install
	$(VENV)/bin/python -m utils.course.notebooks --execute $(NOTEBOOKS)

check-requirements: install
	$(VENV)/bin/python scripts/check_requirements.py
