"""Early signs of a run that will not walk, read from its logs (notebook 05, section 9; ``scripts/walk_or_fall.py``).

A biped that falls at once plays short training episodes and goes nowhere; one that has learnt to stand plays long
episodes and still goes nowhere; one that learns to walk plays longer and longer episodes and goes further in each.
Both numbers are in every run's ``logs/episodes.csv`` (each training episode's return, length and forward distance,
the environment's own), long before the periodic evaluations say that it walks.
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from utils.walkers.run_folder import EPISODE_COLUMNS, EPISODES, EPISODES_BY_WINDOW, EVALUATIONS, read_jsonl

WINDOW = 50_000
"""Training episodes are averaged over windows of this many environment steps (as the periodic evaluations)."""
WALKED_M = 10.0
"""A periodic evaluation walked when it went this far on average without a fall (the course's "time to walk")."""


def read_episodes(logs: Path) -> pd.DataFrame:
    """A run's ``logs/episodes.csv``, complete lines only: a training process may be writing its last line."""
    text = (Path(logs) / EPISODES).read_text()
    complete = text[: text.rfind("\n") + 1]
    if not complete:  # not even the header yet
        return pd.DataFrame(columns=list(EPISODE_COLUMNS))
    return pd.read_csv(io.StringIO(complete))


def training_episodes(logs: Path, window: int = WINDOW) -> pd.DataFrame:
    """The training episodes in a run's ``logs`` folder averaged over windows of ``window`` steps: ``steps`` (the
    window's end), ``length`` (steps per episode), ``distance`` (metres per episode) and ``episodes`` (how many ended).
    Where only the kept summary is there (``episodes_by_window.csv``, :func:`keep_summary`: the search's trials do
    not commit ``episodes.csv``), it is read (windows of :data:`WINDOW` only)."""
    logs = Path(logs)
    if not (logs / EPISODES).exists() and (logs / EPISODES_BY_WINDOW).exists() and window == WINDOW:
        return pd.read_csv(logs / EPISODES_BY_WINDOW)
    episodes = read_episodes(logs)
    episodes["steps"] = (episodes["steps"] - 1) // window * window + window
    return (episodes.groupby("steps").agg(length=("length", "mean"), distance=("distance", "mean"),
                                          episodes=("length", "size")).reset_index())


def first_walk(logs: Path) -> int | None:
    """The environment steps of a run's first periodic evaluation that walked :data:`WALKED_M` or more without a
    fall, or None when none did."""
    walked = [e["steps"] for e in read_jsonl(Path(logs) / EVALUATIONS)
              if e.get("distance", 0) >= WALKED_M and not e["falls"]]
    return walked[0] if walked else None


def keep_summary(logs: Path) -> None:
    """Write ``logs/episodes_by_window.csv`` (a kilobyte) from ``logs/episodes.csv`` (a few hundred), if any."""
    logs = Path(logs)
    if (logs / EPISODES).exists() and (logs / EPISODES).stat().st_size:
        training_episodes(logs).round(3).to_csv(logs / EPISODES_BY_WINDOW, index=False)


def plot_early_signs(runs: dict[str, Path], until: int | None = None, window: int = WINDOW):
    """``runs``: a label and a run's ``logs`` folder for each. Three panels, against environment steps: its training
    episodes' length and distance (per window of ``window`` steps) and its periodic evaluations' distance with their
    falls. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (length, distance, evaluation) = plt.subplots(1, 3, figsize=(14, 3.8))
    for label, logs in runs.items():
        frame = training_episodes(logs, window)
        if until is not None:
            frame = frame[frame["steps"] <= until]
        (line,) = length.plot(frame["steps"], frame["length"], marker="o", ms=2, label=label)
        distance.plot(frame["steps"], frame["distance"], marker="o", ms=2, color=line.get_color(), label=label)
        evaluations = pd.DataFrame(read_jsonl(Path(logs) / EVALUATIONS), columns=["steps", "distance", "falls"])
        if until is not None:  # (a run still before its first evaluation draws no line here)
            evaluations = evaluations[evaluations["steps"] <= until]
        fell = evaluations[evaluations["falls"] > 0]
        evaluation.plot(evaluations["steps"], evaluations["distance"], lw=1, color=line.get_color(), label=label)
        evaluation.scatter(fell["steps"], fell["distance"], marker="x", s=18, color=line.get_color())
    length.set(xlabel="environment steps", ylabel="steps per training episode (1000 = no fall)",
               title=f"Training episodes: how long they last (mean per {window // 1000}k steps)")
    distance.set(xlabel="environment steps", ylabel="metres per training episode",
                 title="Training episodes: how far they go")
    evaluation.set(xlabel="environment steps", ylabel="metres per evaluation episode",
                   title="Periodic evaluations (deterministic, frozen): × an evaluation with a fall")
    for ax in (length, distance, evaluation):
        ax.title.set_fontsize(9)
    length.legend(fontsize=8)
    fig.tight_layout()
    return fig
