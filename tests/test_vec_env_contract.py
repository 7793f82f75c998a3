"""SplitVecEnv keeps SB3's VecEnv contract: the same calls on DummyVecEnv, SubprocVecEnv and SplitVecEnv agree.

The environment is a cheap deterministic one defined here (copies of different episode lengths, a reset info that
counts resets, an image per copy, a method that raises), pickled by value so that every worker can build it.
Errors inside an environment are compared with ``DummyVecEnv`` only: SB3's ``SubprocVecEnv`` loses the worker and
raises a bare ``EOFError``, which is what SplitVecEnv does better.
"""
import functools
import os
import signal
import sys
import time
import traceback

import cloudpickle
import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

from utils.walkers.split_vec_env import RemoteTraceback, SplitVecEnv, WorkerDiedError

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import this test module
N = 4  # SplitVecEnv: copies 0-1 here, 2-3 in the worker


class CountingEnv(gym.Env):
    """Copy ``index``: episodes of ``3 + index`` steps, a seeded offset, reset infos that count the resets."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, index: int, render_mode=None):
        self.index, self.render_mode, self.label = index, render_mode, f"copy {index}"
        self.observation_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.action_space = spaces.Box(-1, 1, (1,), np.float32)
        self.resets, self.t, self.offset, self.fail_at = 0, 0, 0.0, None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.resets, self.t = self.resets + 1, 0
        self.offset = float(self.np_random.uniform())
        return self._obs(), {"copy": self.index, "resets": self.resets, "offset": self.offset, "options": options}

    def step(self, action):
        self.t += 1
        if self.t == self.fail_at:
            raise ValueError(f"copy {self.index} failed at step {self.t}")
        return self._obs(), float(action[0]) + self.offset, self.t >= 3 + self.index, False, {"t": self.t}

    def _obs(self):
        return np.array([self.index + self.offset, self.t], dtype=np.float32)

    def render(self):
        return np.full((4, 6, 3), 40 * self.index, dtype=np.uint8)

    def describe(self, prefix, suffix=""):
        return f"{prefix}{self.label}{suffix}"

    def fail_at_step(self, t):
        self.fail_at = t

    def fail(self, message):
        raise ValueError(message)


def build(kind: str, render_mode=None):
    fns = [functools.partial(lambda i: Monitor(CountingEnv(i, render_mode)), i) for i in range(N)]
    if kind == "subproc":  # fork starts 4 workers in ~1 s where forkserver takes ~10 s on shared cores; same worker code
        return SubprocVecEnv(fns, start_method="fork")
    return {"dummy": DummyVecEnv, "split": SplitVecEnv}[kind](fns)


def run_on(kinds, scenario, **options) -> dict:
    """``scenario(venv)`` on a fresh vectorised environment of each kind; the results by kind."""
    results = {}
    for kind in kinds:
        venv = build(kind, **options)
        try:
            results[kind] = scenario(venv)
        finally:
            venv.close()
    return results


def assert_all_agree(results: dict) -> None:
    for kind, result in results.items():
        np.testing.assert_equal(result, results["dummy"], err_msg=f"{kind} differs from DummyVecEnv")


def seed_step_reset(venv):
    venv.seed(3)
    venv.set_options({"level": 2})
    record = [venv.reset(), list(venv.reset_infos)]
    for step in range(7):  # copy 0 ends at steps 3 and 6, copy 1 at 4, copy 2 at 5, copy 3 at 6
        obs, rewards, dones, infos = venv.step(np.full((N, 1), 0.5, dtype=np.float32))
        assert rewards.dtype == (np.float64 if isinstance(venv, SubprocVecEnv) else np.float32)  # SB3's own classes differ
        infos = [{**info, "episode": {**info["episode"], "t": "wall-clock"}} if "episode" in info else info for info in infos]
        record += [obs, rewards.astype(np.float32), dones, infos, list(venv.reset_infos)]
    record += [venv.reset(), list(venv.reset_infos)]  # no seed now: the copies' own generators go on
    return record


def attributes(venv):
    record = [venv.get_attr("label", indices=[2, 0]), venv.get_attr("label", indices=[-1, -4, 1]),
              venv.get_attr("index", indices=3), venv.has_attr("label"), venv.has_attr("no_such_attribute"),
              venv.env_method("describe", "<", indices=[3, 1], suffix=">"), venv.env_method("describe", "", indices=-2),
              venv.env_is_wrapped(Monitor, indices=[1, 2]), venv.env_is_wrapped(gym.wrappers.TimeLimit)]
    venv.set_attr("label", "changed", indices=[3, 0])
    venv.set_attr("fail_at", 99)
    record += [venv.get_attr("label"), venv.get_attr("fail_at", indices=[-1, 0])]
    with pytest.raises(IndexError):
        venv.get_attr("label", indices=[N])
    return record


def images(venv):
    return [venv.get_images(), venv.render(), venv.render(mode="rgb_array")]


def test_seed_reset_step_auto_reset_and_reset_infos_agree():
    results = run_on(("dummy", "subproc", "split"), seed_step_reset)
    assert results["dummy"][2 + 5 * 6 + 4][0]["resets"] == 3, "copy 0 was auto-reset twice: its reset info says so"
    assert_all_agree(results)


def test_get_attr_set_attr_env_method_in_any_index_order_agree():
    results = run_on(("dummy", "subproc", "split"), attributes)
    assert results["dummy"][0] == ["copy 2", "copy 0"] and results["dummy"][1] == ["copy 3", "copy 0", "copy 1"]
    assert results["dummy"][-2] == ["changed", "copy 1", "copy 2", "changed"]
    assert_all_agree(results)


def test_render_agrees_and_tiles_every_copy():
    results = run_on(("dummy", "subproc", "split"), images, render_mode="rgb_array")
    assert sorted(np.unique(results["dummy"][1])) == [0, 40, 80, 120], "the tiled image shows all four copies"
    assert_all_agree(results)


@pytest.mark.parametrize("kind", ["dummy", "subproc", "split"])
def test_close_twice_is_harmless(kind):
    venv = build(kind)
    venv.reset()
    venv.close()
    venv.close()


@pytest.mark.parametrize("copy, where", [(0, "here"), (3, "in the worker")])
def test_an_exception_in_a_copy_is_raised_as_itself_and_leaves_no_stale_reply(copy, where):
    def scenario(venv):
        venv.reset()
        venv.env_method("fail_at_step", 2, indices=copy)
        venv.step(np.zeros((N, 1), dtype=np.float32))
        with pytest.raises(ValueError, match=f"copy {copy} failed at step 2") as step_error:
            venv.step(np.zeros((N, 1), dtype=np.float32))
        with pytest.raises(ValueError, match="^boom$") as method_error:
            venv.env_method("fail", "boom", indices=[copy])
        # the next calls read their own replies, not the failed step's
        return [venv.get_attr("label", indices=[3, 0]), venv.env_method("describe", "", indices=[2, 1]),
                "".join(traceback.format_exception(step_error.value)),
                "".join(traceback.format_exception(method_error.value))]

    results = run_on(("dummy", "split"), scenario)
    split_step, split_method = results["split"][2:]
    if copy >= N - N // 2:  # the worker's copy: its traceback comes back as the cause, then the error itself
        for shown, frame in ((split_step, "in step"), (split_method, "in fail")):
            assert "In SplitVecEnv's worker" in shown and frame in shown, shown
            assert shown.strip().splitlines()[-1].startswith("ValueError: "), "the last line is the error, one line"
    assert_all_agree({kind: result[:2] for kind, result in results.items()})


def test_a_worker_error_keeps_the_remote_traceback_as_cause_and_close_still_ends_the_worker():
    venv = build("split")
    try:
        with pytest.raises(ValueError) as caught:
            venv.env_method("fail", "boom", indices=-1)
        assert isinstance(caught.value.__cause__, RemoteTraceback)
        assert "in fail\nValueError: boom" in str(caught.value.__cause__)
    finally:
        venv.close()
    with pytest.raises(ProcessLookupError):
        os.kill(venv.pid, 0)


def test_a_worker_killed_from_outside_is_reported_in_one_line_and_cleaned_up():
    venv = build("split")
    venv.reset()
    pid = venv.pid
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    try:
        with pytest.raises(WorkerDiedError) as caught:
            venv.step(np.zeros((N, 1), dtype=np.float32))
        message = str(caught.value)
        assert "\n" not in message and "SIGKILL" in message and str(pid) in message, message
        with pytest.raises(WorkerDiedError):
            venv.get_attr("label")
    finally:
        venv.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: no zombie left


def test_close_stops_the_worker_and_leaks_no_file_descriptor():
    build("split").close()  # the first use starts the forkserver, which holds a descriptor of its own
    before = len(os.listdir("/proc/self/fd"))
    pids = []
    for _ in range(3):
        venv = build("split")
        venv.step_async(np.zeros((N, 1), dtype=np.float32))  # left waiting: close must still collect the reply
        pids.append(venv.pid)
        venv.close()
    assert len(os.listdir("/proc/self/fd")) == before, "close() left pipes or process sentinels open"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_worker_that_cannot_build_its_copies_says_why():
    def broken(i):
        raise RuntimeError(f"no copy {i} today")

    fns = [functools.partial(CountingEnv, 0), functools.partial(CountingEnv, 1), functools.partial(broken, 2)]
    with pytest.raises(RuntimeError, match="no copy 2 today"):
        SplitVecEnv(fns)
