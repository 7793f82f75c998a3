"""What each ingredient of the recipe is worth: the spider's ablation runs, read, aggregated over seeds, plotted (06).

``scripts/ablate_spider.sh`` trains the course recipe and variants that change one thing each, with
``python -m utils.train``, and copies each run's ``logs/`` to ``studies/spider-ablations/<variant>/seed<S>/``:
``evaluations.jsonl`` (periodic deterministic evaluations, statistics frozen), ``episodes.csv``,
``diagnostics.csv`` (SB3's logger) and ``run.json`` (recipe and command). Everything here reads whatever runs
are there, so a half-finished study plots too. Also the diagnostics figure and the checkers of notebook 06's exercises.
"""
from __future__ import annotations

import json
import math
import shlex
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from utils.course.session import STUDIES
from utils.walkers import diagnostics
from utils.walkers.run_folder import EVALUATIONS, LOGS, read_jsonl

STUDY = STUDIES / "spider-ablations"
BASELINE = "recipe"
METRICS = {"mean": "evaluation return", "distance": "distance walked per episode (m)"}


def runs(study: Path = STUDY) -> dict[str, dict[int, Path]]:
    """The study's runs: ``{variant: {seed: folder}}`` for every folder with evaluations; the baseline first."""
    found = {}
    for folder in sorted(Path(study).glob("*/seed*")):
        if (folder / "evaluations.jsonl").is_file() and folder.name[4:].isdigit():
            found.setdefault(folder.parent.name, {})[int(folder.name[4:])] = folder
    return dict(sorted(found.items(), key=lambda item: (item[0] != BASELINE, item[0])))


def setup(folder: Path) -> dict:
    """A run's ``run.json``: its recipe, command, versions and training time."""
    return json.loads((Path(folder) / "run.json").read_text())


def change(study: Path, variant: str) -> str:
    """What the variant changes in the baseline's recipe, read from the runs' ``run.json``: ``"use_sde: True -> False"``."""
    found = runs(study)
    if variant == BASELINE or BASELINE not in found:
        return "(the course recipe)" if variant == BASELINE else "(no baseline run to compare with)"
    mine = setup(next(iter(found[variant].values())))["recipe"]
    base = setup(next(iter(found[BASELINE].values())))["recipe"]
    return ", ".join(f"{k}: {base[k]} -> {v}" for k, v in mine.items() if base.get(k) != v) or "nothing"


def evaluations(study: Path = STUDY) -> pd.DataFrame:
    """Every periodic evaluation of every run, one row each: variant, seed, steps, mean, std, distance, falls, and
    ``wall``: the run's seconds of training when it was made, evaluations excluded (``utils.train``'s clock; the
    ``train_wall`` of ``scripts/ppo_epochs_spider.py``'s logs), NaN where a log has none."""
    rows = []
    for variant, seeds in runs(study).items():
        for seed, folder in seeds.items():
            for record in read_jsonl(folder / EVALUATIONS):
                record = dict(record)
                if "train_wall" in record:
                    record["wall"] = record["train_wall"]
                rows.append({"variant": variant, "seed": seed, **record})
    return pd.DataFrame(rows, columns=["variant", "seed", "steps", "mean", "std", "distance", "falls", "wall"])


def describe(recipe: dict) -> dict:
    """The values that name an A2C recipe in notebook 06's tables (from a ``run.json``'s ``recipe``): the batch shape
    (copies × steps per copy), the training reward's alive bonus (1: the environment's own reward; recipes saved
    before the field existed trained with 1), the learning-rate schedule, the exploration noise, VecNormalize."""
    normalised = [name for name in ("obs", "reward") if recipe.get(f"norm_{name}", True)]
    return {"shape": f"{recipe['n_envs']} × {recipe['n_steps']}", "alive_bonus": recipe.get("alive_bonus", 1.0),
            "lr": f"{recipe['lr_schedule']} {recipe['learning_rate']:g}",
            "noise": "gSDE" if recipe.get("use_sde", True) else "Gaussian",
            "vecnormalize": " + ".join(normalised) if normalised else "off"}


