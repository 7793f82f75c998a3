"""The SB3 callbacks of a training run, one job each, combined with SB3's ``CallbackList`` by
:meth:`utils.walkers.runs.Run.training`:

* :class:`ProgressBar`: a tqdm bar from the resumed step, with the last evaluation (SB3's ``ProgressBarCallback``
  draws with rich, which renders no widget in Jupyter and restarts its count at 0 on a resumed run);
* :class:`EpisodeLog`: every training episode's return, length and distance in ``logs/episodes.csv``;
* :class:`FrozenEvalCallback`: SB3's ``EvalCallback`` with frozen statistics, distance and falls, and crash-safe
  best snapshots (as RL Baselines3 Zoo's ``TrialEvalCallback`` subclasses it for its trials);
* :class:`Checkpoints`: crash-safe snapshots with the statistics and the run's configuration (SB3's
  ``CheckpointCallback`` writes loose files that a crash can leave half-written, and no pointer to the last one);
* :class:`AliveBonusSchedule`: the recipe's alive-bonus curriculum, set on the training copies before each rollout;
* :class:`StopWhen`: ends training as soon as a flag from outside is raised (the search's pruned trials).

Evaluations and checkpoints fall on multiples of their cadence in environment steps, counted from the run's
start, so a resumed run evaluates at the same steps as one that never stopped. Introduced in notebook 05.
"""
from __future__ import annotations

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback, StopTrainingOnRewardThreshold
from stable_baselines3.common.vec_env import sync_envs_normalization

from utils.walkers import run_folder
from utils.walkers.scoring import evaluate, frozen_env


def next_multiple(steps: int, every: int) -> int | None:
    """The first multiple of ``every`` after ``steps`` (None when ``every`` is 0: never)."""
    return (steps // every + 1) * every if every else None


class ProgressBar(BaseCallback):
    """A tqdm.auto bar (a widget in Jupyter, text in a terminal) over the run's steps, the last evaluation beside it."""

    def __init__(self, run):
        super().__init__()
        self.run, self.bar, self.shown = run, None, 0

    def _on_training_start(self) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.run.config.timesteps, initial=self.num_timesteps, unit="step",
                        desc=self.run.config.env_id, dynamic_ncols=True, mininterval=1.0)

    def _on_step(self) -> bool:
        self.bar.update(self.num_timesteps - self.bar.n)
        if len(self.run.evaluations) > self.shown:
            self.shown, last = len(self.run.evaluations), self.run.evaluations[-1]
            walked = f", {last['distance']:.1f} m, {last['falls']} falls" if "distance" in last else ""
            self.bar.set_postfix(eval=f"{last['mean']:.0f}±{last['std']:.0f}{walked}", refresh=False)
        return True

    def _on_training_end(self) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class EpisodeLog(BaseCallback):
    """Appends each finished training episode (steps, return, length, distance) to ``logs/episodes.csv``, line by
    line: a search reads a seed's early signs from it while the seed trains (:func:`utils.walkers.search.early_signs`)."""

    def __init__(self, path):
        super().__init__()
        self.path, self.file = path, None

    def _on_training_start(self) -> None:
        self.file = open(self.path, "a", buffering=1)
        if self.file.tell() == 0:
            self.file.write(",".join(run_folder.EPISODE_COLUMNS) + "\n")

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                distance = f"{info['walking']['distance']:.2f}" if "walking" in info else ""
                self.file.write(f"{self.num_timesteps},{info['episode']['r']:.2f},{info['episode']['l']},{distance}\n")
        return True

    def _on_training_end(self) -> None:
        self.close()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class AfterEvaluation(BaseCallback):
    """Calls ``function(evaluations)`` after each evaluation; ``False`` from it stops training (the search's pruning,
    notebook 05's live curve)."""

    def __init__(self, run, function):
        super().__init__()
        self.run, self.function = run, function

    def _on_step(self) -> bool:
        if self.function(self.run.evaluations) is False:
            self.run.log("stop: asked after an evaluation")
            return False
        return True


class StopWhen(BaseCallback):
    """Ends training within ``every`` calls (``every`` x the copies' environment steps) of ``should_stop()`` turning
    true. A search trial's seeds train in their own processes: when the trial is pruned on one round of evaluations,
    each seed stops there, instead of at its next evaluation (an eighth of a trial's budget later)."""

    def __init__(self, run, should_stop, every: int = 64):
        super().__init__()
        self.run, self.should_stop, self.every = run, should_stop, every

    def _on_step(self) -> bool:
        if self.n_calls % self.every == 0 and self.should_stop():
            self.run.log(f"stop: asked from outside at {self.num_timesteps} steps")
            return False
        return True


