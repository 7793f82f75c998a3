"""The smoke switch: the one place that reads ``COURSE_SMOKE``.

Notebooks default to the full, real budgets a learner should run. ``COURSE_SMOKE=1`` (set by ``make test``)
only shrinks budgets, through :func:`budget`, so that every notebook executes in CI in well under 90 s.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

SMOKE_VARIABLE = "COURSE_SMOKE"
CANARY_VARIABLE = "COURSE_CANARY_DIR"
NOTEBOOK_VARIABLE = "COURSE_NOTEBOOK"


def smoke() -> bool:
    """True when ``COURSE_SMOKE=1``: notebooks and scripts run with tiny budgets."""
    return os.environ.get(SMOKE_VARIABLE, "0").strip() == "1"


def budget(full, smoke_value):
    """Return ``full`` normally and ``smoke_value`` in smoke mode (timesteps, episodes, video length, ...)."""
    return smoke_value if smoke() else full


def mode_line() -> str:
    """One line saying which mode the course runs in."""
    if smoke():
        return "Mode: SMOKE (COURSE_SMOKE=1): tiny budgets, numbers are not meaningful."
    return "Mode: full: the real budgets of the course."


def report_mode() -> None:
    """Record this kernel's mode for the CI canary test (only when ``COURSE_CANARY_DIR`` is set).

    The marker is named after the notebook (``COURSE_NOTEBOOK``, which the root ``conftest.py`` sets for the
    kernel that nbval starts), so that the canary can tell which notebooks reported.
    """
    folder = os.environ.get(CANARY_VARIABLE)
    if not folder:
        return
    notebook = os.environ.get(NOTEBOOK_VARIABLE) or f"kernel-{os.getpid()}"
    Path(folder).mkdir(parents=True, exist_ok=True)
    marker = Path(folder) / f"{notebook}.json"
    marker.write_text(json.dumps({"notebook": notebook, "pid": os.getpid(), "smoke": smoke()}))
