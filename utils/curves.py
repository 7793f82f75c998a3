"""Learning curves from training-episode logs: smoothed on a grid of environment steps, mean and spread over seeds.

Introduced in notebook 02 (the one-step actor-critic); notebook 03 plots A2C from scratch and SB3's A2C with it.
A *run* is anything with ``episode_end_steps`` and ``episode_returns`` lists.
"""
from __future__ import annotations

import warnings

import numpy as np


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
