"""A training run of A2C on a walker, in its folder: the plumbing around the SB3 calls of notebook 05.

Notebook 05 writes the pipeline itself (``make_vec_env``, ``VecNormalize``, ``A2C(...)``, ``learn``); :func:`train`
makes the same calls from a :class:`~utils.walkers.run_config.RunConfig` for ``python -m utils.train`` and the
search (a test checks that both give the same parameters). :class:`Run` is what they share: the folder, resume,
callbacks (:mod:`utils.walkers.callbacks`) and logs; the folder's layout is :mod:`utils.walkers.run_folder`'s.

Nothing is written before training starts: a configuration or folder that cannot run is refused first, and a run
that fails to start leaves its folder as it was.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from stable_baselines3.common.callbacks import CallbackList
from stable_baselines3.common.vec_env import VecNormalize

from utils.course.threads import single_threaded
from utils.walkers import diagnostics, run_folder
from utils.walkers.callbacks import (AliveBonusSchedule, Checkpoints, EpisodeLog, FrozenEvalCallback, ProgressBar,
                                     StopWhen)
from utils.walkers.envs import make_vec
from utils.walkers.recipes import ALGORITHM, ALGORITHMS, A2CRecipe
from utils.walkers.run_config import RunConfig
from utils.walkers.run_folder import RunFolderError

__all__ = ["Run", "RunConfig", "RunExistsError", "TrainResult", "new_model", "recipe_envs", "stored_config", "train"]


def stored_config(checkpoint: Path, meta: dict | None = None) -> RunConfig:
    """The configuration a checkpoint was saved with (one-line error for a checkpoint older than ``RunConfig``);
    ``meta``: its metadata, when read already. Only JSON is read: the pickles are verified where they are loaded."""
    meta = meta or run_folder.read_meta(checkpoint)
    if "config" not in meta:
        raise RunFolderError(f"{checkpoint} was saved before runs stored their configuration: resume it with the "
                             "course version that trained it.")
    return RunConfig.from_dict(meta["config"])


class RunExistsError(FileExistsError):
    """``out`` already holds a run that this call may not continue or replace."""


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: object | None
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


class Run:
    """One training run in its folder: what to resume, the callbacks, the clock, evaluations, snapshots, logs.

    ``mode`` says what an existing folder may become: ``"new"`` refuses it, ``"resume"`` needs a checkpoint,
    ``"continue"`` resumes a checkpoint if there is one and starts otherwise (what a notebook cell wants: re-running
    it never deletes a run), ``"overwrite"`` replaces a course run. A resumed run keeps the identity stored in its
    checkpoint (:attr:`RunConfig.IDENTITY`); asking for another one is refused with a one-line error.

    Creating a ``Run`` checks everything and writes nothing; the folder is created (and, to overwrite, the old run
    deleted) only when :meth:`training` starts, once the model exists.
    """

    MODES = ("new", "resume", "continue", "overwrite")

    def __init__(self, config: RunConfig, mode: str = "new"):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {', '.join(self.MODES)}, got {mode!r}.")
        self.config = config.check()
        self.out = Path(config.out)
        self.logs = self.out / run_folder.LOGS
        self.seconds_before = 0.0  # training seconds of earlier sessions (set from the checkpoint on resume)
        self.replace = False  # overwrite: the old run is deleted when training starts
        self.checkpoint_meta = {}  # the metadata of the checkpoint to resume from, read once
        self.checkpoint = self._prepare(mode)
        self.evaluations = [] if self.replace else run_folder.read_jsonl(self.logs / run_folder.EVALUATIONS)
        self._started = None
        self.model = self.venv = None
        self.interrupted = False

    @property
    def finished(self) -> bool:
        """The run reached its steps (or stopped at its score) and saved its last policy."""
        return not self.replace and run_folder.latest_snapshot(self.out / run_folder.LAST) is not None

    def _prepare(self, mode: str) -> Path | None:
        """Check the folder against ``mode``; return the checkpoint to resume from, if any. Writes nothing."""
        out = self.out
        _check_writable(out)
        held = out.is_dir() and any(out.iterdir())
        if mode == "overwrite":
            if held:
                run_folder.check_deletable(out)
                self.replace = True
            return None
        latest = run_folder.latest_snapshot(out / run_folder.CHECKPOINTS) if held else None
        if mode == "resume" and latest is None:
            raise FileNotFoundError(f"Nothing to resume: {out}/{run_folder.CHECKPOINTS} holds no checkpoint. "
                                    "Drop --resume to start a new run.")
        if mode == "new" and held:
            raise RunExistsError(f"{out} already holds a run or other files: pass --resume to continue a run, or "
                                 "choose another --out.")
        if mode == "continue" and held and latest is None:
            raise RunExistsError(f"{out} holds files but no checkpoint to continue: choose another folder, or ask "
                                 "for mode='overwrite' to replace a course run.")
        if latest is not None:
            self.checkpoint_meta = run_folder.read_meta(latest)
            stored = stored_config(latest, self.checkpoint_meta)
            differ = self.config.differences(stored)
            if differ:
                raise RunExistsError(f"{out} holds a run with other settings ({'; '.join(differ)}): resume it as it "
                                     f"was ({stored.command()} --resume) or choose another folder.")
            self.seconds_before = self.checkpoint_meta["train_seconds"]
        return latest

    def _start_folder(self) -> None:
        """Create the folder (deleting the old run first when overwriting) and cut the logs back to the checkpoint."""
        if self.replace:
            run_folder.check_deletable(self.out)  # again: the folder may have changed since the check
            shutil.rmtree(self.out)
            self.replace = False
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.checkpoint is not None:
            self._truncate_logs(self.checkpoint_meta["num_timesteps"])

    def _truncate_logs(self, steps: int) -> None:
        """Drop the log rows written after the checkpoint (a kill between a log line and the next checkpoint)."""
        evaluations = self.logs / run_folder.EVALUATIONS
        self.evaluations = [r for r in run_folder.read_jsonl(evaluations) if r.get("steps", steps + 1) <= steps]
        if evaluations.exists():
            run_folder.write_atomic(evaluations, "".join(json.dumps(r) + "\n" for r in self.evaluations))
        episodes = self.logs / run_folder.EPISODES
        if episodes.exists():
            lines = episodes.read_text(errors="replace").splitlines()
            body = [line for line in lines[1:] if _step_of(line) <= steps]  # a damaged line goes too
            run_folder.write_atomic(episodes, "\n".join(lines[:1] + body) + "\n")
        diagnostics.truncate(self.logs, steps)

    # --- the model ---------------------------------------------------------------------------------------
    def load_checkpoint(self, venv):
        """The interrupted run's model and statistics (training mode) on ``venv``: step count and schedule kept.
        Its files are verified here, just before unpickling, against the hashes recorded when it was written."""
        from utils.walkers.loading import load_vec_normalize

        folder = run_folder.verified_snapshot(self.checkpoint)
        env = load_vec_normalize(folder / run_folder.STATS, venv)
        env.training, env.norm_reward = True, self.config.recipe.norm_reward
        try:
            model = ALGORITHMS[ALGORITHM].load(folder / run_folder.MODEL, env=env, device="cpu")
        except Exception as error:  # SB3 raises many types on a damaged archive
            raise RunFolderError(f"{folder / run_folder.MODEL} could not be loaded ({type(error).__name__}).") from None
        return model, env

    def remaining(self, model) -> int:
        return max(self.config.timesteps - model.num_timesteps, 0)

    def callbacks(self, model, on_eval=None, should_stop=None) -> CallbackList:
        """SB3 callbacks of this run: progress bar, episode log, frozen evaluation, checkpoints (and a stop flag)."""
        c = self.config
        parts = [ProgressBar(self)] if c.progress else []
        parts.append(EpisodeLog(self.logs / run_folder.EPISODES))  # before the evaluation: once an evaluation is
        # reported, the episodes up to it are on disk (the search reads them: utils.walkers.search.early_signs)
        if c.eval_every:
            parts.append(FrozenEvalCallback(self, model.get_env(), on_eval))
        parts.append(Checkpoints(self))
        if c.recipe.alive_anneal > 0:
            parts.append(AliveBonusSchedule(c.recipe, c.timesteps))
        if should_stop is not None:
            parts.append(StopWhen(self, should_stop))
        return CallbackList(parts)

    @contextlib.contextmanager
    def training(self, model, on_eval=None, how_to_continue: str | None = None, should_stop=None):
        """Around ``model.learn``: creates the folder, yields the callbacks; on the way out, whatever happened (end,
        Ctrl-C, error), saves a checkpoint, closes the logs and the progress bar, and says what was kept and how to
        continue (``how_to_continue``; by default: run the cell again). Ctrl-C is absorbed."""
        self.model, self.venv = model, model.get_env()
        how_to_continue = how_to_continue or f"run the cell again to continue, or: {self.config.command()} --resume"
        self._start_folder()
        try:  # from here on, whatever happens leaves a checkpoint to resume from
            self.write_setup()
            model.set_logger(diagnostics.logger(self.logs))
            self.log(f"resume from {self.checkpoint.name} at {model.num_timesteps} steps" if self.checkpoint
                     else f"start: {self.config.env_id}, {self.config.timesteps} steps, seed {self.config.seed}")
            callbacks = self.callbacks(model, on_eval, should_stop)
        except BaseException:  # Ctrl-C or an error while starting: keep the model as a checkpoint, then say so
            with contextlib.suppress(Exception):
                self.checkpoint_now()
            raise
        self.resume_clock()
        failed = True
        try:
            yield callbacks
            failed = False
        except KeyboardInterrupt:
            self.log(f"interrupted at {model.num_timesteps} steps")
            print(f"Interrupted at {model.num_timesteps:,} steps; the model so far is saved in "
                  f"{self.out}/{run_folder.CHECKPOINTS}: {how_to_continue}")
        except Exception as error:
            self.log(f"stopped at {model.num_timesteps} steps by {type(error).__name__}")
            print(f"Training stopped by {type(error).__name__} at {model.num_timesteps:,} steps; the model so far is "
                  f"saved in {self.out}/{run_folder.CHECKPOINTS}. Once fixed, {how_to_continue}")
            raise
        finally:
            self.pause_clock()
            for callback in callbacks.callbacks:
                getattr(callback, "close", lambda: None)()
            if getattr(model, "_logger", None) is not None:  # set above, unless stopped before that
                model.logger.close()
            self.checkpoint_now()
            self.write_setup()
        self.interrupted = failed

    def finish(self) -> None:
        """After training: the last policy and the log line (only when training was not interrupted)."""
        if self.interrupted:
            return
        self.save_snapshot(run_folder.LAST)
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
        with open(self.logs / run_folder.TRAIN_LOG, "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")

    def meta(self) -> dict:
        c = self.config
        return {"env_id": c.env_id, "seed": c.seed, "target_timesteps": c.timesteps,
                "train_seconds": round(self.train_seconds(), 2), "recipe": c.recipe.to_dict(), "config": c.to_dict()}

    def record_evaluation(self, record: dict) -> None:
        self.evaluations.append(record)
        with open(self.logs / run_folder.EVALUATIONS, "a") as f:
            f.write(json.dumps(record) + "\n")
        walked = f", {record['distance']:.2f} m, {record['falls']} falls" if "distance" in record else ""
        self.log(f"eval at {record['steps']} steps: {record['mean']:.1f} ± {record['std']:.1f}{walked}")

    def save_snapshot(self, root: str, **extra) -> Path:
        """A snapshot of the model and statistics now, in ``checkpoints``, ``best`` or ``last``."""
        return run_folder.save_snapshot(self.out / root, self.model, self.venv, {**self.meta(), **extra})

    def checkpoint_now(self) -> None:
        """Save a checkpoint, unless the latest one is already at the current step."""
        latest = run_folder.latest_snapshot(self.out / run_folder.CHECKPOINTS)
        if latest is not None and run_folder.read_meta(latest)["num_timesteps"] == self.model.num_timesteps:
            return
        self.save_snapshot(run_folder.CHECKPOINTS)
        self.log(f"checkpoint at {self.model.num_timesteps} steps")

    def write_setup(self) -> None:
        c = self.config
        setup = {**self.meta(), "eval_every": c.eval_every, "eval_episodes": c.eval_episodes,
                 "checkpoint_every": c.checkpoint_every, "versions": versions(), "command": c.command()}
        run_folder.write_atomic(self.logs / run_folder.RUN_JSON, json.dumps(setup, indent=1))


def _step_of(line: str) -> float:
    """The step of an ``episodes.csv`` row (infinity for a damaged row)."""
    head = line.split(",", 1)[0]
    return int(head) if head.isdigit() else float("inf")


def _check_writable(out: Path) -> None:
    """A one-line error unless ``out`` is, or can be created as, a folder this process may write into."""
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise RunFolderError(f"--out {out}: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"--out {out}: no permission to write in {existing}.")


def recipe_envs(recipe: A2CRecipe, env_id: str, seed: int):
    """The recipe's training copies (before ``VecNormalize``): notebook 05's ``make_vec_env`` call."""
    return make_vec(env_id, n_envs=recipe.n_envs, seed=seed, parallel=recipe.parallel,
                    alive_bonus=recipe.alive_bonus_at(0.0), progress_weight=recipe.progress_weight,
                    reward_wrapper=recipe.alive_anneal > 0)


def new_model(recipe: A2CRecipe, env_id: str, seed: int):
    """The environments and the untrained model of a recipe: the calls notebook 05 spells out in its cells."""
    env = VecNormalize(recipe_envs(recipe, env_id, seed), **recipe.vec_normalize_kwargs())
    return ALGORITHMS[ALGORITHM]("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **recipe.a2c_kwargs()), env


@single_threaded  # tiny MLPs: one torch thread is faster, and never stalls on a busy core (utils.course.threads)
def train(config: RunConfig, mode: str = "new", on_eval=None, how_to_continue: str | None = None,
          should_stop=None) -> TrainResult:
    """Train A2C as ``config`` says, with evaluations, checkpoints and a package (see :class:`Run` for ``mode``).

    Interrupting (Ctrl-C, or the notebook's stop button) saves a checkpoint and returns the model trained so far;
    interrupting the packaging keeps the trained policies, and resuming completes the package.
    ``on_eval(evaluations)`` is called after each periodic evaluation and ends training early by returning ``False``;
    ``should_stop()``, polled while training, ends it early by returning true;
    ``how_to_continue`` is what an interruption's message advises (by default, the command that resumes the run).
    """
    run = Run(config, mode)
    resume = how_to_continue or f"continue with: python -m utils.train --out {run.out} --resume"
    if run.finished:
        print(f"{run.out} holds this run, finished: nothing to train (choose another folder, or overwrite it).")
        return _package(run, resume, None)
    recipe = config.recipe
    if run.checkpoint is None:
        model, env = new_model(recipe, config.env_id, config.seed)
    else:
        model, env = run.load_checkpoint(recipe_envs(recipe, config.env_id, config.seed))
    try:
        with run.training(model, on_eval, how_to_continue=resume, should_stop=should_stop) as callbacks:
            if run.remaining(model):
                model.learn(run.remaining(model), callback=callbacks, reset_num_timesteps=run.checkpoint is None)
    finally:
        env.close()
    if run.interrupted:
        return TrainResult(model, run.out, run.evaluations, interrupted=True)
    try:
        run.finish()
    except KeyboardInterrupt:
        print(f"Interrupted while saving the last policy: training is complete and kept in "
              f"{run.out}/{run_folder.CHECKPOINTS}; {resume}.")
        return TrainResult(model, run.out, run.evaluations, interrupted=True)
    return _package(run, resume, model)


def _package(run: Run, resume: str, model) -> TrainResult:
    """The run's result with its package: read back if the package is complete, (re)made now if the configuration
    asks for it (packaging is idempotent). Ctrl-C while packaging keeps the trained policies and says how to finish."""
    from utils.walkers.hub import package_run, packaged

    result = TrainResult(model, run.out, run.evaluations)
    c = run.config
    if packaged(run.out):
        result.results = run_folder.read_json(run.out / run_folder.RESULTS)
    elif c.package:
        try:
            result.results = package_run(run.out, final_episodes=c.final_episodes, seed=c.seed,
                                         video_steps=c.video_steps)
        except KeyboardInterrupt:
            print(f"Interrupted while packaging: training is complete and kept in {run.out}/{run_folder.LAST}; "
                  f"{resume} (it finishes the package).")
            result.interrupted = True
    return result
