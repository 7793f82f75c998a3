"""A training run of A2C on a walker, in its folder: the plumbing around the SB3 calls of notebook 05.

Notebook 05 writes the pipeline itself (``make_vec_env``, ``VecNormalize``, ``A2C(...)``, ``learn``); :func:`train`
makes the same calls from a :class:`RunConfig` for ``python -m utils.train`` and the search (a test checks that
both give the same parameters). :class:`Run` is what they share: the folder, resume, callbacks and logs.
A run folder ``out`` holds:

* ``checkpoints/``: model + VecNormalize statistics + the run's configuration, saved every ``checkpoint_every``
  steps, crash-safe (:mod:`utils.walkers.snapshots`); a run resumes from the latest one, with its own configuration;
* ``best/`` and ``last/``: the best-evaluated and the last policy;
* ``logs/``: ``evaluations.jsonl`` (periodic evaluations), ``episodes.csv`` (training episodes),
  ``diagnostics.csv`` (SB3's explained variance, losses, entropy, std and steps per second),
  ``run.json`` (configuration, recipe, the command that rebuilds the run, versions, wall-clock) and ``train.log``;
* the Hub package of the shipped policy (:mod:`utils.walkers.hub`).
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
from stable_baselines3 import A2C
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecNormalize

from utils.course.threads import single_threaded
from utils.walkers import diagnostics, snapshots
from utils.walkers.envs import check_env_id, make_vec
from utils.walkers.recipes import COURSE, A2CRecipe, as_flags
from utils.walkers.scoring import evaluate, frozen_env


@dataclass(frozen=True)
class RunConfig:
    """The options of a training run, with their defaults: the command line's flags are made from these fields."""

    env_id: str = field(default="AntBulletEnv-v0", metadata={"flag": "--env", "help": "environment id"})
    timesteps: int = field(default=2_000_000, metadata={"help": "total environment steps"})
    seed: int = field(default=0, metadata={"help": "seeds the environments and the networks"})
    out: str = field(default="runs/a2c", metadata={"help": "run folder (model, statistics, logs, package)"})
    recipe: A2CRecipe = field(default=COURSE, metadata={"help": "hyperparameters: --recipe NAME [--set FIELD=VALUE]"})
    eval_every: int = field(default=100_000, metadata={"help": "steps between evaluations (0: none)"})
    eval_episodes: int = field(default=5, metadata={"help": "deterministic episodes per periodic evaluation"})
    checkpoint_every: int = field(default=100_000, metadata={"help": "steps between checkpoints (0: only at the end)"})
    final_episodes: int = field(default=10, metadata={"help": "episodes of the final evaluation"})
    video_steps: int = field(default=1000, metadata={"help": "length of replay.mp4"})
    stop_at_score: float | None = field(default=None, metadata={"help": "stop once an evaluation mean reaches it"})
    package: bool = field(default=True, metadata={"help": "the final evaluation and the Hub package"})
    progress: bool = field(default=True, metadata={"help": "a progress bar"})

    IDENTITY = ("env_id", "timesteps", "seed", "recipe", "eval_every", "eval_episodes", "checkpoint_every")
    """What a resumed run must keep: anything else (the package, the progress bar, ...) may change on resume."""

    def check(self) -> "RunConfig":
        check_env_id(self.env_id)
        if not isinstance(self.timesteps, int) or self.timesteps <= 0:
            raise ValueError(f"timesteps must be a positive integer, got {self.timesteps!r}.")
        for name in ("eval_every", "checkpoint_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (off) or positive, got {getattr(self, name)}.")
        return self

    def to_dict(self) -> dict:
        return {**asdict(self), "recipe": self.recipe.to_dict()}

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: A2CRecipe.from_dict(v) if k == "recipe" else v for k, v in values.items() if k in known})

    def command(self) -> str:
        """The command line that runs exactly this configuration."""
        parts = [f"python -m utils.train --env {self.env_id} {as_flags(self.recipe)}"]
        for f in fields(self):
            value, default = getattr(self, f.name), f.default
            if f.name in ("env_id", "recipe") or (f.name not in ("timesteps", "seed", "out") and value == default):
                continue
            flag = "--" + f.name.replace("_", "-")
            parts.append(f"--no-{f.name}" if isinstance(value, bool) else f"{flag} {value}")
        return " ".join(parts)

    def differences(self, other: "RunConfig") -> list[str]:
        """``name: ours vs theirs`` for every identity field that differs."""
        out = []
        for name in self.IDENTITY:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "recipe" and mine != theirs:
                changed = [f.name for f in fields(mine) if getattr(mine, f.name) != getattr(theirs, f.name)]
                out.append(f"recipe ({', '.join(changed)})")
            elif mine != theirs:
                out.append(f"{name}: {theirs!r} in the folder, {mine!r} asked")
        return out


