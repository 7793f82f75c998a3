"""Steps per second of SB3's vectorised environments and the course's SplitVecEnv, side by side.

``python benchmarks/vec_envs.py [--env Walker2DBulletEnv-v0] [--n-envs 8] [--rounds 5] [--steps 400]`` builds
``DummyVecEnv``, ``SubprocVecEnv`` (fork and forkserver) and ``SplitVecEnv`` with the same copies, then steps
them with random actions in rounds, one configuration after the other in a rotating order, so that a load
that comes and goes (other processes on shared cores) falls on every configuration alike. Two measures:
``random``: ``step()`` alone; ``a2c``: ``A2C.learn`` with the course recipe (a policy forward pass and an update
every ``n_steps``), the work the vectorised environment serves. Start-up is timed apart. Prints a table and
writes ``benchmarks/results/vec_envs.json``.
"""
from __future__ import annotations

import argparse
import functools
import json
import multiprocessing as mp
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONFIGS = ("dummy", "subproc-fork", "subproc-forkserver", "split")


def build(config: str, env_id: str, n_envs: int):
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    from utils.walkers.envs import make_walking_env
    from utils.walkers.split_vec_env import SplitVecEnv

    classes = {"dummy": (DummyVecEnv, None), "subproc-fork": (SubprocVecEnv, {"start_method": "fork"}),
               "subproc-forkserver": (SubprocVecEnv, {"start_method": "forkserver"}), "split": (SplitVecEnv, None)}
    cls, kwargs = classes[config]
    return make_vec_env(functools.partial(make_walking_env, env_id), n_envs=n_envs, seed=0, vec_env_cls=cls,
                        vec_env_kwargs=kwargs)


def random_rate(venv, steps: int, rng) -> float:
    """Environment steps per second of ``steps`` calls to ``step`` with uniform random actions."""
    low, high = venv.action_space.low, venv.action_space.high
    actions = [rng.uniform(low, high, size=(venv.num_envs, *low.shape)).astype(np.float32) for _ in range(steps)]
    start = time.perf_counter()
    for action in actions:
        venv.step(action)
    return steps * venv.num_envs / (time.perf_counter() - start)


def a2c_rate(model, steps: int) -> float:
    """Environment steps per second of ``A2C.learn`` for ``steps`` more steps of every copy."""
    total = steps * model.n_envs
    start = time.perf_counter()
    model.learn(total, reset_num_timesteps=False)
    return total / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Walker2DBulletEnv-v0")
    parser.add_argument("--n-envs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=400, help="steps of every copy per round and measure")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    args = parser.parse_args()

    from stable_baselines3 import A2C
    from stable_baselines3.common.vec_env import VecNormalize

    from utils.course.threads import torch_threads
    from utils.walkers.envs import register_bullet_envs
    from utils.walkers.recipes import COURSE

    register_bullet_envs()
    recipe = COURSE
    venvs, models, startup = {}, {}, {}
    for config in args.configs:
        start = time.perf_counter()
        venvs[config] = build(config, args.env, args.n_envs)
        venvs[config].reset()
        startup[config] = time.perf_counter() - start
        norm = VecNormalize(venvs[config], **recipe.vec_normalize_kwargs())
        models[config] = A2C("MlpPolicy", norm, seed=0, verbose=0, device="cpu", **recipe.a2c_kwargs())
    rates = {config: {"random": [], "a2c": []} for config in args.configs}
    rng = np.random.default_rng(0)
    load = []
    try:
        with torch_threads(1):
            for round_ in range(args.rounds):
                order = args.configs[round_ % len(args.configs):] + args.configs[: round_ % len(args.configs)]
                for config in order:
                    rates[config]["random"].append(random_rate(venvs[config], args.steps, rng))
                    rates[config]["a2c"].append(a2c_rate(models[config], args.steps))
                load.append(os.getloadavg()[0])
                print(f"round {round_ + 1}/{args.rounds} (load {load[-1]:.1f}): " + " | ".join(
                    f"{c} {rates[c]['random'][-1]:.0f}/{rates[c]['a2c'][-1]:.0f}" for c in args.configs), flush=True)
    finally:
        for venv in venvs.values():
            venv.close()

    rows = []
    for config in args.configs:
        row = {"config": config, "startup_s": startup[config]}
        for measure in ("random", "a2c"):
            values = rates[config][measure]
            base = rates["dummy"][measure] if "dummy" in rates else values
            ratios = [v / b for v, b in zip(values, base)]  # per round: the same load on both
            row[measure] = {"median": statistics.median(values), "rounds": values,
                            "vs_dummy_median": statistics.median(ratios)}
        rows.append(row)
    print(f"\n{args.env}, {args.n_envs} copies, {args.rounds} rounds x {args.steps} steps per copy; "
          f"load average {min(load):.1f}-{max(load):.1f} on {mp.cpu_count()} CPUs (steps/s, medians over rounds)")
    print(f"{'config':<20}{'start-up s':>11}{'random':>9}{'x dummy':>9}{'A2C':>8}{'x dummy':>9}")
    for row in rows:
        print(f"{row['config']:<20}{row['startup_s']:>11.1f}{row['random']['median']:>9.0f}"
              f"{row['random']['vs_dummy_median']:>9.2f}{row['a2c']['median']:>8.0f}{row['a2c']['vs_dummy_median']:>9.2f}")
    result = {"env_id": args.env, "n_envs": args.n_envs, "rounds": args.rounds, "steps_per_copy": args.steps,
              "recipe": "COURSE (utils.walkers.recipes)", "machine": f"{platform.machine()}, {mp.cpu_count()} CPUs",
              "load_average": load, "python": platform.python_version(), "rows": rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "vec_envs.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
