"""Command line: ``python -m utils.train --env ENV_ID --timesteps N --seed S --out DIR [--resume]``.

The same :func:`utils.walkers.runs.train` the notebooks call; errors are one line, not a traceback.
"""
from __future__ import annotations

import argparse
import sys

from utils.walkers.recipes import RECIPES, with_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.train", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="environment id, e.g. AntBulletEnv-v0")
    parser.add_argument("--timesteps", type=int, required=True, help="total environment steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="run folder (model, statistics, logs, package)")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="course", help="hyperparameters (utils.walkers.recipes)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="change one field of the recipe, e.g. --set use_sde=false (repeatable)")
    parser.add_argument("--eval-every", type=int, default=100_000, help="steps between evaluations (0: none)")
    parser.add_argument("--eval-episodes", type=int, default=5)
    parser.add_argument("--checkpoint-every", type=int, default=100_000, help="steps between checkpoints (0: only at the end)")
    parser.add_argument("--final-episodes", type=int, default=10, help="episodes of the final evaluation")
    parser.add_argument("--video-steps", type=int, default=1000, help="length of replay.mp4")
    parser.add_argument("--stop-at-score", type=float, default=None, help="stop once an evaluation mean reaches it")
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    parser.add_argument("--overwrite", action="store_true", help="delete an existing run in --out first")
    parser.add_argument("--no-package", action="store_true", help="skip the final evaluation and the Hub package")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    from utils.walkers.runs import train

    try:
        recipe = with_settings(RECIPES[args.recipe], args.set)
        result = train(
            args.env, args.timesteps, seed=args.seed, out=args.out, recipe=recipe,
            eval_every=args.eval_every, eval_episodes=args.eval_episodes, checkpoint_every=args.checkpoint_every,
            final_episodes=args.final_episodes, resume=args.resume, overwrite=args.overwrite,
            progress=not args.no_progress, package=not args.no_package, video_steps=args.video_steps,
            stop_at_score=args.stop_at_score,
        )
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if result.interrupted:
        return 130
    if result.results:
        r = result.results
        print(f"{args.env}: shipped the {r['shipped']} policy, {r['mean_reward']:.2f} ± {r['std_reward']:.2f} "
              f"over {r['n_eval_episodes']} episodes; package in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