def stored_config(checkpoint: Path) -> RunConfig:
    """The configuration a checkpoint was saved with (one-line error for a checkpoint older than ``RunConfig``)."""
    meta = snapshots.read_meta(checkpoint)
    if "config" not in meta:
        raise ValueError(f"{checkpoint} was saved before runs stored their configuration: resume it with the "
                         "course version that trained it.")
    return RunConfig.from_dict(meta["config"])


class RunExistsError(FileExistsError):
    """``out`` already holds a run that this call may not continue or replace."""


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: A2C | None
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


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class CourseCallback(BaseCallback):
    """Progress bar, episode log, periodic frozen-statistics evaluation with best-model saving, checkpoints."""

    def __init__(self, run: "Run", on_eval=None):
        super().__init__()
        self.run, self.on_eval = run, on_eval
        self.bar = None

    def _on_training_start(self) -> None:
        run = self.run
        self.next_eval = self._next(run.config.eval_every)
        self.next_checkpoint = self._next(run.config.checkpoint_every)
        self.episodes = open(run.logs / "episodes.csv", "a")
        if self.episodes.tell() == 0:
            self.episodes.write("steps,return,length,distance\n")
        if run.config.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=run.config.timesteps, initial=self.num_timesteps, unit="step", desc=run.config.env_id,
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
            self.next_eval = self._next(self.run.config.eval_every)
            if self._evaluate() is False:
                self.run.log("stop: asked by on_eval")
                return False
            target = self.run.config.stop_at_score
            if target is not None and self.run.evaluations[-1]["mean"] >= target:
                self.run.log(f"stop: evaluation reached {target}")
                return False
        if self.next_checkpoint and self.num_timesteps >= self.next_checkpoint:
            self.next_checkpoint = self._next(self.run.config.checkpoint_every)
            self.run.checkpoint_now()
        return True

    def _evaluate(self) -> bool | None:
        """Evaluate, record, and return what ``on_eval`` says (``False`` stops training)."""
        run = self.run
        run.pause_clock()
        env = frozen_env(run.config.env_id, self.model.get_env(), seed=run.config.seed + 10_000 + len(run.evaluations))
        result = evaluate(self.model, env, episodes=run.config.eval_episodes)
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

    def close(self) -> None:
        """Close the episode log and the progress bar (called by :meth:`Run.training` in every case)."""
        if getattr(self, "episodes", None) is not None:
            self.episodes.close()
        if self.bar is not None:
            self.bar.close()


