"""Command line: ``python -m utils.tune --env ENV_ID --study NAME --trials N --timesteps T [--seeds K] [--space S]``.

Searches A2C hyperparameters with Optuna (:mod:`utils.walkers.search`) until the study holds N finished or pruned
trials, so a restarted worker, or one on another machine pointed at the same ``--storage``, continues the
same study. Each trial trains its recipe on ``--seeds`` seeds side by side (one process, one core, per seed) and
scores the worst seed. ``--workers W`` starts W local workers (default: cores // seeds). ``--report`` prints the
best trials and writes the optimisation history and parameter importances as PNGs into the study folder (``--out``).
A file named ``STOP`` in the study folder makes every worker stop after its running trial; a running trial whose
folder saw no write for ``--stale-after`` minutes (its worker was killed) is marked failed when a worker starts.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import warnings
from pathlib import Path

from utils.walkers.recipes import RECIPES


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m utils.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="environment id, e.g. Walker2DBulletEnv-v0")
    parser.add_argument("--study", required=True, help="study name")
    parser.add_argument("--trials", type=int, default=None, help="run until the study holds this many finished or pruned trials")
    parser.add_argument("--timesteps", type=int, required=True, help="training steps per trial")
    parser.add_argument("--out", default=None, help="folder of the study's trial logs (default: the course's studies/NAME)")
    parser.add_argument("--storage", default=None, help="journal file or database URL (default: OUT/journal.log)")
    parser.add_argument("--seeds", type=int, default=2, help="training seeds per trial, run side by side; the trial scores the worst (default: 2)")
    parser.add_argument("--space", choices=("zoo", "focused"), default="zoo",
                        help="zoo: RL Baselines3 Zoo's whole A2C space; focused: around the walker's recipe")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores // seeds, at least 1)")
    parser.add_argument("--pruner", choices=("median", "median+floor", "median+floor+early", "halving"), default="median",
                        help="how hopeless trials are stopped (utils.walkers.search.make_pruner)")
    parser.add_argument("--base", choices=sorted(RECIPES), default=None,
                        help="recipe whose values the space does not draw are kept (default: walker for --space "
                             "focused, course for zoo); recorded with the study")
    parser.add_argument("--enqueue", choices=sorted(RECIPES), action="append", default=[],
                        help="when the study is new, run this known recipe first (repeatable)")
    parser.add_argument("--stale-after", type=float, default=60.0,
                        help="minutes without a log line after which a running trial counts as abandoned by a killed "
                             "worker and is marked failed (default: 60)")
    parser.add_argument("--report", action="store_true", help="print the best trials and write plots; train nothing")
    args = parser.parse_args(argv)
    if args.trials is None and not args.report:
        parser.error("--trials is required (or --report)")
    if args.base is None:
        args.base = "walker" if args.space == "focused" else "course"
    if args.workers is None:
        args.workers = max(1, (os.cpu_count() or 1) // max(args.seeds, 1))
    return args


def report(study, folder: Path) -> None:
    """Best trials as a table, and Optuna's own plots: the objective over trials, every trial's reports (pruned ones
    included) and the importances; then every seed's distance against each parameter the study varied."""
    import matplotlib

    matplotlib.use("Agg")
    import optuna
    from optuna.visualization.matplotlib import (plot_intermediate_values, plot_optimization_history,
                                                  plot_param_importances)

    from utils.walkers.figures import plot_seeds
    from utils.walkers.search import DONE, best_table, seed_table

    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # Optuna marks its matplotlib plots experimental
    print(f"study {study.study_name}: {len(study.get_trials(states=DONE))} finished or pruned trials, "
          f"{len(study.get_trials(states=(optuna.trial.TrialState.PRUNED,)))} pruned")
    print(best_table(study).to_string(index=False))
    plot_optimization_history(study).figure.savefig(folder / "history.png", dpi=100, bbox_inches="tight")
    plot_intermediate_values(study).figure.savefig(folder / "reports.png", dpi=100, bbox_inches="tight")
    if len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) >= 2:
        plot_param_importances(study).figure.savefig(folder / "importances.png", dpi=100, bbox_inches="tight")
    seeds = seed_table(study, folder)
    if len(seeds):
        varied = [name for name in sorted({p for t in study.get_trials(states=DONE) for p in t.params})
                  if seeds[name].nunique() > 1]
        plot_seeds(seeds, varied).savefig(folder / "seeds.png", dpi=100, bbox_inches="tight")
    print(f"plots in {folder}")


