"""Learning curves from training-episode logs, the course's "solved" rule, and the training race's figure.

Introduced in notebook 01 (REINFORCE learns CartPole); notebook 02 plots the one-step actor-critic, notebook 03
A2C against SB3's and the race of all four methods (the second half of this file: a fair race, run by
``scripts/race_sweep.py``). A *run* is anything with ``episode_end_steps`` and
``episode_returns`` lists.
"""
from __future__ import annotations

import json
import time
import warnings
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

SOLVED_AT = 475.0
"""CartPole-v1's reward threshold."""
WINDOW = 20
"""Solved: the mean return of ``WINDOW`` consecutive training episodes reaches ``SOLVED_AT``."""


def first_crossing(returns, threshold: float = SOLVED_AT, window: int = WINDOW) -> int | None:
    """Index of the first training episode that completes ``window`` consecutive episodes averaging at least
    ``threshold`` (None if none does yet)."""
    returns = np.asarray(returns, dtype=float)
    if len(returns) < window:
        return None
    means = np.convolve(returns, np.ones(window), "valid") / window  # means[i]: episodes i .. i + window - 1
    crossed = np.flatnonzero(means >= threshold - 1e-9)
    return int(crossed[0]) + window - 1 if len(crossed) else None


def solved(returns, threshold: float = SOLVED_AT, window: int = WINDOW) -> bool:
    """The course's stop rule: some ``window`` consecutive training episodes have averaged at least ``threshold``."""
    return first_crossing(returns, threshold, window) is not None


def steps_to_solve(run, threshold: float = SOLVED_AT, window: int = WINDOW) -> int | None:
    """Environment steps spent when the rule of :func:`solved` was first met (None if never): where the smoothed
    learning curve first crosses the line."""
    index = first_crossing(run.episode_returns, threshold, window)
    return None if index is None else int(run.episode_end_steps[index])


def smoothed(run, grid: np.ndarray, window: int = 20) -> np.ndarray:
    """At each grid step: the mean return of the last ``window`` episodes finished by then (NaN before the first)."""
    ends, returns = np.asarray(run.episode_end_steps), np.asarray(run.episode_returns, dtype=float)
    out = np.full(len(grid), np.nan)
    finished = np.searchsorted(ends, grid, side="right")  # episodes finished by each grid step
    for i, n in enumerate(finished):
        if n > 0 and grid[i] <= (ends[-1] if len(ends) else 0) + 1:
            out[i] = returns[max(0, n - window):n].mean()
    return out


def plot_runs(ax, runs, label: str, color: str, window: int = 20, points: int = 200, individual: bool = False,
              linestyle: str = "-"):
    """Mean over runs (line) and min-max over runs (shaded) of the smoothed return against environment steps.

    With ``individual=True`` every run is also drawn as a thin line (useful when runs stop at different steps).
    Returns the grid and the per-run curves.
    """
    last = max(r.episode_end_steps[-1] for r in runs if r.episode_end_steps)
    grid = np.linspace(0, last, points)
    curves = np.array([smoothed(r, grid, window) for r in runs])
    with warnings.catch_warnings():  # grid points where no run has finished an episode yet stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, low, high = np.nanmean(curves, 0), np.nanmin(curves, 0), np.nanmax(curves, 0)
    n = len(runs)
    if individual:
        for curve in curves:
            ax.plot(grid, curve, color=color, linewidth=0.8, alpha=0.5)
    ax.plot(grid, mean, color=color, linestyle=linestyle, linewidth=2 if n > 1 else 1.2, label=f"{label} (mean of {n} seeds)" if n > 1 else label)
    if n > 1:
        ax.fill_between(grid, low, high, color=color, alpha=0.2, linewidth=0)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(f"training episode return\n(mean of last {window} episodes)")
    return grid, curves


# ---- The training race of notebook 03 ----------------------------------------------------------------------
# Notebook 03's training race, made fair: one environment-step budget, one learning-rate sweep per method, every
# seed counted.
#
# The protocol (run by ``scripts/race_sweep.py``, whose log the notebook reads, and by the notebook itself in smoke mode):
#
# 1. every method gets the same budget of environment steps and the same stop rule
#    (:func:`utils.theory.learning_curves.solved`);
# 2. every method gets the same tuning effort: its step size is swept over the same factors ``LR_FACTORS`` of its
#    earlier default on the *tuning* seeds, and :func:`choose` picks one value per method by the same rule;
# 3. the chosen values are then run on *other* seeds (the evaluation seeds), and only those runs are reported;
# 4. no mean over the seeds that solved: :func:`solved_fraction` counts every seed (an unsolved one never enters),
#    :func:`median_steps` counts an unsolved seed as "more than the budget", with a bootstrap interval over seeds.
#
# A *record* is a plain dict (one line of the JSONL log): ``method``, ``lr``, ``seed``, ``phase`` ("tune" or
# "eval"), ``budget``, ``returns`` and ``end_steps`` (every training episode), ``updates`` (gradient updates done
# when each episode ended), ``seconds`` (wall-clock of the run).

