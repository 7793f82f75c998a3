"""What PPO's extra epochs buy on the spider (notebook 06, section 6), as committed logs.

Two arms, trained with ``utils.walkers.ppo_as_a2c.learning_curve`` on the course recipe (8 copies x 4 steps,
alive bonus 1, in one process: ``parallel=False``, one core): SB3's ``PPO`` with 1 epoch and no clip (which makes
exactly A2C's parameters, checked live in the notebook) and ``PPO`` with 4 epochs and clip 0.2. Seed-major order
(both arms of seed 0, then of seed 1), so a cut-short run still leaves paired seeds. Each run's evaluations are
written as they come to ``<arm>/seed<S>/evaluations.partial.jsonl`` and renamed ``evaluations.jsonl`` when the run
ends (``utils.walkers.ablations.runs`` reads only finished runs), with a ``run.json`` (set-up, versions, seconds).

Then (``--speed``) the steps per second of the two batch shapes of notebook 06's ablation, 8 x 4 and 4 x 8 (A2C, one
process, one torch thread), measured back to back, alternating, under the same load: ``speed.jsonl``.

    nohup nice -n 10 .venv/bin/python scripts/ppo_epochs_spider.py --steps 200000 --seeds 0 1 --speed \
        > studies/spider-ppo-epochs/log.txt 2>&1 &
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: torch, numpy and Bullet on one thread

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import utils.course.quiet  # noqa: E402,F401  (PyBullet's banner off)
from utils.course.session import STUDIES  # noqa: E402
from utils.walkers.ppo_as_a2c import NO_CLIP, learning_curve, make_model  # noqa: E402
from utils.walkers.recipes import COURSE  # noqa: E402
from utils.walkers.runs import versions  # noqa: E402

ENV_ID = "AntBulletEnv-v0"
OUT = STUDIES / "spider-ppo-epochs"
ARMS = {"a2c-1-epoch": (1, NO_CLIP), "ppo-4-epochs-clip0.2": (4, 0.2)}
"""Arm name -> (n_epochs, clip_range). The first is A2C itself (PPO with one epoch over one minibatch, no clip)."""


def log(message: str) -> None:
    print(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), message, flush=True)


def train_arm(arm: str, seed: int, steps: int, eval_every: int, eval_episodes: int, command: str) -> None:
    n_epochs, clip = ARMS[arm]
    folder = OUT / arm / f"seed{seed}"
    if (folder / "evaluations.jsonl").is_file():
        log(f"{arm} seed {seed}: already finished, kept")
        return
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "evaluations.partial.jsonl"
    partial.write_text("")
    recipe = replace(COURSE, parallel=False)

    def write(record: dict) -> None:
        with partial.open("a") as f:
            f.write(json.dumps(record) + "\n")
        log(f"{arm} seed {seed}: {record['steps']:,} steps, return {record['mean']:.1f} ± {record['std']:.1f}, "
            f"{record['distance']:.2f} m, {record['wall']:.0f} s ({record['train_wall']:.0f} s training)")

    start = time.time()
    records = learning_curve("ppo", recipe, ENV_ID, steps, seed=seed, n_epochs=n_epochs, clip_range=clip,
                             eval_every=eval_every, eval_episodes=eval_episodes, on_record=write)
    seconds = time.time() - start
    (folder / "run.json").write_text(json.dumps({
        "env_id": ENV_ID, "arm": arm, "algorithm": "SB3 PPO (utils.walkers.ppo_as_a2c.ppo_kwargs)",
        "n_epochs": n_epochs, "clip_range": clip, "seed": seed, "target_timesteps": steps,
        "eval_every": eval_every, "eval_episodes": eval_episodes, "train_seconds": round(seconds, 2),
        "train_seconds_without_evaluations": records[-1]["train_wall"], "recipe": recipe.to_dict(),
        "command": command, "versions": versions(),
        "conditions": "one process, one torch thread, nice 10, on a 2-core machine shared with other work",
    }, indent=1))
    partial.rename(folder / "evaluations.jsonl")
    log(f"{arm} seed {seed}: done in {seconds:.0f} s")


def speed(rounds: int, steps: int) -> None:
    """Steps per second of A2C with 8 x 4 and with 4 x 8 (one process), alternating, ``rounds`` times each."""
    shapes = {"8x4": replace(COURSE, parallel=False), "4x8": replace(COURSE, n_envs=4, n_steps=8, parallel=False)}
    models = {name: make_model("a2c", recipe, ENV_ID, seed=0) for name, recipe in shapes.items()}
    for model in models.values():
        model.learn(320)  # warm-up: the first rollout and update
    with (OUT / "speed.jsonl").open("w") as f:
        for rnd in range(rounds):
            for name, model in models.items():
                begin = time.perf_counter()
                model.learn(steps, reset_num_timesteps=False)
                seconds = time.perf_counter() - begin
                record = {"shape": name, "round": rnd, "steps": steps, "seconds": round(seconds, 2),
                          "steps_per_second": round(steps / seconds, 1)}
                f.write(json.dumps(record) + "\n")
                f.flush()
                log(f"speed {name} round {rnd}: {steps / seconds:.0f} steps/s")
    for model in models.values():
        model.get_env().close()


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--eval-every", type=int, default=25_000)
    parser.add_argument("--eval-episodes", type=int, default=5)
    parser.add_argument("--speed", action="store_true", help="measure the two batch shapes' steps/s first")
    parser.add_argument("--speed-rounds", type=int, default=3)
    parser.add_argument("--speed-steps", type=int, default=8_000)
    parser.add_argument("--out", type=Path, default=STUDIES / "spider-ppo-epochs", help="where the logs go (default: the committed study)")
    args = parser.parse_args()
    OUT = args.out
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    log(f"start: {' '.join(sys.argv)}; {versions()['machine']}")
    if args.speed:
        speed(args.speed_rounds, args.speed_steps)
    command = "python scripts/ppo_epochs_spider.py " + " ".join(sys.argv[1:])
    for seed in args.seeds:
        for arm in ARMS:
            train_arm(arm, seed, args.steps, args.eval_every, args.eval_episodes, command)
    log("all done")


if __name__ == "__main__":
    main()
