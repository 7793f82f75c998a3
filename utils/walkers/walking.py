"""What a walker does, beside its score: distance walked, speed, falls, and the reward's terms.

Introduced in notebook 05. A Bullet walker earns +1 per step for staying upright (the alive bonus), so a
policy that stands still for 1000 steps scores about 1000 without moving. :class:`WalkingMonitor` records,
at the end of every episode, how far the torso moved forward and whether the episode ended in a fall;
:class:`ScaleAliveBonus` is the training-only reward change that makes standing still pay less than walking
(evaluation always uses the environment's own reward). It is reward shaping that is not potential-based (Ng, Harada
& Russell 1999): the return it removes grows with the episode's length, so it can change which policy is optimal.
Notebook 05 counts how many training seeds walked with it; not all did.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np

REWARD_TERMS = ("alive", "progress", "electricity", "joints_at_limit", "feet_collision")
"""The terms of a Bullet walker's reward, in the order of ``env.unwrapped.rewards`` (their sum is the reward)."""


def torso_xy(env: gym.Env) -> np.ndarray:
    """The (x, y) position of the robot's torso in metres; x is the walking direction."""
    return np.array(env.unwrapped.robot.body_xyz[:2], dtype=float)


class WalkingMonitor(gym.Wrapper):
    """Adds ``info["walking"]`` at the end of each episode: forward distance (m), speed (m/s), length, fall.

    A fall is an episode the environment *terminated* (the robot's torso got too low or tilted too far);
    reaching the time limit is a truncation, not a fall.
    """

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self._start, self._steps = torso_xy(self.env), 0
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._steps += 1
        if terminated or truncated:
            distance = float(torso_xy(self.env)[0] - self._start[0])
            seconds = self._steps * self.env.unwrapped.scene.dt
            info["walking"] = {"distance": distance, "speed": distance / seconds, "length": self._steps,
                               "fell": bool(terminated)}
        return obs, reward, terminated, truncated, info


class ScaleAliveBonus(gym.Wrapper):
    """Training-only reward: the alive bonus counts ``scale`` instead of 1 and the progress term counts
    ``progress_weight`` instead of 1 (``reward - (1 - scale) * alive + (progress_weight - 1) * progress``).
    ``scale`` may change during training (:class:`utils.walkers.callbacks.AliveBonusSchedule` sets it).

    With ``scale=1`` this is the environment's own reward. Models never see this wrapper: it changes what
    training optimises, and every published score comes from the unmodified environment. Not potential-based
    shaping: with ``scale < 1`` every step the robot stays up costs ``1 - scale`` (and a fall's -1 shrinks the same
    way), so the optimal policy of the training reward need not be the environment's.
    """

    def __init__(self, env: gym.Env, scale: float, progress_weight: float = 1.0):
        super().__init__(env)
        self.scale, self.progress_weight = float(scale), float(progress_weight)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        alive, progress = self.env.unwrapped.rewards[:2]
        reward = float(reward) - (1.0 - self.scale) * alive + (self.progress_weight - 1.0) * progress
        return obs, reward, terminated, truncated, info


def summarise(walks: list[dict]) -> dict:
    """Mean distance, its std, mean speed and the number of falls over a list of ``info["walking"]`` records."""
    distances = np.array([w["distance"] for w in walks], dtype=float)
    return {"mean_distance": float(distances.mean()), "std_distance": float(distances.std()),
            "mean_speed": float(np.mean([w["speed"] for w in walks])),
            "falls": int(sum(w["fell"] for w in walks))}


def reward_terms(env: gym.Env, policy, steps: int = 1000, seed: int = 0) -> dict:
    """Play one episode and return each reward term per step, and the torso's (x, y) track.

    ``env`` is a single (unwrapped-reward) environment; ``policy(obs) -> action``. Returns arrays keyed by
    :data:`REWARD_TERMS`, plus ``"xy"`` (steps x 2) and ``"fell"``.
    """
    obs, _ = env.reset(seed=seed)
    terms, track, fell = [], [torso_xy(env)], False
    for _ in range(steps):
        obs, _, terminated, truncated, _ = env.step(policy(obs))
        terms.append(list(env.unwrapped.rewards))
        track.append(torso_xy(env))
        if terminated or truncated:
            fell = bool(terminated)
            break
    terms = np.array(terms, dtype=float)
    return {**{name: terms[:, i] for i, name in enumerate(REWARD_TERMS)}, "xy": np.array(track), "fell": fell}


def agent_policy(model, vec_normalize):
    """``policy(obs) -> action`` for :func:`reward_terms`: the model's deterministic action on observations
    normalised with the agent's frozen statistics (``vec_normalize`` from :func:`utils.walkers.loading.load_agent`)."""
    return lambda obs: model.predict(vec_normalize.normalize_obs(obs), deterministic=True)[0]
