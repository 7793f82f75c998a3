"""PPO with one epoch, one minibatch and the A2C optimiser is A2C; then what PPO's extra epochs buy (notebook 06).

SB3's ``A2C`` and ``PPO`` collect rollouts with the same code. PPO's ``train`` then makes ``n_epochs`` passes over
the rollout in minibatches of ``batch_size`` and clips the probability ratio. With one pass over one minibatch (the
whole rollout), the policy that takes the gradient step is the one that collected the rollout: the ratio is 1, the
clip cannot act, and the gradient of PPO's objective is A2C's. Give PPO A2C's RMSprop (alpha 0.99, eps 1e-5) and the
same coefficients, and the two make the same models: Huang, Kanervisto, Raffin, Wang, Ontañón and Dossa,
"A2C is a special case of PPO" (2022, arXiv:2205.09123; code: github.com/vwxyzjn/a2c_is_a_special_case_of_ppo).
"""
from __future__ import annotations

import time

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecNormalize

from utils.course.threads import single_threaded
from utils.walkers.recipes import ALGORITHMS, A2CRecipe
from utils.walkers.runs import recipe_envs
from utils.walkers.scoring import evaluate, frozen_env

NO_CLIP = 1e9
"""A clip range no probability ratio reaches: PPO's objective without its clip."""


def ppo_kwargs(recipe: A2CRecipe, n_epochs: int = 1, clip_range: float = NO_CLIP) -> dict:
    """``PPO`` arguments with everything A2C-like from ``recipe``: its rollout as one minibatch, A2C's RMSprop."""
    kwargs = recipe.a2c_kwargs()
    use_rms_prop = kwargs.pop("use_rms_prop")
    if use_rms_prop:  # what A2C.__init__ puts into policy_kwargs (rms_prop_eps = 1e-5, SB3's default)
        kwargs["policy_kwargs"] = {**kwargs["policy_kwargs"], "optimizer_class": torch.optim.RMSprop,
                                   "optimizer_kwargs": dict(alpha=0.99, eps=1e-5, weight_decay=0)}
    return dict(kwargs, batch_size=recipe.n_steps * recipe.n_envs, n_epochs=n_epochs, clip_range=clip_range,
                clip_range_vf=None, target_kl=None)


def make_model(algo: str, recipe: A2CRecipe, env_id: str, seed: int, n_epochs: int = 1, clip_range: float = NO_CLIP):
    """A fresh ``A2C`` or ``PPO`` (``algo``) on the recipe's normalised environments; its env is ``model.get_env()``."""
    if algo not in ALGORITHMS:
        raise ValueError(f"algo must be one of {', '.join(ALGORITHMS)}, got {algo!r}.")
    env = VecNormalize(recipe_envs(recipe, env_id, seed), **recipe.vec_normalize_kwargs())
    kwargs = recipe.a2c_kwargs() if algo == "a2c" else ppo_kwargs(recipe, n_epochs, clip_range)
    return ALGORITHMS[algo]("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **kwargs)


class _Snapshots(BaseCallback):
    """The policy's parameters, flattened, after each update (read at the start of the next rollout, and at the end)."""

    def __init__(self):
        super().__init__()
        self.params = []

    def _snapshot(self):
        self.params.append(torch.cat([p.detach().flatten() for p in self.model.policy.parameters()]).numpy().copy())

    def _on_rollout_start(self) -> None:
        if self.num_timesteps:  # skip the untrained policy
            self._snapshot()

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        self._snapshot()


@single_threaded
def parameter_gaps(recipe: A2CRecipe, env_id: str, seed: int = 0, updates: int = 5, n_epochs: int = 1,
                   clip_range: float = NO_CLIP) -> np.ndarray:
    """Train ``A2C`` and ``PPO`` side by side (same recipe, environment and seed) for ``updates`` updates each; return
    the largest absolute difference between their parameters after each update."""
    params = []
    for algo in ("a2c", "ppo"):
        model = make_model(algo, recipe, env_id, seed, n_epochs, clip_range)
        snapshots = _Snapshots()
        model.learn(updates * recipe.n_steps * recipe.n_envs, callback=snapshots)
        model.get_env().close()
        params.append(np.array(snapshots.params))
    if params[0].shape != params[1].shape:
        raise RuntimeError(f"A2C and PPO have different parameters: shapes {params[0].shape} and {params[1].shape}.")
    return np.abs(params[0] - params[1]).max(axis=1)


class _Evaluations(BaseCallback):
    """Deterministic evaluations with the training statistics frozen, every ``every`` steps and at the end."""

    def __init__(self, env_id: str, every: int, episodes: int, seed: int, on_record=None):
        super().__init__()
        self.env_id, self.every, self.episodes, self.seed, self.on_record = env_id, every, episodes, seed, on_record
        self.next, self.records = every, []
        self.start, self.eval_seconds = time.perf_counter(), 0.0

    def _on_training_start(self) -> None:
        self.start = time.perf_counter()

    def _evaluate(self) -> None:
        begin = time.perf_counter()
        env = frozen_env(self.env_id, self.model.get_env(), seed=self.seed + 10_000 + len(self.records))
        result = evaluate(self.model, env, episodes=self.episodes)
        env.close()
        self.eval_seconds += time.perf_counter() - begin
        self.records.append({"steps": int(self.num_timesteps), "mean": result["mean_reward"],
                             "std": result["std_reward"], "distance": result.get("mean_distance", float("nan")),
                             "falls": result.get("falls", 0),
                             "wall": round(time.perf_counter() - self.start, 2),  # since learn() began, evals included
                             "train_wall": round(time.perf_counter() - self.start - self.eval_seconds, 2)})
        if self.on_record is not None:
            self.on_record(self.records[-1])

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next:
            self.next += self.every
            self._evaluate()
        return True

    def _on_training_end(self) -> None:
        if not self.records or self.records[-1]["steps"] != self.num_timesteps:
            self._evaluate()


@single_threaded
def learning_curve(algo: str, recipe: A2CRecipe, env_id: str, steps: int, seed: int = 0, n_epochs: int = 1,
                   clip_range: float = NO_CLIP, eval_every: int = 25_000, eval_episodes: int = 5,
                   on_record=None) -> list[dict]:
    """Train ``algo`` for ``steps`` steps; return its periodic evaluations (steps, mean, std, distance, falls, and
    the seconds since ``learn()`` began: ``wall`` with the evaluations, ``train_wall`` without). ``on_record(record)``
    is called after each evaluation (``scripts/ppo_epochs_spider.py`` writes its log line by line with it)."""
    model = make_model(algo, recipe, env_id, seed, n_epochs, clip_range)
    evaluations = _Evaluations(env_id, eval_every, eval_episodes, seed, on_record)
    try:
        model.learn(steps, callback=evaluations)
    finally:
        model.get_env().close()
    return evaluations.records