def within(table: pd.DataFrame, seconds: float) -> pd.DataFrame:
    """The evaluations each run had made within ``seconds`` of training (the ``wall`` column): what
    :func:`per_seed` and :func:`verdict` then read as each run's state at that wall-clock time."""
    return table[table["wall"] <= seconds]


def plot_against_wall(table: pd.DataFrame, variants: list[str], metric: str = "mean", ax=None):
    """Each run of ``variants`` (one line per seed) against its minutes of training, evaluations excluded."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    for variant, color in zip(variants, ("0.4", "tab:red", "tab:blue", "tab:green")):
        for i, (seed, run) in enumerate(table[table["variant"] == variant].groupby("seed")):
            run = run.sort_values("wall")
            ax.plot(run["wall"] / 60, run[metric], color=color, marker="o", ms=2.5,
                    label=f"{variant}" if i == 0 else None, ls="-" if i == 0 else "--")
    ax.set_xlabel("minutes of training (evaluations excluded), one process on one core")
    ax.set_ylabel(METRICS.get(metric, metric))
    ax.legend(fontsize=8, title="seed 0 solid, seed 1 dashed", title_fontsize=7)
    return ax


def over_seeds(table: pd.DataFrame, metric: str = "mean") -> pd.DataFrame:
    """Per variant and step: the mean over seeds of ``metric``, its minimum and maximum, and the number of seeds."""
    grouped = table.groupby(["variant", "steps"], sort=False)[metric]
    return grouped.agg(["mean", "min", "max", "count"]).reset_index()


def per_seed(table: pd.DataFrame) -> pd.DataFrame:
    """Per run (variant, seed): the final evaluation's return, distance and falls, the best evaluation's return, and
    the mean return of the last three evaluations ("late": less noisy than one evaluation of 5 episodes)."""
    rows = []
    for (variant, seed), run in table.groupby(["variant", "seed"], sort=False):
        run = run.sort_values("steps")
        final = run.iloc[-1]
        rows.append({"variant": variant, "seed": seed, "steps": int(final["steps"]), "final": final["mean"],
                     "best": run["mean"].max(), "late": run["mean"].tail(3).mean(), "distance": final["distance"],
                     "falls": int(final["falls"])})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant, over seeds (mean and sample std, n-1) of :func:`per_seed`'s measures; falls summed."""
    rows = []
    for variant, seeds in per_seed(table).groupby("variant", sort=False):
        row = {"variant": variant, "seeds": len(seeds), "steps": int(seeds["steps"].min()),
               "falls": int(seeds["falls"].sum())}
        for key in ("final", "best", "late", "distance"):
            row[key] = seeds[key].mean()
            row[key + "_std"] = seeds[key].std(ddof=1) if len(seeds) > 1 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(table: pd.DataFrame, variant: str, baseline: str = BASELINE, key: str = "late") -> str:
    """One line on ``variant`` against ``baseline``, for the return (``key`` of :func:`per_seed`) and the final
    distance: the means over seeds, and whether every seed of one lies above every seed of the other (with the chance
    of that if the two were equally good)."""
    seeds = per_seed(table)
    mine, base = seeds[seeds["variant"] == variant], seeds[seeds["variant"] == baseline]
    if mine.empty or base.empty:
        return f"{variant}: no runs to compare with {baseline} yet."
    n = min(len(mine), len(base))
    parts = []
    for name, column, fmt in ((f"{key} return", key, "{:.0f}"), ("final distance (m)", "distance", "{:.1f}")):
        ours, theirs = mine[column], base[column]
        part = f"{name} {fmt.format(ours.mean())} vs {fmt.format(theirs.mean())}"
        if n >= 2 and (ours.max() < theirs.min() or ours.min() > theirs.max()):
            part += f", every seed {'below' if ours.max() < theirs.min() else 'above'} every {baseline} seed"
        elif n >= 2:
            part += ", seeds overlap"
        parts.append(part)
    line = f"{variant}: " + "; ".join(parts) + ". "
    if n < 2:
        return line + "One seed on a side: nothing shows how much the runs of one setting differ among themselves."
    if "every seed" in line:
        return line + (f"A hint, not a result: with {n} seeds each, a separation happens {separation_chance(n):.0%} "
                       "of the time by chance alone.")
    return line + "No difference these runs can show."


