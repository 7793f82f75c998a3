"""Environment steps per second of what the course runs, beside the hardware limit and the reference recipe.

``python benchmarks/throughput.py [--steps 60000] [--rounds 3]`` measures, for both walkers, interleaved in one run
(round after round, each measurement in turn, the median over rounds reported):
* raw stepping with random actions, one process (one core) and two processes at once (both cores): the limit;
  and the course's environment (``utils.walkers.envs.make_env``: batched PyBullet queries) in one process;
* the Hugging Face / RL Baselines3 Zoo recipe (``benchmarks/reference_recipe.py``: plain SB3, 4 ``DummyVecEnv``
  copies x 8 steps, one process) as a whole process;
* the robot's own recipe as the course trains it, ``python -m utils.train --env ENV`` (the walker's or the spider's
  recipe, its two-core pipeline), as a whole process, with evaluation, checkpoints, packaging and progress bar off
  so that both do the same work; start-up included in both.
It prints a table with the ratios and the load before the run, appends it to ``benchmarks/results/throughput.log``
and writes ``benchmarks/results/throughput.json``. Pause other work first: a timing needs the cores to itself.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from utils.walkers.envs import WALKERS
from utils.walkers.recipes import DEFAULT_RECIPE

HERE = Path(__file__).resolve().parent


def _raw_worker(env_id: str, steps: int, queue, start, batched: bool = False) -> None:
    import gymnasium as gym

    from utils.course.quiet import register_bullet_envs, silence_c_output
    from utils.walkers.envs import make_env

    register_bullet_envs()
    with silence_c_output():
        env = make_env(env_id) if batched else gym.make(env_id)
    env.reset(seed=0)
    env.action_space.seed(0)
    start.wait()  # every process steps at the same time, start-up excluded
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    queue.put(steps / (time.perf_counter() - start))


def raw_rate(env_id: str, steps: int, processes: int, batched: bool = False) -> float:
    """Summed steps/s of ``processes`` independent random-action loops running at once, on the plain environment
    (``gym.make``) or on the course's (``make_env``: :mod:`utils.walkers.batched_queries`)."""
    ctx = mp.get_context("forkserver")
    queue, start = ctx.Queue(), ctx.Barrier(processes)
    workers = [ctx.Process(target=_raw_worker, args=(env_id, steps, queue, start, batched)) for _ in range(processes)]
    for w in workers:
        w.start()
    rates = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    return sum(rates)


def process_rate(command: list[str], steps: int) -> float:
    """Steps per second of a whole training process, start-up included."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return steps / (time.perf_counter() - start)


def measurements(env_id: str, steps: int, raw_steps: int, out: str) -> dict:
    """What one round measures for ``env_id``: name -> function returning steps/s."""
    course = [sys.executable, "-m", "utils.train", "--env", env_id, "--timesteps", str(steps), "--out", out,
              "--overwrite", "--eval-every", "0", "--checkpoint-every", "0", "--no-package", "--no-progress"]
    return {
        "raw_1_core": lambda: raw_rate(env_id, raw_steps, 1),
        "raw_2_cores": lambda: raw_rate(env_id, raw_steps, 2),
        "course_env_1_core": lambda: raw_rate(env_id, raw_steps, 1, batched=True),
        "reference": lambda: process_rate([sys.executable, str(HERE / "reference_recipe.py"), env_id, str(steps)], steps),
        "course": lambda: process_rate(course, steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000, help="training steps per timed process")
    parser.add_argument("--raw-steps", type=int, default=10_000, help="random-action steps per raw measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measurement in turn (median reported)")
    parser.add_argument("--envs", nargs="+", default=list(WALKERS))
    args = parser.parse_args()
    load = os.getloadavg()[0]
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    samples: dict[str, dict[str, list[float]]] = {env_id: {} for env_id in args.envs}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for env_id in args.envs:
                for name, measure in measurements(env_id, args.steps, args.raw_steps, f"{tmp}/run").items():
                    samples[env_id].setdefault(name, []).append(measure())
            print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    lines = [f"{started}, load {load:.2f} at the start, {args.steps:,} training steps per process, median of "
             f"{args.rounds} interleaved rounds"]
    rows = []
    for env_id in args.envs:
        rate = {name: statistics.median(values) for name, values in samples[env_id].items()}
        rows.append({"env_id": env_id, "recipe": DEFAULT_RECIPE[env_id], **rate, "samples": samples[env_id],
                     "course_vs_reference": rate["course"] / rate["reference"],
                     "course_of_raw_2_cores": rate["course"] / rate["raw_2_cores"]})
        r = rows[-1]
        lines.append(f"{env_id:<22} raw 1 core {rate['raw_1_core']:6.0f} | raw 2 cores {rate['raw_2_cores']:6.0f} | "
                     f"course's env 1 core {rate['course_env_1_core']:6.0f} | "
                     f"reference (4 x 8, DummyVecEnv) {rate['reference']:6.0f} | course ({r['recipe']} recipe) "
                     f"{rate['course']:6.0f} steps/s | course/reference {r['course_vs_reference']:.2f}x | "
                     f"course/raw 2 cores {r['course_of_raw_2_cores']:.0%}")
    print("\n".join(lines))
    result = {"date": started, "load": load, "steps": args.steps, "rounds": args.rounds,
              "machine": f"{platform.machine()}, {mp.cpu_count()} CPUs", "python": platform.python_version(),
              "rows": rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "throughput.json").write_text(json.dumps(result, indent=1) + "\n")
    with open(HERE / "results" / "throughput.log", "a") as log:
        log.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
