"""Notebook 03's fair race: a step-size sweep for every method on the tuning seeds, then the chosen values on seeds 5-9.

    nohup nice -n 10 .venv/bin/python scripts/race_sweep.py > notebooks/data/race_sweep_eval.out 2>&1 &

The committed log (notebooks/data/race_sweep.jsonl) was written on the course's 2-core machine, one core shared with
other jobs (the seconds are those of a busy core), budget 20k, tuning seed 0 (seeds 0-4 did not fit the hour: the
one-step actor-critic's 20k steps took 6-10 min each on that core), race seeds 5-9 as far as they finished.

Every method gets the same budget of environment steps (``--budget``), the same step-size factors of its earlier
default (``utils.theory.learning_curves.LR_FACTORS``) and the same choice rule (``utils.theory.learning_curves.choose``). Each finished run
is appended to the JSONL log (``--log``) at once, and runs already in it are skipped, so the script can resume.
Single-threaded PyTorch: one core.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from utils.theory import learning_curves as race  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=20_000, help="environment steps per run, every method")
    parser.add_argument("--tune-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--eval-seeds", type=int, nargs="+", default=[5, 6, 7, 8, 9])
    parser.add_argument("--log", type=Path, default=race.RACE_LOG)
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    old = race.load(args.log) if args.log.exists() else []
    done = {(r["method"], r["lr"], r["seed"], r["phase"], r["budget"]) for r in old}
    start = time.time()
    print(f"budget {args.budget:,} steps; {platform.processor() or platform.machine()}, torch threads 1", flush=True)
    lrs = {m: race.learning_rates(m) for m in race.METHODS}
    tune = race.run_all(race.METHODS, lrs, args.tune_seeds, args.budget, "tune", args.log, done)
    tune = [r for r in old + tune if r["phase"] == "tune" and r["budget"] == args.budget and r["seed"] in args.tune_seeds]
    chosen = race.choose(tune)
    print("chosen:", json.dumps(chosen), flush=True)
    race.run_all(race.METHODS, {m: [lr] for m, lr in chosen.items()}, args.eval_seeds, args.budget, "eval",
                 args.log, done)
    print(f"done in {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
