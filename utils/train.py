"""Command line: ``python -m utils.train --env ENV_ID --timesteps N [--recipe NAME] [--seed S] --out DIR [--resume]``.

Its flags are made from the fields of :class:`utils.walkers.runs.RunConfig`, and it runs the same
:func:`utils.walkers.runs.train` as the search; ``--resume`` needs only ``--out`` (the run's configuration is read
from its checkpoint; a flag that contradicts it is refused). Errors are one line, not a traceback.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace

from utils.walkers.recipes import RECIPES, with_settings


def parser() -> argparse.ArgumentParser:
    from utils.walkers.runs import RunConfig

    p = argparse.ArgumentParser(prog="python -m utils.train", description=__doc__.splitlines()[0])
    for f in fields(RunConfig):
        required = f.name in ("env_id", "timesteps", "out")  # for a new run; --resume reads them from the folder
        help_ = f.metadata["help"] + ("" if required else f" (default: {f.default})")
        if f.name == "recipe":
            p.add_argument("--recipe", choices=sorted(RECIPES), help="hyperparameters (utils.walkers.recipes; default: course)")
            p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                           help="change one field of the recipe, e.g. --set use_sde=false (repeatable)")
        elif f.type in (bool, "bool"):
            p.add_argument(f"--no-{f.name.replace('_', '-')}", dest=f.name, action="store_const", const=False,
                           help=f"no {f.metadata['help']}")
        else:
            kind = {"int": int, "float | None": float, "str": str}.get(str(f.type), str)
            p.add_argument(f.metadata.get("flag", "--" + f.name.replace("_", "-")), dest=f.name, type=kind, help=help_)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    p.add_argument("--overwrite", action="store_true", help="delete an existing run in --out first")
    return p


def config_from(args, stored=None):
    """The run's configuration: the stored one (on resume) or the defaults, with the flags given on top."""
    from utils.walkers.runs import RunConfig

    base = stored or RunConfig()
    given = {f.name: getattr(args, f.name) for f in fields(RunConfig)
             if f.name != "recipe" and getattr(args, f.name) is not None}
    recipe = base.recipe if args.recipe is None and stored else RECIPES[args.recipe or "course"]
    return replace(base, **given, recipe=with_settings(recipe, args.set))


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from utils.walkers import snapshots
    from utils.walkers.runs import stored_config, train

    try:
        if args.out is None:
            raise ValueError("--out is required: the run folder.")
        stored = None
        if args.resume:
            latest = snapshots.latest_snapshot(f"{args.out}/checkpoints")
            if latest is None:
                raise FileNotFoundError(f"Nothing to resume: {args.out}/checkpoints holds no checkpoint. "
                                        "Drop --resume to start a new run.")
            stored = stored_config(latest)
        elif args.env_id is None or args.timesteps is None:
            raise ValueError("--env and --timesteps are required for a new run (or --resume an existing one).")
        config = config_from(args, stored)
        mode = "resume" if args.resume else "overwrite" if args.overwrite else "new"
        result = train(config, mode=mode)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if result.interrupted:
        return 130
    if result.results:
        r = result.results
        print(f"{config.env_id}: shipped the {r['shipped']} policy, {r['mean_reward']:.2f} ± {r['std_reward']:.2f} "
              f"over {r['n_eval_episodes']} episodes; package in {config.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
