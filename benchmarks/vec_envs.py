"""Steps per second of SB3's vectorised environments and the course's SplitVecEnv, side by side.

``python benchmarks/vec_envs.py [--env Walker2DBulletEnv-v0] [--n-envs 8] [--rounds 5] [--steps 400]`` builds
``DummyVecEnv``, ``SubprocVecEnv`` (fork and forkserver) and ``SplitVecEnv`` with the same copies, then steps
them with random actions in rounds, one configuration after the other in a rotating order, so that a load
that comes and goes (other processes on shared cores) falls on every configuration alike. Two measures:
``random``: ``step()`` alone; ``a2c``: ``A2C.learn`` with the course recipe (a policy forward pass and an update
every ``n_steps``), the work the vectorised environment serves. Start-up is timed apart.

On shared cores, wall-clock rates favour many processes (the scheduler shares the cores per process, so eight
workers get more of them than one), so the CPU time of the main process and of each worker is counted too:
environment steps per CPU-second say which does the same work with less, whatever the load, and
``2-core bound`` = steps / max(the busiest process's CPU time, the total / 2) is the most two idle cores could
give (waiting on pipes not counted). Prints a table and writes ``benchmarks/results/vec_envs.json``.
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


def worker_pids(venv) -> list[int]:
    if hasattr(venv, "processes"):  # SubprocVecEnv
        return [p.pid for p in venv.processes]
    return [venv.pid] if hasattr(venv, "pid") else []  # SplitVecEnv; DummyVecEnv has none


def cpu_seconds(pids: list[int]) -> np.ndarray:
    """CPU time (user + system) so far of this process, then of each of ``pids``."""
    seconds = [time.process_time()]
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))  # utime, stime
    return np.array(seconds)


def timed(work, pids: list[int], env_steps: int) -> tuple[float, float, float]:
    """Environment steps per second, per CPU-second, and the bound on two idle cores, of ``work()``."""
    wall, cpu = time.perf_counter(), cpu_seconds(pids)
    work()
    wall, cpu = time.perf_counter() - wall, cpu_seconds(pids) - cpu
    return env_steps / wall, env_steps / cpu.sum(), env_steps / max(cpu.max(), cpu.sum() / 2)


def random_steps(venv, steps: int, rng):
    """``steps`` calls to ``step`` with uniform random actions (drawn beforehand)."""
    low, high = venv.action_space.low, venv.action_space.high
    actions = [rng.uniform(low, high, size=(venv.num_envs, *low.shape)).astype(np.float32) for _ in range(steps)]
    return lambda: [venv.step(action) for action in actions]


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
    measures = ("random", "a2c", "random_cpu", "a2c_cpu", "random_bound", "a2c_bound")
    rates = {config: {measure: [] for measure in measures} for config in args.configs}
    rng = np.random.default_rng(0)
    load = []
    try:
        with torch_threads(1):
            for round_ in range(args.rounds):
                order = args.configs[round_ % len(args.configs):] + args.configs[: round_ % len(args.configs)]
                for config in order:
                    venv, model, pids = venvs[config], models[config], worker_pids(venvs[config])
                    total = args.steps * args.n_envs
                    for measure, work in (("random", random_steps(venv, args.steps, rng)),
                                          ("a2c", lambda: model.learn(total, reset_num_timesteps=False))):
                        for suffix, value in zip(("", "_cpu", "_bound"), timed(work, pids, total)):
                            rates[config][measure + suffix].append(value)
                load.append(os.getloadavg()[0])
                print(f"round {round_ + 1}/{args.rounds} (load {load[-1]:.1f}), random/A2C steps/s: " + " | ".join(
                    f"{c} {rates[c]['random'][-1]:.0f}/{rates[c]['a2c'][-1]:.0f}" for c in args.configs), flush=True)
    finally:
        for venv in venvs.values():
            venv.close()

    rows = []
    for config in args.configs:
        row = {"config": config, "startup_s": startup[config]}
        for measure in measures:
            values = rates[config][measure]
            base = rates["dummy"][measure] if "dummy" in rates else values
            ratios = [v / b for v, b in zip(values, base)]  # per round: the same load on both
            row[measure] = {"median": statistics.median(values), "rounds": values,
                            "vs_dummy_median": statistics.median(ratios)}
        rows.append(row)
    print(f"\n{args.env}, {args.n_envs} copies, {args.rounds} rounds x {args.steps} steps per copy; "
          f"load average {min(load):.1f}-{max(load):.1f} on {mp.cpu_count()} CPUs; medians over rounds, and the "
          "median of each round's ratio to DummyVecEnv")
    titles = ("random /s", "A2C /s", "random /CPU-s", "A2C /CPU-s", "random 2-core", "A2C 2-core")
    print(f"{'config':<20}{'start-up s':>11}" + "".join(f"{t:>14}{'x dummy':>8}" for t in titles))
    for row in rows:
        print(f"{row['config']:<20}{row['startup_s']:>11.1f}" + "".join(
            f"{row[m]['median']:>14.0f}{row[m]['vs_dummy_median']:>8.2f}" for m in measures))
    result = {"env_id": args.env, "n_envs": args.n_envs, "rounds": args.rounds, "steps_per_copy": args.steps,
              "recipe": "COURSE (utils.walkers.recipes)", "machine": f"{platform.machine()}, {mp.cpu_count()} CPUs",
              "load_average": load, "python": platform.python_version(), "rows": rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "vec_envs.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
