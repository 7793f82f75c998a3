"""Process-wide settings are scoped: torch's thread count is given back after every block, decorated function
and benchmark run; only a notebook's set-up cell sets it for the kernel, on purpose (utils.course.session)."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from utils.course.smoke import CANARY_VARIABLE
from utils.course.threads import single_threaded, torch_threads

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_torch_threads_restores_the_count_even_after_an_error(two_threads):
    with pytest.raises(RuntimeError, match="inside"):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == 2


def test_single_threaded_sets_one_thread_only_while_the_function_runs(two_threads):
    seen = single_threaded(torch.get_num_threads)()
    assert (seen, torch.get_num_threads()) == (1, 2)


def test_start_sets_one_thread_for_the_notebook_kernel():
    script = ("import torch; torch.set_num_threads(2)\n"
              "from utils.course.session import start; start()\n"
              "print('threads', torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k != CANARY_VARIABLE}  # leave no marker for the smoke canary
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "threads 1" in done.stdout


def test_each_time_to_score_run_takes_one_thread_and_gives_it_back(two_threads, monkeypatch):
    spec = importlib.util.spec_from_file_location("time_to_score", ROOT / "benchmarks" / "time_to_score.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    seen = []

    def leaky_train(*args, **kwargs):  # a run that changes the setting and does not restore it
        seen.append(torch.get_num_threads())
        torch.set_num_threads(3)
        return SimpleNamespace(evaluations=[{"mean": 5.0, "steps": 10, "wall": 1.0}])

    monkeypatch.setattr(benchmark, "train", leaky_train)
    for recipe in ("reference", "course"):
        row = benchmark.time_to_score("Walker2DBulletEnv-v0", recipe, 1.0, 0, 100, 10)
        assert row["reached"] and row["steps"] == 10
    assert seen == [1, 1], "each run starts on one thread, whatever the one before it left"
    assert torch.get_num_threads() == 2