RACE_LOG = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "race_sweep.jsonl"
"""The committed log of ``scripts/race_sweep.py`` that notebook 03 reads."""
METHODS = ("REINFORCE", "REINFORCE + baseline", "one-step actor-critic", "A2C")
LR_FACTORS = (2.0, 4.0)
"""Step sizes swept: these multiples of each method's earlier default (which had been chosen for budgets of 150k-500k
steps; the race's budget is smaller, so the grid goes up from the default). Critics keep their ratio to the actor."""

DEFAULT_LR = {"REINFORCE": 2e-3, "REINFORCE + baseline": 2e-3, "one-step actor-critic": 2.5e-4, "A2C": 7e-4}
"""Earlier defaults: notebook 01 (REINFORCE), notebook 03 (its baseline), notebook 02 (one-step), SB3 (A2C)."""
CRITIC_RATIO = {"REINFORCE + baseline": 5.0, "one-step actor-critic": 10.0}
"""Critic step size / actor step size (the earlier defaults' ratios: 1e-2 / 2e-3 and 2.5e-3 / 2.5e-4)."""

SETTINGS = [  # what differs between the methods besides the step size: the table of the notebook
    {"method": "REINFORCE", "optimiser": "Adam", "clipping": "none", "entropy": "0",
     "critic": "none (no critic)", "batch": "8 whole episodes", "steps_per_update": "8 episodes (~8 × length)"},
    {"method": "REINFORCE + baseline", "optimiser": "Adam (actor, critic)", "clipping": "none", "entropy": "0",
     "critic": "lr × 5, regresses on G_t", "batch": "8 whole episodes", "steps_per_update": "8 episodes (~8 × length)"},
    {"method": "one-step actor-critic", "optimiser": "Adam (actor, critic)", "clipping": "none", "entropy": "0.01",
     "critic": "lr × 10, TD(0) target", "batch": "1 step", "steps_per_update": "1"},
    {"method": "A2C", "optimiser": "RMSprop (α 0.99, ε 1e-5), lr → 0 linearly over the budget",
     "clipping": "global norm 0.5", "entropy": "0", "critic": "same lr, vf_coef 0.5, n-step target",
     "batch": "8 envs × 5 steps", "steps_per_update": "40"},
]


def learning_rates(method: str, factors=LR_FACTORS) -> list[float]:
    """The actor step sizes swept for ``method``."""
    return [float(f"{DEFAULT_LR[method] * f:.3g}") for f in factors]


def train(method: str, lr: float, seed: int, budget: int, baseline_update=None, train_a2c=None,
          progress: bool = False):
    """One training run of ``method`` with actor step size ``lr`` for at most ``budget`` environment steps.

    ``baseline_update`` and ``train_a2c`` default to the copies in ``utils`` (notebook 03 passes its own cells)."""
    from utils.theory import a2c_scratch, actor_critic, reinforce

    if method == "REINFORCE":
        config = reinforce.ReinforceConfig(seed=seed, max_steps=budget, lr=lr)
        return reinforce.train_reinforce(config, reinforce.reinforce_update, progress=progress)
    if method == "REINFORCE + baseline":
        config = reinforce.ReinforceConfig(seed=seed, max_steps=budget, lr=lr, critic_lr=lr * CRITIC_RATIO[method])
        return reinforce.train_reinforce(config, baseline_update or reinforce.baseline_update, progress=progress)
    if method == "one-step actor-critic":
        config = actor_critic.ACConfig(seed=seed, max_steps=budget, actor_lr=lr, critic_lr=lr * CRITIC_RATIO[method])
        return actor_critic.train_actor_critic(config, progress=progress)
    if method == "A2C":
        config = replace(a2c_scratch.A2CConfig(), seed=seed, total_timesteps=budget, learning_rate=lr)
        return (train_a2c or a2c_scratch.train_a2c)(config, progress=progress)
    raise ValueError(f"unknown method {method!r}: expected one of {METHODS}")


