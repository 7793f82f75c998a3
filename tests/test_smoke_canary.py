"""Canary: every notebook that nbval executed in this test run reported smoke mode, under its own name.

``make test`` runs ``pytest notebooks tests``, so the notebooks execute before this file. Each kernel's set-up
cell (``utils.course.session.start``) writes ``<notebook>.json`` with the mode it saw into ``COURSE_CANARY_DIR``,
a folder the root ``conftest.py`` creates fresh for every run.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from utils.course.smoke import CANARY_VARIABLE, NOTEBOOK_VARIABLE, SMOKE_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


def test_every_executed_notebook_saw_smoke_mode(request):
    executed = sorted({item.path.stem for item in request.session.items if item.path.suffix == ".ipynb"})
    if not executed:
        pytest.skip("no notebook was collected in this run")
    folder = Path(os.environ[CANARY_VARIABLE])
    markers = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    missing = [name for name in executed if name not in markers]
    assert not missing, f"these notebooks' kernels reported no mode: {missing}"
    full = [name for name in executed if not markers[name]["smoke"]]
    assert not full, f"{full} ran in FULL mode under the test suite: set COURSE_SMOKE=1 (make test does)"


def test_this_run_has_its_own_marker_folder(request):
    folder = Path(os.environ[CANARY_VARIABLE])
    assert folder == Path(request.config.canary_dir) and folder.name.startswith("course-canary-")
    assert NOTEBOOK_VARIABLE not in os.environ, "a notebook's name is only given to its own kernel"


@pytest.mark.parametrize("smoke", ["1", "0"])
def test_a_kernel_writes_a_marker_named_after_its_notebook(tmp_path, smoke):
    env = {**os.environ, CANARY_VARIABLE: str(tmp_path), NOTEBOOK_VARIABLE: "07_example", SMOKE_VARIABLE: smoke}
    done = subprocess.run([sys.executable, "-c", "from utils.course.smoke import report_mode; report_mode()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p.name for p in tmp_path.iterdir()] == ["07_example.json"]
    marker = json.loads((tmp_path / "07_example.json").read_text())
    assert marker["notebook"] == "07_example" and marker["smoke"] is (smoke == "1")
