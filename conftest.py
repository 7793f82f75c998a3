"""Root pytest configuration: the smoke canary's markers (``utils.course.smoke.report_mode``).

Every test run gets a fresh marker folder, removed at the end, so that no marker of an earlier run counts; each
notebook's kernel is started knowing its notebook's name, so that its marker is named after it.
"""
import os
import shutil
import tempfile

import pytest

from utils.course.smoke import CANARY_VARIABLE, NOTEBOOK_VARIABLE


def pytest_configure(config):
    config.canary_dir = tempfile.mkdtemp(prefix="course-canary-")
    os.environ[CANARY_VARIABLE] = config.canary_dir


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "canary_dir", ""), ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel when its first cell is set up: the kernel inherits the notebook's name."""
    if item.path.suffix != ".ipynb":
        yield
        return
    os.environ[NOTEBOOK_VARIABLE] = item.path.stem
    try:
        yield
    finally:
        os.environ.pop(NOTEBOOK_VARIABLE, None)