def updates_done(method: str, end_steps, per_batch: int = 8, rollout: int = 40) -> list[int]:
    """Gradient updates done when each training episode ended.

    REINFORCE: one update per batch of ``per_batch`` episodes (an episode is logged after its batch's update);
    one-step actor-critic: one per environment step; A2C: one per rollout of ``rollout`` = n_envs × n_steps steps
    (an episode that ends inside a rollout is logged before that rollout's update)."""
    end_steps = np.asarray(end_steps, dtype=int)
    if method.startswith("REINFORCE"):
        return (np.arange(len(end_steps)) // per_batch + 1).tolist()
    if method == "one-step actor-critic":
        return end_steps.tolist()
    if method == "A2C":
        return ((end_steps - 1) // rollout).tolist()
    raise ValueError(f"unknown method {method!r}: expected one of {METHODS}")


def record(method: str, lr: float, seed: int, budget: int, phase: str, run) -> dict:
    """The JSON-able log of one run (see the module docstring)."""
    return {"method": method, "lr": lr, "seed": seed, "phase": phase, "budget": budget,
            "returns": [float(r) for r in run.episode_returns], "end_steps": [int(s) for s in run.episode_end_steps],
            "updates": updates_done(method, run.episode_end_steps), "seconds": round(float(run.seconds), 2)}


def run_all(methods, lrs: dict, seeds, budget: int, phase: str, log: Path | None = None, done=(), **train_kwargs):
    """Train every (seed, method, lr) in that order (so a run cut short leaves every method with the same seeds);
    append each record to ``log`` (JSONL) if given, skip the keys in ``done``; return the new records."""
    out = []
    for seed in seeds:
        for method in methods:
            for lr in lrs[method]:
                if (method, lr, seed, phase, budget) in done:
                    continue
                start = time.time()
                rec = record(method, lr, seed, budget, phase, train(method, lr, seed, budget, **train_kwargs))
                out.append(rec)
                if log is not None:
                    with open(log, "a") as f:
                        f.write(json.dumps(rec) + "\n")
                    print(f"{phase} {method} lr {lr:g} seed {seed}: solved at {solve_at(rec)}, "
                          f"{time.time() - start:.0f} s", flush=True)
    return out


def load(path) -> list[dict]:
    """The records of a JSONL log written by :func:`run_all`."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def solve_at(rec: dict, axis: str = "end_steps") -> float:
    """Steps (or updates, or seconds with ``axis="seconds"``) spent when the solve rule was first met within the
    budget; ``inf`` for a seed that did not solve within the budget (it counts, as a failure)."""
    index = first_crossing(rec["returns"])
    if index is None or rec["end_steps"][index] > rec["budget"]:  # REINFORCE may finish its last batch past it
        return np.inf
    if axis == "seconds":  # the loops log no time stamps: the run's time is spread evenly over its steps
        return rec["seconds"] * rec["end_steps"][index] / rec["end_steps"][-1]
    return float(rec[axis][index])


def median_steps(recs: list[dict], axis: str = "end_steps", resamples: int = 2000, seed: int = 0):
    """Median over seeds of :func:`solve_at` (an unsolved seed counts as ``inf``), with a 95 % percentile
    bootstrap interval over seeds: ``(median, low, high)``; ``inf`` means "not solved within the budget"."""
    values = np.array([solve_at(r, axis) for r in recs])
    rng = np.random.default_rng(seed)
    boot = np.median(rng.choice(values, (resamples, len(values))), axis=1)  # inf propagates: fine for a median
    return (float(np.median(values)), float(np.quantile(boot, 0.025, method="lower")),
            float(np.quantile(boot, 0.975, method="higher")))


def solved_fraction(recs: list[dict], grid, axis: str = "end_steps") -> np.ndarray:
    """Fraction of *all* seeds solved by each point of ``grid`` (environment steps, updates or seconds)."""
    values = np.array([solve_at(r, axis) for r in recs])
    return (values[None, :] <= np.asarray(grid)[:, None]).mean(1)


def choose(recs: list[dict]) -> dict:
    """One step size per method from its tuning records, by the same rule for all: most tuning seeds solved, then
    the smallest median steps to solve, then the highest mean return of the last 20 training episodes."""
    best = {}
    for method in dict.fromkeys(r["method"] for r in recs):
        rows = tune_rows([r for r in recs if r["method"] == method])
        best[method] = max(rows, key=lambda row: (row["solved"], -row["median"], row["final"]))["lr"]
    return best


def tune_rows(recs: list[dict]) -> list[dict]:
    """One row per (method, lr) of the tuning records: seeds solved, median steps to solve, final return."""
    rows = []
    for key in dict.fromkeys((r["method"], r["lr"]) for r in recs):
        group = [r for r in recs if (r["method"], r["lr"]) == key]
        rows.append({"method": key[0], "lr": key[1], "seeds": len(group),
                     "solved": sum(np.isfinite(solve_at(r)) for r in group),
                     "median": median_steps(group)[0],
                     "final": float(np.mean([np.mean(r["returns"][-20:]) if r["returns"] else 0.0 for r in group]))})
    return rows


def race_rows(recs: list[dict], methods=METHODS, window: int = WINDOW) -> list[dict]:
    """One row per method of the evaluation records: seeds solved, median (95 % bootstrap interval) of the
    environment steps, gradient updates and seconds to solve, every seed counted; ``final``: the median over seeds
    of the mean return of the last ``window`` training episodes (where each run stopped)."""
    rows = []
    for method in methods:
        group = [r for r in recs if r["method"] == method]
        if not group:
            continue
        row = {"method": method, "lr": group[0]["lr"], "seeds": len(group),
               "solved": f"{sum(np.isfinite(solve_at(r)) for r in group)}/{len(group)}",
               "seconds_per_run": float(np.mean([r["seconds"] for r in group])),
               "updates_made": float(np.median([r["updates"][-1] if r["updates"] else 0 for r in group])),
               "ms_per_step": 1000 * float(np.mean([r["seconds"] / max(r["end_steps"][-1], 1) for r in group if r["end_steps"]])),
               "final": float(np.median([np.mean(r["returns"][-window:]) if r["returns"] else 0.0 for r in group]))}
        for axis, name in (("end_steps", "steps"), ("updates", "updates"), ("seconds", "seconds")):
            row[name] = median_steps(group, axis)
        rows.append(row)
    return rows


def fmt_median(triple, scale: float = 1.0, unit: str = "") -> str:
    """``median [low, high]``, with "> budget" for an infinite median or bound."""
    def one(v):
        return "> budget" if not np.isfinite(v) else f"{v / scale:,.0f}{unit}" if scale != 1 else f"{v:,.0f}{unit}"
    median, low, high = triple
    return f"{one(median)} [{one(low)}, {one(high)}]"


def as_run(rec: dict, axis: str = "end_steps"):
    """A record as a *run* for :func:`smoothed` and :func:`plot_runs`, its episodes placed on ``axis``
    ("end_steps", "updates", or "seconds": the run's time spread evenly over its steps)."""
    from types import SimpleNamespace

    ends = np.asarray(rec["end_steps"], dtype=float)
    if axis == "seconds":
        ends = rec["seconds"] * ends / max(ends[-1], 1) if len(ends) else ends
    elif axis == "updates":
        ends = np.asarray(rec["updates"], dtype=float)
    return SimpleNamespace(episode_returns=rec["returns"], episode_end_steps=ends.tolist(), seconds=rec["seconds"])


def plot_race(recs: list[dict], colors, methods=METHODS, window: int = WINDOW):
    """Two rows, one column per axis (environment steps; gradient updates and wall-clock seconds, on log scales).
    Top: each method's training return (mean of the last ``window`` episodes; line: mean over seeds, shaded:
    min-max, drawn while every seed still runs). Bottom: the fraction of *all* seeds solved by then (an unsolved seed never raises it)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharey="row")
    labels = {"end_steps": "environment steps", "updates": "gradient updates (log scale)",
              "seconds": "wall-clock seconds of one run (one core, log scale)"}
    for column, axis in enumerate(labels):
        top, bottom = axes[0, column], axes[1, column]
        last = max([as_run(r, axis).episode_end_steps[-1] for r in recs if r["end_steps"]] + [1])
        if axis == "end_steps":
            grid = np.linspace(0, last, 400)
        else:  # updates and seconds span orders of magnitude between the methods
            grid = np.geomspace(1 if axis == "updates" else 0.1, max(last, 1), 400)
        for method, color in zip(methods, colors):
            group = [r for r in recs if r["method"] == method]
            if not group:
                continue
            label = f"{method} (lr {group[0]['lr']:g}, {len(group)} seeds)"
            curves = np.array([smoothed(as_run(r, axis), grid, window) for r in group])
            until = min(as_run(r, axis).episode_end_steps[-1] if r["end_steps"] else 0 for r in group)
            curves[:, grid > until] = np.nan  # past the first run's end the mean would be over fewer seeds
            with warnings.catch_warnings():  # grid points before a run's first episode (or after its end) are NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                top.plot(grid, np.nanmean(curves, 0), color=color, linewidth=2, label=label)
                top.fill_between(grid, np.nanmin(curves, 0), np.nanmax(curves, 0), color=color, alpha=0.15,
                                 linewidth=0)
            bottom.step(grid, solved_fraction(group, grid, axis), where="post", color=color, linewidth=2, label=label)
        top.axhline(SOLVED_AT, color="black", linestyle="--", linewidth=1)
        for ax in (top, bottom):
            ax.set_xlabel(labels[axis])
            if axis != "end_steps":
                ax.set_xscale("log")
    axes[0, 0].set_ylabel(f"training return\n(mean of last {window} episodes)")
    axes[1, 0].set_ylabel("fraction of all seeds solved")
    axes[1, 0].set_ylim(-0.03, 1.03)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    return fig, axes
