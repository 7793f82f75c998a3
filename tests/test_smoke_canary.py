"""Canary: every notebook that nbval executed in this session must have run in smoke mode.

``make test`` runs ``pytest notebooks tests``, so the notebooks execute before this file. Each kernel's
set-up cell (``utils.course.session.start``) writes a marker with the mode it saw into ``COURSE_CANARY_DIR``.
"""
import json
import os
from pathlib import Path

import pytest


def test_every_executed_notebook_saw_smoke_mode(request):
    executed = {item.path for item in request.session.items if item.path.suffix == ".ipynb"}
    if not executed:
        pytest.skip("no notebook was collected in this session")
    markers = [json.loads(p.read_text()) for p in Path(os.environ["COURSE_CANARY_DIR"]).glob("*.json")]
    assert len(markers) >= len(executed), f"{len(executed)} notebooks collected but only {len(markers)} kernels reported a mode"
    full = [m for m in markers if not m["smoke"]]
    assert not full, "a notebook ran in FULL mode under the test suite: set COURSE_SMOKE=1 (make test does)"