class Run:
    """One training run in its folder: what to resume, the callbacks, the clock, evaluations, snapshots, logs.

    ``mode`` says what an existing folder may become: ``"new"`` refuses it, ``"resume"`` needs a checkpoint,
    ``"continue"`` resumes a checkpoint if there is one and starts otherwise (what a notebook cell wants: re-running
    it never deletes a run), ``"overwrite"`` deletes it first. A resumed run keeps the configuration stored in its
    checkpoint; asking for another one is refused with a one-line error.
    """

    MODES = ("new", "resume", "continue", "overwrite")

    def __init__(self, config: RunConfig, mode: str = "new"):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {', '.join(self.MODES)}, got {mode!r}.")
        self.config = config.check()
        self.out = Path(config.out)
        self.logs = self.out / "logs"
        self.seconds_before = 0.0  # training seconds of earlier sessions (set from the checkpoint on resume)
        self.checkpoint = self._prepare(mode)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.evaluations = _read_jsonl(self.logs / "evaluations.jsonl")
        self._started = None
        self.model = self.venv = None
        self.interrupted = False

    @property
    def finished(self) -> bool:
        """The run reached its steps (or stopped at its score) and saved its last policy."""
        return snapshots.latest_snapshot(self.out / "last") is not None

    def _prepare(self, mode: str) -> Path | None:
        """Check the folder against ``mode``; return the checkpoint to resume from, if any."""
        out, latest = self.out, snapshots.latest_snapshot(self.out / "checkpoints")
        held = out.exists() and any(out.iterdir())
        if mode == "overwrite" and held:
            shutil.rmtree(out)
            return None
        if mode == "resume" and latest is None:
            raise FileNotFoundError(f"Nothing to resume: {out}/checkpoints holds no checkpoint. Drop --resume to start a new run.")
        if mode == "new" and held:
            raise RunExistsError(f"{out} already holds a run: pass --resume to continue it, or choose another --out.")
        if mode == "continue" and held and latest is None:
            raise RunExistsError(f"{out} holds files but no checkpoint to continue: choose another folder, or ask "
                                 "for mode='overwrite' to delete it.")
        if latest is not None:
            stored = stored_config(latest)
            differ = self.config.differences(stored)
            if differ:
                raise RunExistsError(f"{out} holds a run with other settings ({'; '.join(differ)}): resume it as it "
                                     f"was ({stored.command()} --resume) or choose another folder.")
            meta = snapshots.read_meta(latest)
            self.seconds_before = meta["train_seconds"]
            self._truncate_logs(meta["num_timesteps"])
        return latest

    def _truncate_logs(self, steps: int) -> None:
        """Drop the log rows written after the checkpoint (a kill between a log line and the next checkpoint)."""
        evaluations = self.logs / "evaluations.jsonl"
        kept = [r for r in _read_jsonl(evaluations) if r["steps"] <= steps]
        if evaluations.exists():
            snapshots.write_atomic(evaluations, "".join(json.dumps(r) + "\n" for r in kept))
        episodes = self.logs / "episodes.csv"
        if episodes.exists():
            lines = episodes.read_text().splitlines()
            body = [line for line in lines[1:] if line and int(line.split(",")[0]) <= steps]
            snapshots.write_atomic(episodes, "\n".join(lines[:1] + body) + "\n")
        diagnostics.truncate(self.logs, steps)

    # --- the model ---------------------------------------------------------------------------------------
    def load_checkpoint(self, venv) -> tuple[A2C, VecNormalize]:
        """The interrupted run's model and statistics (training mode) on ``venv``: step count and schedule kept."""
        from utils.walkers.loading import load_vec_normalize

        env = load_vec_normalize(self.checkpoint / snapshots.STATS, venv)
        env.training, env.norm_reward = True, self.config.recipe.norm_reward
        return A2C.load(self.checkpoint / snapshots.MODEL, env=env, device="cpu"), env

    def remaining(self, model) -> int:
        return max(self.config.timesteps - model.num_timesteps, 0)

    @contextlib.contextmanager
    def training(self, model, on_eval=None):
        """Around ``model.learn``: yields its callback; on the way out, whatever happened (end, Ctrl-C, error),
        saves a checkpoint, closes the logs and the progress bar, and says how to resume. Ctrl-C is absorbed."""
        self.model, self.venv = model, model.get_env()
        model.set_logger(diagnostics.logger(self.logs))
        self.log(f"resume from {self.checkpoint.name} at {model.num_timesteps} steps" if self.checkpoint
                 else f"start: {self.config.env_id}, {self.config.timesteps} steps, seed {self.config.seed}")
        self.write_setup()
        callback = CourseCallback(self, on_eval)
        self.resume_clock()
        failed = True
        try:
            yield callback
            failed = False
        except KeyboardInterrupt:
            self.log(f"interrupted at {model.num_timesteps} steps")
            print(f"Interrupted at {model.num_timesteps:,} steps; the model so far is saved in {self.out}/checkpoints. "
                  f"Run the cell again to continue, or: {self.config.command()} --resume")
        except Exception as error:
            self.log(f"stopped at {model.num_timesteps} steps by {type(error).__name__}")
            print(f"Training stopped by {type(error).__name__} at {model.num_timesteps:,} steps; the model so far is "
                  f"saved in {self.out}/checkpoints. Once fixed, continue with: python -m utils.train --out {self.out} --resume")
            raise
        finally:
            self.pause_clock()
            callback.close()
            model.logger.close()
            self.checkpoint_now()
            self.write_setup()
        self.interrupted = failed

    def finish(self) -> None:
        """After training: the last policy and the log line (only when training was not interrupted)."""
        if self.interrupted:
            return
        snapshots.save_snapshot(self.out / "last", self.model, self.venv, self.meta())
        self.log(f"done: {self.model.num_timesteps} steps in {self.train_seconds():.0f} s of training")

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
        c = self.config
        return {"env_id": c.env_id, "seed": c.seed, "target_timesteps": c.timesteps,
                "train_seconds": round(self.train_seconds(), 2), "recipe": c.recipe.to_dict(), "config": c.to_dict()}

    def record_evaluation(self, record: dict, model) -> None:
        best = max((r["mean"] for r in self.evaluations), default=float("-inf"))
        self.evaluations.append(record)
        with open(self.logs / "evaluations.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        walked = f", {record['distance']:.2f} m, {record['falls']} falls" if "distance" in record else ""
        self.log(f"eval at {record['steps']} steps: {record['mean']:.1f} ± {record['std']:.1f}{walked}")
        if record["mean"] > best:
            snapshots.save_snapshot(self.out / "best", model, model.get_env(), {**self.meta(), "evaluation": record})

    def checkpoint_now(self) -> None:
        """Save a checkpoint, unless the latest one is already at the current step."""
        latest = snapshots.latest_snapshot(self.out / "checkpoints")
        if latest is not None and snapshots.read_meta(latest)["num_timesteps"] == self.model.num_timesteps:
            return
        snapshots.save_snapshot(self.out / "checkpoints", self.model, self.venv, self.meta())
        self.log(f"checkpoint at {self.model.num_timesteps} steps")

    def write_setup(self) -> None:
        c = self.config
        setup = {**self.meta(), "eval_every": c.eval_every, "eval_episodes": c.eval_episodes,
                 "checkpoint_every": c.checkpoint_every, "versions": versions(), "command": c.command()}
        snapshots.write_atomic(self.logs / "run.json", json.dumps(setup, indent=1))


def recipe_envs(recipe: A2CRecipe, env_id: str, seed: int):
    """The recipe's training copies (before ``VecNormalize``): notebook 05's ``make_vec_env`` call."""
    return make_vec(env_id, n_envs=recipe.n_envs, seed=seed, parallel=recipe.parallel, alive_bonus=recipe.alive_bonus)


def new_model(recipe: A2CRecipe, env_id: str, seed: int) -> tuple[A2C, VecNormalize]:
    """The environments and the untrained model of a recipe: the calls notebook 05 spells out in its cells."""
    env = VecNormalize(recipe_envs(recipe, env_id, seed), **recipe.vec_normalize_kwargs())
    return A2C("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **recipe.a2c_kwargs()), env


@single_threaded  # tiny MLPs: one torch thread is faster, and never stalls on a busy core (utils.course.threads)
def train(config: RunConfig, mode: str = "new", on_eval=None) -> TrainResult:
    """Train A2C as ``config`` says, with evaluations, checkpoints and a package (see :class:`Run` for ``mode``).

    Interrupting (Ctrl-C, or the notebook's stop button) saves a checkpoint and returns the model trained so far.
    ``on_eval(evaluations)`` is called after each periodic evaluation and ends training early by returning ``False``.
    """
    run = Run(config, mode)
    if run.finished:
        print(f"{run.out} holds this run, finished: nothing to train (choose another folder, or overwrite it).")
        return TrainResult(None, run.out, run.evaluations, results=_package(run))
    recipe = config.recipe
    if run.checkpoint is None:
        model, env = new_model(recipe, config.env_id, config.seed)
    else:
        model, env = run.load_checkpoint(recipe_envs(recipe, config.env_id, config.seed))
    try:
        with run.training(model, on_eval) as callback:
            if run.remaining(model):
                model.learn(run.remaining(model), callback=callback, reset_num_timesteps=run.checkpoint is None)
    finally:
        env.close()
    if run.interrupted:
        return TrainResult(model, run.out, run.evaluations, interrupted=True)
    run.finish()
    return TrainResult(model, run.out, run.evaluations, results=_package(run))


def _package(run: Run) -> dict | None:
    """The run's package results: read back if it is packaged already, made now if the configuration asks for it."""
    done = run.out / "results.json"
    if done.exists():
        return json.loads(done.read_text())
    if not run.config.package:
        return None
    from utils.walkers.hub import package_run

    c = run.config
    return package_run(run.out, final_episodes=c.final_episodes, seed=c.seed, video_steps=c.video_steps)
