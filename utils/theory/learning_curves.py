"""Learning curves from training-episode logs, the course's "solved" rule, and the training race's figure.

Introduced in notebook 01 (REINFORCE learns CartPole); notebook 02 plots the one-step actor-critic, notebook 03
A2C against SB3's and the race of all four methods. A *run* is anything with ``episode_end_steps`` and
``episode_returns`` lists.
"""
from __future__ import annotations

import warnings

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


def race_rows(race: dict[str, list]) -> list[dict]:
    """One row per method of ``{method: [run per seed]}``: seeds solved, steps to solve, wall-clock."""
    rows = []
    for name, runs in race.items():
        steps = [s for s in (steps_to_solve(r) for r in runs) if s is not None]
        rows.append({"method": name, "solved": f"{len(steps)}/{len(runs)}",
                     "mean": np.mean(steps) if steps else np.nan, "std": np.std(steps) if steps else np.nan,
                     "steps": steps, "seconds": float(np.mean([r.seconds for r in runs]))})
    return rows


def race_summary(race: dict[str, list]) -> str:
    """One line: steps to solve per method, mean ± std over the seeds that solved."""
    parts = [f"{r['method']} {r['mean'] / 1e3:.0f}k ± {r['std'] / 1e3:.0f}k ({r['solved']} solved)" if r["steps"]
             else f"{r['method']}: no seed solved" for r in race_rows(race)]
    return "Steps to solve CartPole-v1 (mean ± std over seeds): " + " | ".join(parts)


def plot_race(race: dict[str, list], colors, window: int = WINDOW):
    """Left: each method's smoothed training return against environment steps: every seed (thin), the mean (thick)
    and min-max (shaded) over seeds while every seed still runs, a dot where each seed solved. Right: steps to
    solve, per seed and mean ± std."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw=dict(width_ratios=[3, 2]))
    rows = race_rows(race)
    for (name, runs), row, color in zip(race.items(), rows, colors):
        until = min(r.episode_end_steps[-1] for r in runs)  # after this, some seeds have stopped
        grid = np.linspace(0, until, 200)
        curves = np.array([smoothed(r, grid, window) for r in runs])
        for run in runs:  # each seed, thin, to where it stopped
            own = np.linspace(0, run.episode_end_steps[-1], 200)
            left.plot(own, smoothed(run, own, window), color=color, linewidth=0.6, alpha=0.35)
        with warnings.catch_warnings():  # grid points before any run has finished an episode stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            left.plot(grid, np.nanmean(curves, 0), color=color, linewidth=2, label=f"{name} ({len(runs)} seeds)")
            left.fill_between(grid, np.nanmin(curves, 0), np.nanmax(curves, 0), color=color, alpha=0.2, linewidth=0)
        left.plot(row["steps"], np.full(len(row["steps"]), SOLVED_AT), "o", color=color, markersize=5)
        y = len(rows) - 1 - rows.index(row)
        right.plot(row["steps"], np.full(len(row["steps"]), y), "o", color=color, alpha=0.7)
        if row["steps"]:
            right.errorbar(row["mean"], y + 0.25, xerr=row["std"], fmt="D", color=color, capsize=4)
    left.axhline(SOLVED_AT, color="black", linestyle="--", linewidth=1)
    left.set_xlabel("environment steps")
    left.set_ylabel(f"training episode return\n(mean of last {window} episodes)")
    left.legend(fontsize=8, loc="upper left")
    left.set_title("Learning curves (thin: each seed; thick: mean and shaded: min-max while every seed runs;\n"
                   "dots: where each seed solved)", fontsize=10)
    right.set_yticks(range(len(rows)), [r["method"] for r in reversed(rows)], fontsize=8)
    right.set_xlabel("environment steps to solve (dots: seeds; diamond: mean ± std)")
    right.set_xlim(left=0)
    right.grid(axis="y", visible=False)
    return fig, (left, right)
