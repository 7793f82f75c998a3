"""Command line: ``python -m utils.evaluate DIR --episodes N [--seed S]``.

Loads an agent folder (manifest verified), plays N deterministic episodes with the statistics frozen, prints
mean and std; the last line is JSON with ``mean_reward`` and ``std_reward``.
"""
from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="agent folder (e.g. agents/a2c-AntBulletEnv-v0)")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--env", default=None, help="environment id (default: read from the folder)")
    args = parser.parse_args(argv)

    from utils.evaluation import evaluate
    from utils.loading import load_agent

    try:
        model, env = load_agent(args.folder, env_id=args.env, seed=args.seed)
        result = evaluate(model, env, episodes=args.episodes)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    lengths, limit = result["episode_lengths"], env.get_attr("spec")[0].max_episode_steps
    print(f"{args.folder}: {result['mean_reward']:.2f} ± {result['std_reward']:.2f} over {args.episodes} "
          f"deterministic episodes (seed {args.seed}); pass score {result['pass_score']:.2f}; "
          f"{sum(n < limit for n in lengths)} ended before the {limit}-step limit (a fall), shortest {min(lengths)} steps")
    print(json.dumps({"mean_reward": result["mean_reward"], "std_reward": result["std_reward"],
                      "episodes": args.episodes, "seed": args.seed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