def plot_against_baseline(table: pd.DataFrame, metric: str = "mean", ncols: int = 3, baseline: str = BASELINE):
    """One panel per variant: its mean over seeds (line) and range (band: lowest to highest seed), over the
    baseline's, against environment steps."""
    curves = over_seeds(table, metric)
    variants = [v for v in curves["variant"].unique() if v != baseline] or [baseline]
    ncols = min(ncols, len(variants))
    nrows = math.ceil(len(variants) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), sharex=True, sharey=True,
                             squeeze=False)
    for ax, variant in zip(axes.flat, variants):
        for name, color in [(baseline, "0.4")] + ([(variant, "tab:red")] if variant != baseline else []):
            curve = curves[curves["variant"] == name]
            if curve.empty:
                continue
            seeds = int(curve["count"].max())
            ax.plot(curve["steps"], curve["mean"], color=color, marker="o", ms=2.5, label=f"{name} ({seeds} seeds)")
            ax.fill_between(curve["steps"], curve["min"], curve["max"], color=color, alpha=0.2)
        ax.set_title(variant, fontsize=10)
        ax.legend(fontsize=7, loc="best")  # never over a point
    shown = curves[curves["variant"].isin(variants + [baseline])]
    low, high = shown["min"].min(), shown["max"].max()
    pad = 0.08 * (high - low) or max(1.0, 0.05 * abs(high))  # every point inside, a flat curve too
    axes.flat[0].set_ylim(low - pad, high + pad)  # shared by every panel
    for ax in axes.flat[len(variants):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("environment steps")
        thousands(ax)
    for ax in axes[:, 0]:
        ax.set_ylabel(METRICS.get(metric, metric))
    fig.tight_layout()
    return fig


def separation_chance(n: int) -> float:
    """If two settings were equally good, the chance that their ``n`` runs each come out fully separated (every run
    of one above every run of the other), either way round: 2 of the C(2n, n) equally likely orderings."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    return 2 / math.comb(2 * n, n)


def _called(fn, *args):
    """``(result, None)``, or ``(None, the one line to print)`` when the learner's function raised."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a 0/0 of the learner's is judged by its result
            return fn(*args), None
    except NotImplementedError as error:
        return None, f"✗ not written yet: {error}"
    except Exception as error:  # noqa: BLE001 - the learner's error, named in one line
        return None, f"✗ your function raised {type(error).__name__}: {error}"


def check_separation_chance(fn) -> bool:
    """Compare a learner's ``separation_chance(n)`` with the reference for 1 to 6 seeds per setting. The course's
    checker convention: ``fn`` called positionally; one line printed, "✓ ..." or "✗ " and the named mistake; returns
    True/False, never raises for a wrong answer; a stub is "✗ not written yet: <hint>"."""
    seeds = range(1, 7)
    got = {}
    for n in seeds:
        value, error = _called(fn, n)
        if error:
            print(error)
            return False
        try:
            got[n] = float(value)
        except (TypeError, ValueError):
            print(f"✗ separation_chance({n}) returned {value!r}, not a number: return the probability.")
            return False
    want = {n: separation_chance(n) for n in seeds}
    if all(np.isclose(got[n], want[n]) for n in seeds):
        print("✓ 2 / C(2n, n): with 2 seeds each, a clean separation happens 1 time in 3 by chance; with 5 seeds, "
              "1 in 126.")
        return True
    mistakes = [
        ("one direction only: you counted the orderings where the first setting's runs are all on top; the other "
         "setting's runs can be all on top too, so double it", lambda n: 1 / math.comb(2 * n, n)),
        ("you counted one exact order of the 2n runs (n! / (2n)! per direction); a setting's runs may take its n "
         "places in any order, and so may the other's: n! · n! / (2n)! = 1 / C(2n, n) per direction",
         lambda n: 2 * math.factorial(n) / math.factorial(2 * n)),
        ("(1/2)^(2n-1) treats each run as a fair coin above or below a fixed line; the runs are ranked against each "
         "other, so count orderings", lambda n: 0.5 ** (2 * n - 1)),
    ]
    for explanation, mistake in mistakes:
        if all(np.isclose(got[n], mistake(n)) for n in seeds):
            print(f"✗ {explanation}.")
            return False
    n = next(n for n in seeds if not np.isclose(got[n], want[n]))
    print(f"✗ separation_chance({n}) = {got[n]:.4f}, expected {want[n]:.4f} (2 of the C({2 * n}, {n}) equally likely "
          "ways to choose which runs take the top places); not one of the usual mistakes.")
    return False


def _explained_variance_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, values, returns): a perfect critic, a close one, a constant, the right mean, an anti-correlated one,
    one off by a factor 2, and two off by a constant (where 1 - MSE/Var and SB3's formula part)."""
    rng = np.random.default_rng(0)
    returns = 3.0 + rng.normal(size=64)
    close = returns + 0.1 * rng.normal(size=64)
    return [("a perfect critic", returns, returns), ("a close critic", close, returns),
            ("a critic that predicts 0", np.zeros(64), returns),
            ("a critic that predicts the returns' mean", returns.mean() + np.zeros(64), returns),
            ("a reversed critic", returns[::-1].copy(), returns), ("a critic off by a factor 2", 2 * returns, returns),
            ("a critic off by +0.5 everywhere", returns + 0.5, returns),
            ("a close critic off by -1", close - 1.0, returns)]


def check_explained_variance(fn) -> bool:
    """Compare a learner's ``explained_variance(values, returns)`` with SB3's (the number in ``diagnostics.csv``),
    on the cases of :func:`_explained_variance_cases`; name the usual mistakes. The course's checker convention:
    ``fn`` called positionally; one line, "✓ ..." or "✗ " and the named mistake; True/False, never raises for a
    wrong answer; a stub is "✗ not written yet: <hint>"."""
    from stable_baselines3.common.utils import explained_variance

    cases = _explained_variance_cases()
    got = []
    for name, values, returns in cases:
        value, error = _called(fn, values.copy(), returns.copy())
        if error:
            print(error + f" (case: {name})")
            return False
        try:
            got.append(float(np.asarray(value).squeeze()))
        except (TypeError, ValueError):
            print(f"✗ for {name} your function returned {value!r}: return one number.")
            return False
    want = [float(explained_variance(values, returns)) for _, values, returns in cases]
    if np.allclose(got, want, rtol=1e-6, atol=1e-9):
        print("✓ 1 - Var[returns - values] / Var[returns]: 1 is a perfect critic, 0 no better than a constant, and a "
              "critic off by a constant still scores 1: it measures how well V follows the returns' variations, not "
              "their level.")
        return True

    def mse_form(v, r):
        return 1 - np.mean((r - v) ** 2) / np.var(r)

    mistakes = [
        ("you computed 1 - MSE / Var[returns]. The mean squared error is Var[returns - values] + (mean of the "
         "residual)²: it also counts a constant offset of the critic, which SB3's 1 - Var[returns - values] / "
         "Var[returns] ignores. The two agree only when the residual has zero mean; they part on the critics off by "
         "a constant. That is the coefficient of determination R² (sklearn's r2_score), not SB3's explained variance",
         mse_form),
        ("you divided by the variance of the predictions (values), or swapped the arguments (the order is values, "
         "returns); explained variance divides by the variance of the returns, the targets",
         lambda v, r: 1 - np.var(r - v) / np.var(v)),
        ("you returned Var[values] / Var[returns]: compare the residual's variance, Var[returns - values], with "
         "the returns'", lambda v, r: np.var(v) / np.var(r)),
        ("you returned the unexplained fraction Var[returns - values] / Var[returns]: explained variance is 1 minus "
         "it", lambda v, r: np.var(r - v) / np.var(r)),
        ("you returned the squared correlation of values and returns: it ignores the critic's scale (a critic off by "
         "a factor 2 scores 1); compare the residual's variance with the returns'",
         lambda v, r: np.corrcoef(v, r)[0, 1] ** 2),
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        for explanation, mistake in mistakes:
            expected = [float(mistake(values, returns)) for _, values, returns in cases]
            if np.allclose(got, expected, rtol=1e-6, atol=1e-9, equal_nan=True):
                print(f"✗ {explanation}.")
                return False
    i = next(i for i in range(len(cases)) if not np.isclose(got[i], want[i], rtol=1e-6, atol=1e-9))
    print(f"✗ for {cases[i][0]} your function gives {got[i]:.6g} where SB3 gives {want[i]:.6g}; not one of the usual "
          "mistakes: it is 1 - Var[returns - values] / Var[returns].")
    return False


DIAGNOSTICS = (
    ("train/explained_variance", "explained variance", "does the critic predict its targets? (1: fully)"),
    ("train/value_loss", "value loss (log scale)", "the critic's squared error, in the rewards' units"),
    ("train/entropy_loss", "entropy loss (= -entropy)", "how random the policy is in the batch's states"),
    ("train/std", "std parameter: mean of exp(log_std)", "under gSDE, not the action noise itself"),
    ("time/fps", "steps per second", "since learn() began, evaluations included"),
)
"""SB3's logger keys plotted by :func:`plot_diagnostics`, with a name and how to read each."""


def thousands(ax) -> None:
    """Steps on the x-axis as 100k, 200k, ... from 10k up, and as plain numbers below (a smoke run's 320)."""
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x / 1e3:g}k" if abs(x) >= 10_000 else f"{x:g}"))


def plot_diagnostics(frames: dict[str, pd.DataFrame], title: str, smooth: int = 10):
    """SB3's diagnostics of runs (``{label: utils.walkers.diagnostics.read(...)}``) against steps, one panel each:
    every record (thin) and its running mean over ``smooth`` records (thick)."""
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.4))
    for ax, (column, name, meaning) in zip(axes.flat, DIAGNOSTICS):
        for (label, frame), color in zip(frames.items(), ("tab:blue", "tab:red", "tab:green", "tab:purple")):
            ax.plot(frame["steps"], frame[column], lw=0.5, alpha=0.4, color=color)
            ax.plot(frame["steps"], frame[column].rolling(smooth, min_periods=1).mean(), lw=1.6, color=color,
                    label=label)
        ax.set_title(f"{name}\n{meaning}", fontsize=9)
        ax.set_xlabel("environment steps")
        thousands(ax)
    axes.flat[1].set_yscale("log")
    axes.flat[0].legend(fontsize=8)
    axes.flat[-1].set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def read_diagnostics(folder: Path) -> pd.DataFrame:
    """A run's ``diagnostics.csv`` (copied flat into the study's seed folder, or under a run's ``logs/``)."""
    folder = Path(folder)
    return diagnostics.read(folder if (folder / diagnostics.DIAGNOSTICS).is_file() else folder / LOGS)


def rerun_command(folder: Path, out: Path, **flags) -> list[str]:
    """The command that trained the run in ``folder`` (its ``run.json``), for this Python, writing to ``out``, with
    flags changed or added: ``rerun_command(f, out, timesteps=640, no_package=True)``; ``True`` for a bare flag."""
    words = shlex.split(setup(folder)["command"])
    if words[:3] != ["python", "-m", "utils.train"]:
        raise ValueError(f"{folder}/run.json's command is not a `python -m utils.train` command: {words[:3]}")
    args = words[3:]
    for name, value in {"out": str(out), **flags}.items():
        flag = "--" + name.replace("_", "-")
        if flag in args:
            i = args.index(flag)
            if value is True:
                continue
            args[i + 1] = str(value)
        else:
            args += [flag] if value is True else [flag, str(value)]
    return [sys.executable, "-m", "utils.train", *args]
