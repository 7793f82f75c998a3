"""Command line: ``python -m utils.evaluate DIR --episodes N [--seed S]``.

Loads an agent folder (manifest verified), plays N deterministic episodes with the statistics frozen, prints
the return and what the walker did; the last line is JSON with ``mean_reward``, ``std_reward``,
``mean_distance`` (metres walked forward by the torso), ``std_distance``, ``mean_speed`` and ``falls``.
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
    from utils.train import one_line

    try:
        from utils.walkers.envs import check_env_id
        from utils.walkers.loading import load_agent
        from utils.walkers.scoring import evaluate

        if args.episodes < 1:
            raise ValueError(f"--episodes must be at least 1, got {args.episodes}.")
        if not 0 <= args.seed < 2**32:
            raise ValueError(f"--seed must be 0 or a positive integer below 2**32, got {args.seed}.")
        if args.env is not None:
            check_env_id(args.env)
        model, env = load_agent(args.folder, env_id=args.env, seed=args.seed)
        result = evaluate(model, env, episodes=args.episodes)
    except KeyboardInterrupt:
        print("Interrupted: nothing was evaluated.", file=sys.stderr)
        return 130
    except (ValueError, OSError) as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 2
    lengths, limit = result["episode_lengths"], env.get_attr("spec")[0].max_episode_steps
    falls = result.get("falls", sum(n < limit for n in lengths))
    walked = (f"walked {result['mean_distance']:.2f} ± {result['std_distance']:.2f} m "
              f"({result['mean_speed']:.2f} m/s); " if "mean_distance" in result else "")
    print(f"{args.folder}: {result['mean_reward']:.2f} ± {result['std_reward']:.2f} over {args.episodes} "
          f"deterministic episodes (seed {args.seed}); pass score {result['pass_score']:.2f}; {walked}"
          f"{falls} fell before the {limit}-step limit, shortest {min(lengths)} steps")
    summary = {"mean_reward": result["mean_reward"], "std_reward": result["std_reward"],
               "mean_distance": result.get("mean_distance"), "std_distance": result.get("std_distance"),
               "mean_speed": result.get("mean_speed"), "falls": falls, "mean_length": float(sum(lengths) / len(lengths)),
               "episodes": args.episodes, "seed": args.seed}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
