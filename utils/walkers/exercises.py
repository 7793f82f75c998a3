"""Exercise checkers for notebooks 05-06 (training the walkers). Each checker says what differs."""
from __future__ import annotations

import numpy as np

from utils.walkers.scoring import pass_score

CHOICE_CASES = [  # in each, the highest mean is not the highest pass score, nor is the smallest spread
    ({"steady": [900.0, 940.0, 920.0], "lucky": [1600.0, 200.0, 1500.0], "still": [100.0, 100.0, 100.0]}, "steady"),
    ({"last": [2600.0, 2000.0, 2900.0], "best": [2400.0, 2500.0, 2450.0], "standing": [300.0, 301.0, 299.0]}, "best"),
]


def choose_policy(candidates: dict[str, list[float]]) -> str:
    """Reference solution: the candidate with the highest pass score (mean - std of its episode returns)."""
    return max(candidates, key=lambda name: pass_score(candidates[name]))


def check_choose_policy(fn) -> None:
    """Compare a learner's ``choose_policy`` with the reference on cases where mean and pass score disagree."""
    for candidates, expected in CHOICE_CASES:
        got = fn(candidates)
        if got != expected:
            scores = {k: f"mean {np.mean(v):.0f}, pass score {pass_score(v):.0f}" for k, v in candidates.items()}
            raise AssertionError(f"For {scores} you chose {got!r}; the pass score picks {expected!r}.")
    print("Correct: you ship the policy that walks reliably, not the one with the luckiest episodes.")


def frozen_eval_env(stats_path, env_id: str, seed: int):
    """Reference solution: a fresh one-copy environment with the saved statistics, frozen, rewards unscaled."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    from utils.walkers.envs import make_walking_env

    env = VecNormalize.load(str(stats_path), make_vec_env(make_walking_env, env_kwargs=dict(env_id=env_id),
                                                          n_envs=1, seed=seed))
    env.training = False
    env.norm_reward = False
    return env


def check_frozen_eval_env(fn, stats_path, env_id: str, training_env=None) -> None:
    """Run a learner's ``fn(stats_path, env_id, seed)`` and name the classic mistakes of an evaluation environment."""
    from stable_baselines3.common.vec_env import VecNormalize

    seed = 12_345
    env = fn(stats_path, env_id, seed)
    try:
        if training_env is not None and env is training_env:
            raise AssertionError("This is the training environment: evaluate on a fresh one, whose episodes (and "
                                 "seeds) played no part in training.")
        if not isinstance(env, VecNormalize):
            raise AssertionError(f"Got a {type(env).__name__}: the agent needs its normalisation statistics, "
                                 "loaded with VecNormalize.load(path, venv).")
        if env.training:
            raise AssertionError("The statistics are still training: every evaluation step would move the running "
                                 "means, so the agent is scored with statistics it was never trained on. Set training=False.")
        if env.norm_reward:
            raise AssertionError("Rewards are still normalised: the agent would be handed scaled rewards. "
                                 "Set norm_reward=False.")
        reference = frozen_eval_env(stats_path, env_id, seed)
        if not np.allclose(env.obs_rms.mean, reference.obs_rms.mean):
            raise AssertionError("These are not the saved statistics: load them from stats_path.")
        first, expected = env.reset(), reference.reset()
        reference.close()
        if not np.allclose(first, expected):
            raise AssertionError(f"The first observation differs from a copy seeded {seed}: seed the environment "
                                 "with the seed you are given (make_vec_env(..., seed=seed)).")
    finally:
        env.close()
    print("Correct: a fresh, seeded environment with the saved statistics frozen and the environment's own rewards.")
