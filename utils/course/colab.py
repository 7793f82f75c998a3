"""The robots' part of the Colab set-up cell (notebooks 00 and 04-06; the cell itself comes from utils.course.notebooks).

The set-up cell installs the course with ``pip install -e .``: ranges that Colab's own versions satisfy, so pip adds
only what Colab lacks (Stable-Baselines3, Optuna, ...) and replaces nothing. Notebooks that simulate the robots then
call :func:`install_robots`. pybullet publishes no wheel for Colab's Python 3.13, so pip builds it from source:
this says so before it starts, and shows the time passing against the measured build time instead of a silent cell.
"""
from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec

from utils.course.session import ROOT

BUILD_SECONDS = 636
"""pybullet 3.2.7 built from its source archive on Python 3.13 in 636 s (952 s of CPU) on a 2-core CPU shared with
other work (``pip wheel``, ``benchmarks/results/pybullet_build_py313.log``); Colab's two cores are not faster."""


def install_robots() -> None:
    """Install pybullet and its environments (``requirements-robots.txt``) unless they are installed already."""
    if find_spec("pybullet") and find_spec("pybullet_envs_gymnasium"):
        return
    print(f"Installing the PyBullet robots. pybullet has no wheel for Python 3.13 (Colab's), so pip builds it from "
          f"source: about {round(BUILD_SECONDS / 60)} min, once per runtime.")
    run_with_progress([sys.executable, "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements-robots.txt")],
                      "pybullet", BUILD_SECONDS)
    importlib.invalidate_caches()


def run_with_progress(command: list[str], what: str, expected_seconds: float) -> None:
    """Run ``command`` under a bar of the time passed against ``expected_seconds``; a one-line error if it fails."""
    from tqdm.auto import tqdm

    expected = f"{int(expected_seconds // 60)}:{int(expected_seconds % 60):02d}"
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        start = time.monotonic()
        with tqdm(total=expected_seconds, desc=what, bar_format=f"{{desc}}: {{bar}} {{elapsed}} (about {expected} expected)") as bar:
            while process.poll() is None:
                time.sleep(1)
                bar.n = min(time.monotonic() - start, expected_seconds)
                bar.refresh()
        output.seek(0)
        lines = [line.strip() for line in output.read().splitlines() if line.strip()]
    if process.returncode:
        last = lines[-1] if lines else "no output"
        raise RuntimeError(f"Installing {what} failed (exit {process.returncode}): {last}")
