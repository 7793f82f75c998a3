"""The reference: the Hugging Face Deep RL course's A2C recipe for the PyBullet walkers, verbatim.

``python benchmarks/reference_recipe.py ENV_ID STEPS [SEED]`` trains it without evaluation or checkpoints,
as the course's notebook did; the benchmarks time it as a whole process. ``tests/test_reference_recipe.py``
checks that ``utils.walkers.recipes.REFERENCE`` builds the same model.
"""
import sys

import pybullet_envs_gymnasium  # noqa: F401  (registers the Bullet ids)
from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize


def build(env_id: str, seed: int = 0) -> A2C:
    """The untrained model, on its normalised environments."""
    env = make_vec_env(env_id, n_envs=4, seed=seed)
    env = VecNormalize(env, norm_obs=True, norm_reward=True, clip_obs=10.0)
    return A2C(
        "MlpPolicy", env, gae_lambda=0.9, gamma=0.99, learning_rate=0.00096, max_grad_norm=0.5, n_steps=8,
        vf_coef=0.4, ent_coef=0.0, policy_kwargs=dict(log_std_init=-2, ortho_init=False),
        normalize_advantage=False, use_rms_prop=True, use_sde=True, seed=seed, verbose=0,
    )


def main(env_id: str, steps: int, seed: int = 0) -> None:
    build(env_id, seed).learn(steps)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
