"""Time-to-score: wall-clock until the periodic evaluation mean first reaches a target.

``python benchmarks/time_to_score.py`` trains the reference recipe and the course pipeline with the same
``utils.walkers.runs.train`` machinery (evaluation every 25k steps, 5 deterministic episodes, statistics frozen;
evaluation time excluded from the clock), stopping at the target or at ``--max-steps``. Seeds are printed
and stored in ``benchmarks/results/time_to_score.json``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from utils.course.threads import torch_threads
from utils.walkers.recipes import RECIPES
from utils.walkers.runs import RunConfig, train

HERE = Path(__file__).resolve().parent
TARGETS = {"AntBulletEnv-v0": 1000.0, "Walker2DBulletEnv-v0": 800.0}


def time_to_score(env_id: str, recipe: str, target: float, seed: int, max_steps: int, eval_every: int) -> dict:
    with tempfile.TemporaryDirectory() as out, torch_threads(1):  # each run sets, and gives back, its own threads
        result = train(RunConfig(env_id=env_id, timesteps=max_steps, seed=seed, out=out, recipe=RECIPES[recipe],
                                 eval_every=eval_every, eval_episodes=5, checkpoint_every=0, package=False,
                                 progress=False, stop_at_score=target))
    hit = next((r for r in result.evaluations if r["mean"] >= target), None)
    return {"env_id": env_id, "recipe": recipe, "seed": seed, "target": target, "reached": hit is not None,
            "steps": hit["steps"] if hit else None, "seconds": hit["wall"] if hit else None,
            "evaluations": result.evaluations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="+", default=list(TARGETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--max-steps", type=int, default=600_000)
    parser.add_argument("--eval-every", type=int, default=25_000)
    args = parser.parse_args()
    rows = []
    for env_id in args.envs:
        for seed in args.seeds:
            pair = {}
            for recipe in ("reference", "course"):
                row = time_to_score(env_id, recipe, TARGETS[env_id], seed, args.max_steps, args.eval_every)
                rows.append(row)
                pair[recipe] = row
                where = f"{row['seconds']:.0f} s ({row['steps']:,} steps)" if row["reached"] else f"not within {args.max_steps:,} steps"
                print(f"{env_id:<22} seed {seed} {recipe:<9} reaches {TARGETS[env_id]:.0f}: {where}", flush=True)
            if pair["reference"]["reached"] and pair["course"]["reached"]:
                print(f"{'':<22} course/reference wall-clock: {pair['course']['seconds'] / pair['reference']['seconds']:.2f}")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "time_to_score.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
