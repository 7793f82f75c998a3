"""Command line: ``python -m utils.train --env ENV_ID --timesteps N [--recipe NAME] [--seed S] --out DIR [--resume]``.

Its flags are made from the fields of :class:`utils.walkers.run_config.RunConfig` (in that module), and it runs the
same :func:`utils.walkers.runs.train` as the search; ``--resume`` needs only ``--out`` (the run's configuration is
read from its checkpoint; a flag that would change learning is refused). Every input is checked before anything is
written; errors and interruptions end in one line, not a traceback.
"""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    args = None
    try:
        from utils.walkers.run_config import from_args, parser

        args = parser(description=__doc__.splitlines()[0]).parse_args(argv)
        from utils.walkers import run_folder
        from utils.walkers.runs import stored_config, train

        if args.out is None:
            raise ValueError("--out is required: the run folder.")
        stored = None
        if args.resume:
            if args.overwrite:
                raise ValueError("--resume continues the run in --out and --overwrite replaces it: choose one.")
            latest = run_folder.latest_snapshot(f"{args.out}/{run_folder.CHECKPOINTS}")
            if latest is None:
                raise FileNotFoundError(f"Nothing to resume: {args.out}/{run_folder.CHECKPOINTS} holds no checkpoint. "
                                        "Drop --resume to start a new run.")
            stored = stored_config(latest)  # JSON only; the pickles are verified where they are loaded
        elif args.env_id is None or args.timesteps is None:
            raise ValueError("--env and --timesteps are required for a new run (or --resume an existing one).")
        config = from_args(args, stored)
        mode = "resume" if args.resume else "overwrite" if args.overwrite else "new"
        result = train(config, mode=mode)
    except KeyboardInterrupt:
        print(interrupted(getattr(args, "out", None)), file=sys.stderr)
        return 130
    except (ValueError, OSError) as error:  # FileNotFoundError, FileExistsError, PermissionError are OSErrors
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 2
    if result.interrupted:
        return 130
    if result.results:
        print(summary(config.env_id, result.results, config.out))
    return 0


def summary(env_id: str, results: dict, out: str) -> str:
    """The run's last words: the shipped policy's fresh score, what the robot did, and whether that is a walk."""
    from utils.walkers.scoring import WALKS_MAX_FALLS, WALKS_METRES, walks

    r, n = results, results["n_eval_episodes"]
    text = f"{env_id}: shipped the {r['shipped']} policy: {r['mean_reward']:.2f} ± {r['std_reward']:.2f}"
    if "mean_distance" not in r:  # not a walker: no distance to report
        return text + f" over {n} fresh episodes; package in {out}"
    text += f", walked {r['mean_distance']:.1f} m with {r['falls']} falls in {n} fresh episodes; package in {out}"
    if not walks({**r, "episodes": n}):
        text += (f"\nIt does not walk (a walk: {WALKS_METRES:g} m or more, falls in at most "
                 f"{WALKS_MAX_FALLS * 10:g} episode in 10): the return alone would not say so. What to look at first: "
                 "notebook 05, section 9 (When it does not walk).")
    return text


def interrupted(out: str | None) -> str:
    """What a Ctrl-C outside training kept: a checkpoint to resume from, or nothing."""
    from utils.walkers import run_folder

    try:
        latest = run_folder.latest_snapshot(f"{out}/{run_folder.CHECKPOINTS}") if out else None
    except (OSError, ValueError):
        latest = None
    if latest is not None:
        return (f"Interrupted: the run so far is kept in {out}/{run_folder.CHECKPOINTS}; continue with: "
                f"python -m utils.train --out {out} --resume")
    return f"Interrupted before training started: nothing was written to {out or 'the run folder'}."


def one_line(error: Exception) -> str:
    """The error's message on one line; an OS error names its file."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}."
    return " ".join(str(error).split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
