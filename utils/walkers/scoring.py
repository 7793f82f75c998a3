"""Evaluating an agent honestly: deterministic episodes with the normalisation statistics frozen.

Introduced in notebook 05. The classic mistake is to evaluate through a ``VecNormalize`` still in training
mode: the returns it reports are still the environment's (``evaluate_policy`` reads them from the ``Monitor``
inside ``VecNormalize``), but the statistics keep moving, so the agent is scored with an input scaling it was not
trained with and two evaluations disagree. :func:`evaluate` refuses that.
"""
from __future__ import annotations

import numpy as np
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecNormalize

from utils.walkers.envs import make_vec
from utils.walkers.walking import summarise


class NormalizationModeError(ValueError):
    """Evaluation through a VecNormalize that still updates its statistics or normalises rewards."""


def check_frozen(env: VecNormalize) -> None:
    """Raise a one-line error unless ``env`` is in evaluation mode (``training=False, norm_reward=False``)."""
    if env.training or env.norm_reward:
        raise NormalizationModeError(
            f"VecNormalize is in training mode (training={env.training}, norm_reward={env.norm_reward}): "
            "evaluation would keep moving the statistics the agent is scored with. "
            "Set env.training = False and env.norm_reward = False (utils.walkers.loading.load_agent does both)."
        )


def frozen_env(env_id: str, stats: VecNormalize, seed: int = 0) -> VecNormalize:
    """One evaluation environment normalised with a copy of ``stats``'s observation statistics, frozen.

    To evaluate from a saved ``vec_normalize.pkl``, use :func:`utils.walkers.loading.load_agent`.
    """
    env = VecNormalize(make_vec(env_id, n_envs=1, seed=seed), norm_obs=stats.norm_obs, norm_reward=False,
                       clip_obs=stats.clip_obs, training=False)
    env.obs_rms = stats.obs_rms.copy() if stats.norm_obs else None
    return env


WALKS_METRES = 15.0
WALKS_MAX_FALLS = 0.1
"""A trained seed *walks* when its deterministic evaluation episodes average at least ``WALKS_METRES`` with falls in
at most this share of them (1 in 10): the biped's target in the course's issue tracker (issue 17)."""


def walks(result: dict) -> bool:
    """Whether an evaluation (``evaluate``'s result, or a row with ``mean_distance``, ``falls`` and ``episodes``)
    walked."""
    return result["mean_distance"] >= WALKS_METRES and result["falls"] <= WALKS_MAX_FALLS * result["episodes"]


def pass_score(returns) -> float:
    """The Hugging Face course's pass score: mean minus (population) standard deviation of episode returns."""
    returns = np.asarray(returns, dtype=float)
    return float(returns.mean() - returns.std())


def evaluate(model, env: VecNormalize, episodes: int = 10, deterministic: bool = True) -> dict:
    """Return and walking over ``episodes`` episodes: mean and std of the return, and for the Bullet walkers
    the mean forward distance (m), its std, the mean speed (m/s) and the falls; plus every episode's values."""
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}.")
    check_frozen(env)
    walks = []

    def record_walk(local_vars, _globals):
        if local_vars["done"] and "walking" in local_vars["info"] and len(walks) < episodes:
            walks.append(local_vars["info"]["walking"])

    returns, lengths = evaluate_policy(
        model, env, n_eval_episodes=episodes, deterministic=deterministic, return_episode_rewards=True, warn=False,
        callback=record_walk,
    )
    result = {
        "mean_reward": float(np.mean(returns)), "std_reward": float(np.std(returns)),
        "pass_score": pass_score(returns), "episodes": episodes,
        "episode_rewards": [float(r) for r in returns], "episode_lengths": [int(n) for n in lengths],
        "deterministic": deterministic,
    }
    if len(walks) == episodes:
        result.update(summarise(walks), episode_distances=[round(w["distance"], 3) for w in walks],
                      episode_falls=[w["fell"] for w in walks])
    return result
