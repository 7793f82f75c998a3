"""Evaluating an agent honestly: deterministic episodes with the normalisation statistics frozen.

Introduced in notebook 04. The classic mistake is to evaluate through a ``VecNormalize`` still in training
mode: it keeps updating the statistics and reports normalised rewards. :func:`evaluate` refuses that.
"""
from __future__ import annotations

import numpy as np
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecNormalize

from utils.envs import make_vec


class NormalizationModeError(ValueError):
    """Evaluation through a VecNormalize that still updates its statistics or normalises rewards."""


def check_frozen(env: VecNormalize) -> None:
    """Raise a one-line error unless ``env`` is in evaluation mode (``training=False, norm_reward=False``)."""
    if env.training or env.norm_reward:
        raise NormalizationModeError(
            f"VecNormalize is in training mode (training={env.training}, norm_reward={env.norm_reward}): "
            "evaluation would update the statistics and report normalised rewards. "
            "Set env.training = False and env.norm_reward = False (utils.loading.load_agent does both)."
        )


def frozen_env(env_id: str, stats: VecNormalize, seed: int = 0) -> VecNormalize:
    """One evaluation environment normalised with a copy of ``stats``'s observation statistics, frozen.

    To evaluate from a saved ``vec_normalize.pkl``, use :func:`utils.loading.load_agent`.
    """
    env = VecNormalize(make_vec(env_id, n_envs=1, seed=seed), norm_obs=stats.norm_obs, norm_reward=False,
                       clip_obs=stats.clip_obs, training=False)
    env.obs_rms = stats.obs_rms.copy() if stats.norm_obs else None
    return env


def pass_score(returns) -> float:
    """The Hugging Face course's pass score: mean minus (population) standard deviation of episode returns."""
    returns = np.asarray(returns, dtype=float)
    return float(returns.mean() - returns.std())


def evaluate(model, env: VecNormalize, episodes: int = 10, deterministic: bool = True) -> dict:
    """Mean and std of the return over ``episodes`` episodes, plus every episode's return and length."""
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}.")
    check_frozen(env)
    returns, lengths = evaluate_policy(
        model, env, n_eval_episodes=episodes, deterministic=deterministic, return_episode_rewards=True, warn=False
    )
    return {
        "mean_reward": float(np.mean(returns)), "std_reward": float(np.std(returns)),
        "pass_score": pass_score(returns), "episodes": episodes,
        "episode_rewards": [float(r) for r in returns], "episode_lengths": [int(n) for n in lengths],
        "deterministic": deterministic,
    }
