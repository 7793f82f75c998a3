"""Where a training step goes: the course's training command profiled, and its critical path timed.

``python benchmarks/profile_training.py [--env Walker2DBulletEnv-v0] [--recipe walker] [--steps 20000]`` measures
two things, one after the other (each a whole process, evaluation and packaging off):

1. **A sampling profile** of ``python -m utils.train`` with py-spy (``pip install py-spy``), main process and
   split-environment worker apart, every sample put in one category (environment physics, policy forward pass,
   ``VecNormalize``, pipe traffic, gradient update, start-up, ...). Shares are of each process's samples; py-spy
   does not sample a process blocked in a system call, so a worker's idle time is missing from its total.
2. **The critical path**: the same recipe trained in this process with timers around each stage of SB3's
   rollout loop, in milliseconds per vectorised step (one action for each copy). With ``SplitVecEnv`` the main
   process steps its copies while the worker steps the others, then waits for the worker's reply; everything else
   (forward pass, normalisation, buffer, update) runs while the worker waits for its next actions.

Writes ``benchmarks/results/profile_<env>.txt``. Run it on a quiet machine: the shares are of CPU samples, but a
busy core stretches the waits.
"""
from __future__ import annotations

import argparse
import collections
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CATEGORIES = [  # the first whose key occurs in a sample's stack (outermost first) takes the sample
    ("start-up: imports, building the environments", ["_find_and_load", "exec_module", "_process_class",
                                                      "SplitVecEnv.__init__", "make_vec_env", "new_model"]),
    ("main waits for the worker's reply", ["SplitVecEnv._receive"]),
    ("worker waits for actions", ["_worker > _ConnectionBase.recv"]),
    ("pipe: pickling and sending", ["_ConnectionBase.send", "ForkingPickler"]),
    ("gradient update (A2C.train)", ["A2C.train"]),
    ("policy forward pass and gSDE noise", ["ActorCriticPolicy.forward", "obs_as_tensor", "reset_noise"]),
    ("rollout buffer, returns and GAE", ["RolloutBuffer"]),
    ("environment reset", ["WalkerBaseBulletEnv.reset", "MJCFBaseBulletEnv.reset"]),
    ("environment step (physics and observation)", ["WalkerBaseBulletEnv.step"]),
    ("wrappers: Monitor, walking monitor, training reward", ["Monitor.step", "WalkingMonitor", "ScaleAliveBonus"]),
    ("VecNormalize", ["VecNormalize"]),
    ("action clipping", ["clip > _wrapfunc"]),
    ("callbacks", ["Callback"]),
]


def categorise(raw: Path) -> dict[str, collections.Counter]:
    """Samples per category of a py-spy ``--format raw`` file, for the main process and the worker apart."""
    per = {"main process": collections.Counter(), "worker": collections.Counter()}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        process = "worker" if "_worker (" in stack else "main process"
        names = " > ".join(re.sub(r" \(.*", "", frame) for frame in stack.split(";")[1:])
        category = next((c for c, keys in CATEGORIES if any(k in names for k in keys)), "other")
        per[process][category] += int(count)
    return per


def profile(env_id: str, recipe: str, steps: int) -> list[str]:
    beside_python = Path(sys.executable).with_name("py-spy")
    spy = shutil.which("py-spy") or (str(beside_python) if beside_python.exists() else None)
    if spy is None:
        return ["py-spy is not installed (pip install py-spy): profile skipped."]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "profile.txt"
        command = [spy, "record", "--subprocesses", "--format", "raw", "--rate", "200", "-o", str(raw), "--",
                   sys.executable, "-m", "utils.train", "--env", env_id, "--recipe", recipe, "--timesteps",
                   str(steps), "--out", str(Path(tmp) / "run"), "--eval-every", "0", "--checkpoint-every", "0",
                   "--no-package", "--no-progress"]
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        per = categorise(raw)
    lines = [f"1. py-spy, 200 samples/s: python -m utils.train --env {env_id} --recipe {recipe} --timesteps "
             f"{steps:,} ({seconds:.0f} s with the profiler)"]
    for process, counts in per.items():
        total = sum(counts.values())
        if total:
            lines.append(f"   {process}: {total} samples")
            lines += [f"   {n / total:6.1%}  {category}" for category, n in counts.most_common()]
    return lines


def critical_path(env_id: str, recipe_name: str, steps: int) -> list[str]:
    """Train in this process with timers around the stages of SB3's rollout loop; ms per vectorised step."""
    import torch

    from utils.walkers.recipes import RECIPES
    from utils.walkers.runs import new_model

    torch.set_num_threads(1)
    totals = collections.Counter()

    def timed(owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter() - start
        setattr(owner, name, wrapper)

    recipe = RECIPES[recipe_name]
    lines = [f"2. the critical path, {steps:,} steps of {recipe_name} in one process (milliseconds per vectorised step "
             f"of {recipe.n_envs} copies)"]
    for parallel in ([True, False] if recipe.parallel else [False]):
        totals.clear()
        model, env = new_model(replace(recipe, parallel=parallel), env_id, 0)
        venv = env.venv
        timed(model.policy, "forward", "policy forward pass")
        timed(env, "step_wait", "VecNormalize.step_wait (the environments included)")
        timed(venv, "step_wait", "  environments' step_wait")
        if parallel:
            timed(venv, "step_async", "  pickle and send the worker's actions")
            timed(venv.local, "step", "    the main process's own copies")
            timed(venv, "_receive", "    then wait for the worker's reply")
        timed(model.rollout_buffer, "add", "rollout buffer add")
        timed(model, "train", "gradient update (per vectorised step)")
        start = time.perf_counter()
        model.learn(steps)
        seconds = time.perf_counter() - start
        env.close()
        vec_steps = steps / recipe.n_envs
        name = "SplitVecEnv" if parallel else "DummyVecEnv"
        lines.append(f"   {name}: {steps / seconds:.0f} steps/s, {seconds / vec_steps * 1e3:.2f} ms per vectorised step")
        lines += [f"   {totals[k] / vec_steps * 1e3:8.3f}  {k}" for k in totals]
        rest = seconds - totals["policy forward pass"] - totals["VecNormalize.step_wait (the environments included)"] \
            - totals.get("  pickle and send the worker's actions", 0) - totals["rollout buffer add"] \
            - totals["gradient update (per vectorised step)"]
        lines.append(f"   {rest / vec_steps * 1e3:8.3f}  the rest of SB3's loop (callbacks, clipping, tensors)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Walker2DBulletEnv-v0")
    parser.add_argument("--recipe", default="walker")
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    lines = [f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, load {load} at the start"]
    lines += profile(args.env, args.recipe, args.steps) + [""] + critical_path(args.env, args.recipe, args.steps)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"profile_{args.env.split('BulletEnv')[0].lower()}.txt").write_text(text)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
