"""Making the walkers: single or vectorised environments by id, with the PyBullet ids always registered.

Introduced in notebook 00. ``pybullet_envs_gymnasium`` registers the Bullet ids when it is imported; the
factories below import it inside every process that builds an environment, so ``SubprocVecEnv`` workers
(started with forkserver) and :class:`utils.walkers.split_vec_env.SplitVecEnv` workers see the ids too.
"""
from __future__ import annotations

import difflib
import functools

import gymnasium as gym

from utils.course.quiet import register_bullet_envs, silence_c_output

WALKERS = ("Walker2DBulletEnv-v0", "AntBulletEnv-v0")


class UnknownEnvironmentError(ValueError):
    """An environment id that is not registered, with the close matches in its message."""


def bullet_ids() -> list[str]:
    """All registered PyBullet environment ids."""
    register_bullet_envs()
    return sorted(k for k, spec in gym.registry.items() if "pybullet" in str(spec.entry_point))


def check_env_id(env_id: str) -> str:
    """Return ``env_id`` if registered; otherwise raise a one-line error naming close matches and the Bullet ids."""
    register_bullet_envs()
    if env_id in gym.registry:
        return env_id
    close = difflib.get_close_matches(env_id, list(gym.registry), n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    raise UnknownEnvironmentError(
        f"Unknown environment id {env_id!r}. {hint}Bullet ids: {', '.join(bullet_ids())}."
    )


class QuietFirstReset(gym.Wrapper):
    """Hide PyBullet's ``argv[0]=`` banner, printed when the physics server connects on the first reset."""

    def __init__(self, env):
        super().__init__(env)
        self._connected = False

    def reset(self, **kwargs):
        if self._connected:
            return self.env.reset(**kwargs)
        with silence_c_output():
            result = self.env.reset(**kwargs)
        self._connected = True
        return result


def make_env(env_id: str, render_mode: str | None = None, **kwargs) -> gym.Env:
    """One environment by id (``render_mode="rgb_array"`` for frames and videos), quiet and id-checked; a Bullet
    walker asks PyBullet for its state in batches (:mod:`utils.walkers.batched_queries`: the same numbers, sooner)."""
    from utils.walkers.batched_queries import BatchedQueries

    check_env_id(env_id)
    with silence_c_output():
        env = gym.make(env_id, render_mode=render_mode, **kwargs)
    return QuietFirstReset(BatchedQueries(env))


def make_walking_env(env_id: str) -> gym.Env:
    """:func:`make_env` with :class:`utils.walkers.walking.WalkingMonitor` on the Bullet walkers (distance, falls)."""
    from utils.walkers.walking import WalkingMonitor

    env = make_env(env_id)
    return WalkingMonitor(env) if hasattr(env.unwrapped, "robot") else env


def make_vec(env_id: str, n_envs: int = 4, seed: int | None = 0, parallel: bool = False, alive_bonus: float = 1.0,
             progress_weight: float = 1.0, reward_wrapper: bool = False):
    """A vectorised environment of ``n_envs`` copies, each wrapped in ``Monitor`` (and ``WalkingMonitor``).

    ``alive_bonus`` or ``progress_weight`` != 1 (or ``reward_wrapper``, for a schedule that will change the weight)
    change the *training* reward (:class:`utils.walkers.walking.ScaleAliveBonus`, outside ``Monitor``, so the
    logged episode returns stay the environment's own).

    ``parallel=False`` steps them one after the other in this process (``DummyVecEnv``); ``parallel=True``
    splits them between this process and one worker process (:class:`utils.walkers.split_vec_env.SplitVecEnv`),
    which keeps both cores of a 2-core machine busy.
    """
    from stable_baselines3.common.env_util import make_vec_env

    check_env_id(env_id)
    if n_envs < 1:
        raise ValueError(f"n_envs must be at least 1, got {n_envs}.")
    vec_env_cls = None
    if parallel and n_envs > 1:
        from utils.walkers.split_vec_env import SplitVecEnv

        vec_env_cls = SplitVecEnv
    wrapper_class = wrapper_kwargs = None
    if reward_wrapper or alive_bonus != 1.0 or progress_weight != 1.0:
        from utils.walkers.walking import ScaleAliveBonus

        wrapper_class, wrapper_kwargs = ScaleAliveBonus, {"scale": alive_bonus, "progress_weight": progress_weight}
    return make_vec_env(
        functools.partial(make_walking_env, env_id), n_envs=n_envs, seed=seed, vec_env_cls=vec_env_cls,
        wrapper_class=wrapper_class, wrapper_kwargs=wrapper_kwargs,
    )