def main(argv=None) -> int:
    from utils.walkers.search import SearchError

    try:
        return _main(argv)
    except SearchError as error:  # raised while searching, e.g. a fault that fails every trial
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted: the study's storage keeps every finished trial (the interrupted one counts as failed); "
              "run the same command to continue.", file=sys.stderr)
        return 130


def _main(argv) -> int:
    args = parse(argv)
    from utils.course.session import STUDIES
    from utils.train import one_line
    from utils.walkers.envs import check_env_id
    from utils.walkers.search import (STOP_FILE, SearchError, fail_stale, finished, make_objective, make_pruner,
                                      open_storage, open_study, recipe_params, run_worker)

    folder = Path(args.out) if args.out else STUDIES / args.study
    storage_arg = args.storage or folder / "journal.log"
    try:
        check_env_id(args.env)
        if args.trials is not None and args.trials < 1:
            raise SearchError(f"--trials must be a positive number of trials, got {args.trials}.")
        if args.timesteps < 1000:
            raise SearchError(f"--timesteps must be at least 1000 steps per trial, got {args.timesteps}.")
        if args.workers < 1:
            raise SearchError(f"--workers must be at least 1, got {args.workers}.")
        if not args.stale_after > 0:
            raise SearchError(f"--stale-after must be a positive number of minutes, got {args.stale_after}.")
        if args.seeds < 1:
            raise SearchError(f"--seeds must be at least 1, got {args.seeds}.")
        for needed in (folder, folder / "trials"):
            if needed.exists() and not needed.is_dir():
                raise SearchError(f"{needed} is a file: the study's trial logs need a folder there.")
        if args.report and "://" not in str(storage_arg) and not Path(storage_arg).is_file():
            raise SearchError(f"No study journal at {storage_arg}.")
        storage = open_storage(storage_arg)
        study = open_study(args.study, storage, args.env, args.timesteps, create=not args.report,
                           pruner=make_pruner(args.pruner), seeds=args.seeds, space=args.space, base=args.base)
    except (SearchError, ValueError, OSError) as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    if args.report:
        report(study, folder)
        return 0
    if not study.trials:
        for name in args.enqueue:
            study.enqueue_trial(recipe_params(RECIPES[name], args.space), user_attrs={"enqueued": name})
    for number in fail_stale(study, folder, args.stale_after * 60):
        print(f"trial {number}: nothing written for over {args.stale_after:g} min, its worker is gone: marked failed")
    if args.workers > 1:
        command = [sys.executable, "-m", "utils.tune", "--env", args.env, "--study", args.study, "--trials",
                   str(args.trials), "--timesteps", str(args.timesteps), "--out", str(folder), "--storage",
                   str(storage_arg), "--base", args.base, "--pruner", args.pruner, "--seeds", str(args.seeds),
                   "--space", args.space, "--workers", "1", "--stale-after", str(args.stale_after)]
        workers = [subprocess.Popen(command) for _ in range(args.workers)]
        codes = [w.wait() for w in workers]
        print(f"study {args.study}: {finished(study)} finished or pruned trials")
        return max(codes)
    objective = make_objective(args.env, args.timesteps, folder, RECIPES[args.base], args.seeds, args.space)
    ran = run_worker(study, args.trials, objective, stop_file=folder / STOP_FILE)
    print(f"worker {os.getpid()}: ran {ran} trial(s); study {args.study} holds {finished(study)} finished or pruned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
