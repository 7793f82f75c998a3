"""Training a walker with SB3's A2C: the one function behind notebooks 05-06 and ``python -m utils.train``.

Introduced in notebook 05. A run folder ``out`` holds:

* ``checkpoints/``: model + VecNormalize statistics + step count, saved every ``checkpoint_every`` steps,
  crash-safe (see :mod:`utils.walkers.snapshots`); ``resume=True`` continues from the latest one;
* ``best/`` and ``last/``: the best-evaluated and the last policy;
* ``logs/``: ``evaluations.jsonl`` (periodic evaluations), ``episodes.csv`` (training episodes),
  ``diagnostics.csv`` (SB3's explained variance, losses, entropy, std and steps per second),
  ``run.json`` (set-up: recipe, seed, steps, versions, wall-clock) and ``train.log``;
* the Hub package of the shipped policy (:mod:`utils.walkers.hub`).
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from stable_baselines3 import A2C
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecNormalize

from utils.walkers import diagnostics, snapshots
from utils.walkers.envs import check_env_id, make_vec
from utils.walkers.scoring import evaluate, frozen_env
from utils.walkers.recipes import COURSE, A2CRecipe, as_flags
from utils.course.threads import single_threaded


class RunExistsError(FileExistsError):
    """``out`` already holds a run and neither ``resume`` nor ``overwrite`` was asked for."""


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: A2C
    out: Path
    evaluations: list = field(default_factory=list)
    interrupted: bool = False
    results: dict | None = None


def versions() -> dict:
    """Versions of what a run depends on, and the machine, for ``logs/run.json``."""
    from importlib.metadata import version

    packages = ("torch", "stable-baselines3", "gymnasium", "pybullet", "pybullet-envs-gymnasium")
    return {"python": platform.python_version(), **{name: version(name) for name in packages},
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} torch thread(s)"}


class CourseCallback(BaseCallback):
    """Progress bar, episode log, periodic frozen-statistics evaluation with best-model saving, checkpoints."""

    def __init__(self, run: "Run", progress: bool, on_eval=None, stop_at_score: float | None = None):
        super().__init__()
        self.run, self.progress, self.on_eval, self.stop_at_score = run, progress, on_eval, stop_at_score
        self.bar = None

    def _on_training_start(self) -> None:
        run = self.run
        self.next_eval = self._next(run.eval_every)
        self.next_checkpoint = self._next(run.checkpoint_every)
        self.episodes = open(run.logs / "episodes.csv", "a")
        if self.episodes.tell() == 0:
            self.episodes.write("steps,return,length,distance\n")
        if self.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=run.timesteps, initial=self.num_timesteps, unit="step", desc=run.env_id,
                            dynamic_ncols=True, mininterval=1.0)

    def _next(self, every: int) -> int | None:
        return (self.num_timesteps // every + 1) * every if every else None

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                distance = f"{info['walking']['distance']:.2f}" if "walking" in info else ""
                self.episodes.write(f"{self.num_timesteps},{info['episode']['r']:.2f},{info['episode']['l']},{distance}\n")
        if self.bar is not None:
            self.bar.update(self.num_timesteps - self.bar.n)
        if self.next_eval and self.num_timesteps >= self.next_eval:
            self.next_eval = self._next(self.run.eval_every)
            if self._evaluate() is False:
                self.run.log("stop: asked by on_eval")
                return False
            if self.stop_at_score is not None and self.run.evaluations[-1]["mean"] >= self.stop_at_score:
                self.run.log(f"stop: evaluation reached {self.stop_at_score}")
                return False
        if self.next_checkpoint and self.num_timesteps >= self.next_checkpoint:
            self.next_checkpoint = self._next(self.run.checkpoint_every)
            self.run.checkpoint()
        return True

    def _evaluate(self) -> bool | None:
        """Evaluate, record, and return what ``on_eval`` says (``False`` stops training)."""
        run = self.run
        run.pause_clock()
        env = frozen_env(run.env_id, self.model.get_env(), seed=run.seed + 10_000 + len(run.evaluations))
        result = evaluate(self.model, env, episodes=run.eval_episodes)
        env.close()
        record = {"steps": int(self.num_timesteps), "wall": round(run.train_seconds(), 2),
                  "mean": round(result["mean_reward"], 2), "std": round(result["std_reward"], 2),
                  "mean_length": round(float(np.mean(result["episode_lengths"])), 1)}
        if "mean_distance" in result:
            record.update(distance=round(result["mean_distance"], 2), falls=result["falls"])
        run.record_evaluation(record, self.model)
        if self.bar is not None:
            walked = f", {record['distance']:.1f} m" if "distance" in record else ""
            self.bar.set_postfix(eval=f"{record['mean']:.0f}±{record['std']:.0f}{walked}", refresh=False)
        verdict = self.on_eval(run.evaluations) if self.on_eval is not None else None
        run.resume_clock()
        return verdict

    def _on_training_end(self) -> None:
        self.episodes.close()
        if self.bar is not None:
            self.bar.close()


class Run:
    """The state of one training run in its folder: clock, evaluations, snapshots, logs."""

    def __init__(self, env_id, timesteps, seed, out, recipe, eval_every, eval_episodes, checkpoint_every):
        self.env_id, self.timesteps, self.seed, self.out, self.recipe = env_id, timesteps, seed, Path(out), recipe
        self.eval_every, self.eval_episodes, self.checkpoint_every = eval_every, eval_episodes, checkpoint_every
        self.logs = self.out / "logs"
        self.evaluations: list[dict] = []
        self.seconds_before = 0.0  # training seconds of earlier sessions of this run (resume)
        self._started = None
        self.model = self.venv = None

    # --- wall-clock of training, evaluation excluded ---------------------------------------------------
    def resume_clock(self):
        self._started = time.perf_counter()

    def pause_clock(self):
        if self._started is not None:
            self.seconds_before += time.perf_counter() - self._started
            self._started = None

    def train_seconds(self) -> float:
        running = time.perf_counter() - self._started if self._started is not None else 0.0
        return self.seconds_before + running

    # --- logs and snapshots ----------------------------------------------------------------------------
    def log(self, line: str) -> None:
        with open(self.logs / "train.log", "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")

    def meta(self) -> dict:
        return {"env_id": self.env_id, "seed": self.seed, "target_timesteps": self.timesteps,
                "train_seconds": round(self.train_seconds(), 2), "recipe": self.recipe.to_dict()}

    def record_evaluation(self, record: dict, model) -> None:
        best = max((r["mean"] for r in self.evaluations), default=float("-inf"))
        self.evaluations.append(record)
        with open(self.logs / "evaluations.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        walked = f", {record['distance']:.2f} m, {record['falls']} falls" if "distance" in record else ""
        self.log(f"eval at {record['steps']} steps: {record['mean']:.1f} ± {record['std']:.1f}{walked}")
        if record["mean"] > best:
            snapshots.save_snapshot(self.out / "best", model, model.get_env(), {**self.meta(), "evaluation": record})

    def checkpoint(self) -> None:
        """Save a checkpoint, unless the latest one is already at the current step."""
        latest = snapshots.latest_snapshot(self.out / "checkpoints")
        if latest is not None and snapshots.read_meta(latest)["num_timesteps"] == self.model.num_timesteps:
            return
        snapshots.save_snapshot(self.out / "checkpoints", self.model, self.venv, self.meta())
        self.log(f"checkpoint at {self.model.num_timesteps} steps")

    def write_setup(self) -> None:
        setup = {**self.meta(), "eval_every": self.eval_every, "eval_episodes": self.eval_episodes,
                 "checkpoint_every": self.checkpoint_every, "versions": versions(),
                 "command": (f"python -m utils.train --env {self.env_id} {as_flags(self.recipe)} --timesteps {self.timesteps} "
                             f"--seed {self.seed} --out {self.out} --eval-every {self.eval_every} "
                             f"--eval-episodes {self.eval_episodes} --checkpoint-every {self.checkpoint_every}")}
        snapshots.write_atomic(self.logs / "run.json", json.dumps(setup, indent=1))


def _prepare(out: Path, resume: bool, overwrite: bool) -> Path | None:
    """Check the run folder; return the checkpoint to resume from, if any."""
    latest = snapshots.latest_snapshot(out / "checkpoints")
    if resume:
        if latest is None:
            raise FileNotFoundError(f"Nothing to resume: {out}/checkpoints holds no checkpoint. Drop --resume to start a new run.")
        return latest
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise RunExistsError(f"{out} already holds a run: pass --resume to continue it, or choose another --out.")
        shutil.rmtree(out)
    return None


@single_threaded  # tiny MLPs: one torch thread is faster, and never stalls on a busy core (utils.course.threads)
def train(env_id: str, timesteps: int, seed: int = 0, out: str | Path = "runs/a2c", recipe: A2CRecipe = COURSE,
          eval_every: int = 100_000, eval_episodes: int = 5, checkpoint_every: int = 100_000,
          final_episodes: int = 10, resume: bool = False, overwrite: bool = False, progress: bool = True,
          on_eval=None, package: bool = True, video_steps: int = 1000,
          stop_at_score: float | None = None) -> TrainResult:
    """Train A2C on ``env_id`` for ``timesteps`` environment steps, with evaluations, checkpoints and a package.

    Interrupting (Ctrl-C, or the notebook's stop button) saves a checkpoint and returns the model trained so
    far; ``resume=True`` continues it, keeping the step count and the learning-rate schedule.
    ``stop_at_score`` ends training early once a periodic evaluation's mean reaches it; ``on_eval(evaluations)``
    is called after each periodic evaluation and ends training early by returning ``False``.
    """
    check_env_id(env_id)
    if not isinstance(timesteps, int) or timesteps <= 0:
        raise ValueError(f"timesteps must be a positive integer, got {timesteps!r}.")
    for name, value in (("eval_every", eval_every), ("checkpoint_every", checkpoint_every)):
        if value < 0:
            raise ValueError(f"{name} must be 0 (off) or positive, got {value}.")
    out = Path(out)
    checkpoint = _prepare(out, resume, overwrite)
    run = Run(env_id, timesteps, seed, out, recipe, eval_every, eval_episodes, checkpoint_every)
    run.logs.mkdir(parents=True, exist_ok=True)

    venv = make_vec(env_id, n_envs=recipe.n_envs, seed=seed, parallel=recipe.parallel, alive_bonus=recipe.alive_bonus)
    if checkpoint is None:
        run.venv = VecNormalize(venv, **recipe.vec_normalize_kwargs())
        run.model = A2C("MlpPolicy", run.venv, seed=seed, device="cpu", verbose=0, **recipe.a2c_kwargs())
        run.log(f"start: {env_id}, {timesteps} steps, seed {seed}")
    else:
        from utils.walkers.loading import load_vec_normalize

        meta = snapshots.read_meta(checkpoint)
        run.venv = load_vec_normalize(checkpoint / snapshots.STATS, venv)
        run.venv.training, run.venv.norm_reward = True, recipe.norm_reward
        run.model = A2C.load(checkpoint / snapshots.MODEL, env=run.venv, device="cpu")
        run.seconds_before = meta["train_seconds"]
        evaluations = run.logs / "evaluations.jsonl"
        run.evaluations = [json.loads(line) for line in evaluations.read_text().splitlines()] if evaluations.exists() else []
        diagnostics.truncate(run.logs, run.model.num_timesteps)
        run.log(f"resume from {checkpoint.name} at {run.model.num_timesteps} steps")
    run.model.set_logger(diagnostics.logger(run.logs))
    run.write_setup()

    interrupted = False
    remaining = timesteps - run.model.num_timesteps
    run.resume_clock()
    try:
        if remaining > 0:
            run.model.learn(remaining, callback=CourseCallback(run, progress, on_eval, stop_at_score), reset_num_timesteps=checkpoint is None)
    except KeyboardInterrupt:
        interrupted = True
    run.pause_clock()
    run.checkpoint()
    run.write_setup()
    if interrupted:
        run.log(f"interrupted at {run.model.num_timesteps} steps")
        print(f"Interrupted at {run.model.num_timesteps:,} steps; the model so far is saved in {out}/checkpoints. "
              f"Resume with train(..., resume=True) or: python -m utils.train --env {env_id} {as_flags(recipe)} "
              f"--timesteps {timesteps} --seed {seed} --out {out} --resume")
        run.venv.close()
        run.model.logger.close()
        return TrainResult(run.model, out, run.evaluations, interrupted=True)

    snapshots.save_snapshot(out / "last", run.model, run.venv, run.meta())
    run.log(f"done: {run.model.num_timesteps} steps in {run.train_seconds():.0f} s of training")
    run.venv.close()
    run.model.logger.close()
    results = None
    if package:
        from utils.walkers.hub import package_run

        results = package_run(out, final_episodes=final_episodes, seed=seed, video_steps=video_steps)
    return TrainResult(run.model, out, run.evaluations, results=results)
