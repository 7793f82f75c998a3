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


def plot_beside(mine: list[dict], references: dict[str, list[dict]], ax=None, title: str | None = None,
                total_steps: int | None = None):
    """A run's evaluation returns (red) over reference runs (grey, one line each: "<group> seed <s>" labels share one
    legend entry; a label ending in "(dashed)" is drawn dashed), against environment steps (notebook 06)."""
    ax = ax or plt.subplots(figsize=(8, 4.2))[1]
    named = set()
    for label, records in references.items():
        dashed = label.endswith("(dashed)")
        group = label.split(" seed ")[0]
        name = f"{group}, one line per seed" if " seed " in label else label.replace(" (dashed)", "")
        ax.plot([r["steps"] for r in records], [r["mean"] for r in records], color="0.45", lw=1.2, marker="o", ms=2.5,
                ls="--" if dashed else "-", alpha=0.8, label=None if group in named else name)
        named.add(group)
    if mine:
        ax.plot([r["steps"] for r in mine], [r["mean"] for r in mine], color="tab:red", lw=2, marker="o", ms=4,
                label="your run")
    if total_steps:
        ax.set_xlim(0, total_steps * 1.03)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("evaluation return (deterministic)")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x / 1e3:g}k" if abs(x) >= 10_000 else f"{x:g}"))
    ax.set_title(title or "your run beside the committed runs")
    ax.legend(fontsize=8, loc="best")
    return ax


class LiveComparison:
    """SB3 callback factory for notebook 06's training cell: a progress bar over the run's steps and, after each
    evaluation of ``evaluations`` (SB3's ``EvalCallback``), the run's evaluation returns redrawn in place over the
    committed runs' (:func:`plot_beside`). ``LiveComparison(...).callback`` goes in ``learn``'s callback list."""

    def __init__(self, evaluations, references: dict[str, list[dict]], total_steps: int, env_id: str):
        from IPython.display import display
        from stable_baselines3.common.callbacks import BaseCallback
        from tqdm.auto import tqdm

        outer = self
        self.evaluations, self.references, self.total, self.env_id = evaluations, references, total_steps, env_id
        self.handle, self.drawn = display(display_id=True), 0

        class _Callback(BaseCallback):
            def _on_training_start(self) -> None:
                outer.bar = tqdm(total=outer.total, unit="step", unit_scale=True, desc="training")

            def _on_step(self) -> bool:
                outer.bar.update(min(self.num_timesteps, outer.total) - outer.bar.n)
                if len(outer.evaluations.evaluations_timesteps) > outer.drawn:
                    outer.draw()
                return True

            def _on_training_end(self) -> None:
                outer.bar.update(min(self.num_timesteps, outer.total) - outer.bar.n)
                outer.bar.close()

        self.callback = _Callback()

    def records(self) -> list[dict]:
        """The run's evaluations so far: steps, mean and std of the episode returns."""
        return [{"steps": int(steps), "mean": float(np.mean(returns)), "std": float(np.std(returns))}
                for steps, returns in zip(self.evaluations.evaluations_timesteps, self.evaluations.evaluations_results)]

    def draw(self) -> None:
        mine = self.records()
        self.drawn = len(mine)
        self.bar.refresh()
        fig, ax = plt.subplots(figsize=(8, 4.2))
        plot_beside(mine, self.references, ax=ax, total_steps=self.total,
                    title=f"{self.env_id}: your run ({mine[-1]['steps']:,} of {self.total:,} steps) "
                          "beside the committed runs")
        fig.tight_layout()
        self.handle.update(fig)
        plt.close(fig)


def plot_seeds(seeds, params: list[str], walks_m: float = 10.0, columns: int = 4):
    """Each seed of a search (``utils.walkers.search.seed_table``) at its trial's last evaluation: metres walked
    against each parameter in ``params``, coloured by how far its trial trained. Optuna's ``plot_slice`` draws
    completed trials' objective only, which hides every seed of a search whose trials were all pruned, and the
    better seed of every trial."""
    rows = -(-len(params) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), sharey=True, squeeze=False)
    stops = sorted(seeds["steps"].dropna().unique())
    colours = dict(zip(stops, plt.cm.viridis(np.linspace(0, 0.9, len(stops)))))
    for ax, name in zip(axes.flat, params):
        values = seeds[name]
        categorical = values.dtype == object or values.nunique() <= 6
        if categorical:  # one column per level, spread a little so that seeds with the same value show
            levels = sorted(values.dropna().unique(), key=lambda v: (isinstance(v, str), v))
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(values))
            x = values.map({v: i for i, v in enumerate(levels)}) + jitter
        else:
            x = values
        ax.scatter(x, seeds["distance"], s=14, c=[colours.get(s, "gray") for s in seeds["steps"]])
        if categorical:
            ax.set_xticks(range(len(levels)), [f"{v:g}" if isinstance(v, float) else str(v) for v in levels])
        elif values.min() > 0 and values.max() > 100 * values.min():  # drawn on a log scale
            ax.set_xscale("log")
        ax.axhline(walks_m, color="tab:green", ls=":", lw=1)
        ax.set_xlabel(name, fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("metres per episode")
    for ax in axes.flat[len(params):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], ls="", marker="o", color=c, label=f"stopped at {s:,.0f}") for s, c in colours.items()]
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8, bbox_to_anchor=(0.5, 1.04))
    fig.tight_layout()
    return fig
