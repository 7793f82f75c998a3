"""Environment steps per second: the hardware limit, the reference recipe and the course pipeline.

``python benchmarks/throughput.py [--steps 100000]`` measures, for both walkers, in one run:
* raw stepping with random actions, one process (one core) and two processes at once (both cores);
* the reference recipe (``benchmarks/reference_recipe.py``: 4 DummyVecEnv copies) as a whole process;
* the course pipeline, ``python -m utils.train`` (8 copies split over two processes), as a whole process,
  with evaluation, packaging and progress bar off so that both do the same work; start-up included.
It prints a table with the ratios and writes ``benchmarks/results/throughput.json``.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from utils.walkers.envs import WALKERS

HERE = Path(__file__).resolve().parent


def _raw_worker(env_id: str, steps: int, queue) -> None:
    from utils.walkers.envs import make_env

    env = make_env(env_id)
    env.reset(seed=0)
    env.action_space.seed(0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    queue.put(steps / (time.perf_counter() - start))


def raw_rate(env_id: str, steps: int, processes: int) -> float:
    """Summed steps/s of ``processes`` independent random-action loops running at once."""
    ctx = mp.get_context("forkserver")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_raw_worker, args=(env_id, steps, queue)) for _ in range(processes)]
    for w in workers:
        w.start()
    rates = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    return sum(rates)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="training steps per timed run")
    parser.add_argument("--raw-steps", type=int, default=20_000)
    parser.add_argument("--envs", nargs="+", default=list(WALKERS))
    args = parser.parse_args()
    rows = []
    for env_id in args.envs:
        one = raw_rate(env_id, args.raw_steps, 1)
        two = raw_rate(env_id, args.raw_steps, 2)
        reference = args.steps / timed([sys.executable, str(HERE / "reference_recipe.py"), env_id, str(args.steps)])
        with tempfile.TemporaryDirectory() as out:
            course = args.steps / timed([sys.executable, "-m", "utils.train", "--env", env_id, "--timesteps",
                                         str(args.steps), "--out", out, "--overwrite", "--eval-every", "0",
                                         "--checkpoint-every", "0", "--no-package", "--no-progress"])
        rows.append({"env_id": env_id, "raw_1_core": one, "raw_2_cores": two, "reference": reference,
                     "course": course, "speedup": course / reference, "of_limit": course / two})
        r = rows[-1]
        print(f"{env_id:<22} raw 1 core {one:6.0f} | raw 2 cores {two:6.0f} | reference {reference:6.0f} | "
              f"course {course:6.0f} steps/s | course/reference {r['speedup']:.2f}x | course/limit {r['of_limit']:.0%}",
              flush=True)
    result = {"steps": args.steps, "machine": f"{platform.machine()}, {mp.cpu_count()} CPUs",
              "python": platform.python_version(), "rows": rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "throughput.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
