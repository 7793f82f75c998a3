"""Learning curves: from run folders, live while training, and against the references (notebooks 05-06)."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from utils.course.session import REFERENCE
from utils.walkers.run_folder import EVALUATIONS, LOGS, read_jsonl

ZOO_SCORES = {"AntBulletEnv-v0": (2497, 37), "Walker2DBulletEnv-v0": (858, 333)}
"""RL Baselines3 Zoo's A2C scores after 2M steps (mean, std), from its benchmark table."""


def evaluations(run: Path) -> list[dict]:
    """Periodic evaluations of a run folder (``logs/evaluations.jsonl``)."""
    return read_jsonl(Path(run) / LOGS / EVALUATIONS)


def reference_curves(env_id: str) -> dict[str, list[dict]]:
    """The team's measured reference curves for ``env_id`` (``reference/*.jsonl``), by label."""
    labels = {"course_recipe": "Hugging Face recipe (constant lr, 4 envs)", "zoo_linear_lr": "zoo recipe (linear lr, 4 envs)"}
    curves = {}
    for path in sorted(REFERENCE.glob(f"*_{env_id}_seed*.jsonl")):
        key = path.name.split(f"_{env_id}")[0]
        curves[labels.get(key, key)] = read_jsonl(path)
    return curves


def plot_curves(curves: dict[str, list[dict]], env_id: str, ax=None, title: str | None = None, zoo: bool = True):
    """Plot evaluation mean ± std against steps for each labelled curve, with the zoo's score as a band."""
    ax = ax or plt.subplots(figsize=(8, 4.5))[1]
    for label, records in curves.items():
        if not records:
            continue
        steps = np.array([r["steps"] for r in records])
        mean = np.array([r["mean"] for r in records])
        std = np.array([r["std"] for r in records])
        (line,) = ax.plot(steps, mean, marker="o", ms=3, label=label)
        ax.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    if zoo and env_id in ZOO_SCORES:
        m, s = ZOO_SCORES[env_id]
        ax.axhline(m, color="k", ls="--", lw=1, label=f"RL Zoo A2C at 2M: {m} ± {s}")
        ax.axhspan(m - s, m + s, color="k", alpha=0.05)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("evaluation return (deterministic, mean ± std)")
    ax.set_title(title or f"{env_id}: learning curves")
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_distance(records: list[dict], ax, label: str = "this run"):
    """Mean forward distance (m) and falls of periodic evaluations against steps: what the return hides."""
    steps = [r["steps"] for r in records if "distance" in r]
    ax.plot(steps, [r["distance"] for r in records if "distance" in r], marker="o", ms=3, label=label)
    for r in records:
        if r.get("falls"):
            ax.annotate(f"{r['falls']}↓", (r["steps"], r["distance"]), fontsize=7, color="tab:red",
                        textcoords="offset points", xytext=(0, 5), ha="center")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("forward distance per episode (m)")
    ax.set_title("what it did: metres walked (red: falls)")
    return ax


class LiveCurve:
    """Return and distance walked, redrawn in place in a notebook after every periodic evaluation."""

    def __init__(self, env_id: str, label: str = "this run"):
        from IPython.display import display

        self.env_id, self.label = env_id, label
        self.handle = display(display_id=True)

    def __call__(self, records: list[dict]) -> None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
        plot_curves({self.label: records}, self.env_id, ax=left, zoo=False,
                    title=f"{self.env_id}: evaluation return ({records[-1]['steps']:,} steps)")
        plot_distance(records, right, self.label)
        fig.tight_layout()
        self.handle.update(fig)
        plt.close(fig)