class FrozenEvalCallback(EvalCallback):
    """Every ``eval_every`` steps: ``eval_episodes`` deterministic episodes on a fresh copy of the environment seeded
    ``seed + 10_000 + k`` (the k-th evaluation), normalised with a frozen copy of the training statistics of that
    moment (SB3's ``sync_envs_normalization``); the run records the return, distance and falls, and a new best is
    saved as a snapshot in ``best/``. ``stop_at_score`` is SB3's ``StopTrainingOnRewardThreshold``; ``on_eval``
    runs after each evaluation."""

    def __init__(self, run, training_env, on_eval=None):
        config = run.config
        stop = (StopTrainingOnRewardThreshold(config.stop_at_score, verbose=0)
                if config.stop_at_score is not None else None)
        after = AfterEvaluation(run, on_eval) if on_eval is not None else None
        self.run = run
        super().__init__(eval_env=self._fresh_env(training_env), callback_on_new_best=stop, callback_after_eval=after,
                         n_eval_episodes=config.eval_episodes, eval_freq=config.eval_every, deterministic=True,
                         verbose=0)
        self.best_mean_reward = max((r["mean"] for r in run.evaluations), default=-np.inf)

    def _fresh_env(self, training_env):
        seed = self.run.config.seed + 10_000 + len(self.run.evaluations)
        return frozen_env(self.run.config.env_id, training_env, seed=seed)

    def _on_training_start(self) -> None:
        self.next_eval = next_multiple(self.num_timesteps, self.eval_freq)
        super()._on_training_start()

    def _on_step(self) -> bool:
        if self.num_timesteps < self.next_eval:
            return True
        self.next_eval = next_multiple(self.num_timesteps, self.eval_freq)
        run = self.run
        run.pause_clock()
        sync_envs_normalization(self.training_env, self.eval_env)
        result = evaluate(self.model, self.eval_env, episodes=self.n_eval_episodes, deterministic=self.deterministic)
        self.eval_env.close()
        self.eval_env = None
        record = {"steps": int(self.num_timesteps), "wall": round(run.train_seconds(), 2),
                  "mean": round(result["mean_reward"], 2), "std": round(result["std_reward"], 2),
                  "mean_length": round(float(np.mean(result["episode_lengths"])), 1)}
        if "mean_distance" in result:
            record.update(distance=round(result["mean_distance"], 2), falls=result["falls"])
        run.record_evaluation(record)
        self.eval_env = self._fresh_env(self.training_env)
        self.last_mean_reward = record["mean"]
        keep_going = True
        if record["mean"] > self.best_mean_reward:
            self.best_mean_reward = record["mean"]
            run.save_snapshot(run_folder.BEST, evaluation=record)
            if self.callback_on_new_best is not None and not self.callback_on_new_best.on_step():
                run.log(f"stop: evaluation reached {run.config.stop_at_score}")
                keep_going = False
        if self.callback is not None:
            keep_going = self.callback.on_step() and keep_going
        run.resume_clock()
        return keep_going

    def _on_training_end(self) -> None:
        self.close()

    def close(self) -> None:
        if self.eval_env is not None:
            self.eval_env.close()
            self.eval_env = None


class Checkpoints(BaseCallback):
    """A crash-safe checkpoint (model, statistics, configuration, hashes) every ``checkpoint_every`` steps."""

    def __init__(self, run):
        super().__init__()
        self.run = run

    def _on_training_start(self) -> None:
        self.next = next_multiple(self.num_timesteps, self.run.config.checkpoint_every)

    def _on_step(self) -> bool:
        if self.next is not None and self.num_timesteps >= self.next:
            self.next = next_multiple(self.num_timesteps, self.run.config.checkpoint_every)
            self.run.checkpoint_now()
        return True


class AliveBonusSchedule(BaseCallback):
    """Before each rollout, set the training copies' alive-bonus weight to ``recipe.alive_bonus_at(progress)``
    (``ScaleAliveBonus.scale``, through ``VecEnv.set_attr``). Computed from the model's step count, so a resumed run
    continues the schedule where it stopped, and the same in every copy and process."""

    def __init__(self, recipe, timesteps: int):
        super().__init__()
        self.recipe, self.timesteps = recipe, timesteps

    def _on_rollout_start(self) -> None:
        self.training_env.set_attr("scale", self.recipe.alive_bonus_at(self.num_timesteps / self.timesteps))

    def _on_step(self) -> bool:
        return True
