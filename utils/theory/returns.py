"""What a policy-gradient step multiplies ``grad log pi(a_t|s_t)`` by: returns, TD errors and advantages.

Introduced in notebook 01 (returns, reward-to-go); notebook 02 adds the TD target and TD error, notebook 03
n-step returns and GAE. Notebooks 02-03 and :mod:`utils.theory.a2c_scratch` import them from here.

Conventions (the same for every function):

* arrays are time-major: shape ``(T,)`` for one trajectory or ``(T, n_envs)`` for a vectorised rollout;
* ``next_values[t]`` is the critic's value of the state actually reached after step ``t``, *before* any
  automatic reset, so at a time-limit truncation it is ``V(final observation)``;
* ``terminated[t]``: the episode ended in a true terminal state at step ``t`` (the pole fell): nothing follows,
  so nothing is bootstrapped;
* ``truncated[t]``: the episode was cut by a time limit at step ``t``: the state had a future, so its value is
  still bootstrapped, but the next array entry belongs to a new episode, so sums and recursions stop there.
"""
from __future__ import annotations

import numpy as np


def _floats(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _flags(x, like: np.ndarray) -> np.ndarray:
    """0/1 floats of the shape of ``like`` (``None`` means no flags)."""
    if x is None:
        return np.zeros_like(like)
    return np.broadcast_to(np.asarray(x, dtype=np.float64), like.shape)


def reward_to_go(rewards, gamma: float = 1.0) -> np.ndarray:
    """Discounted reward-to-go of one episode: ``G_t = r_t + gamma * G_{t+1}`` with ``G_T = 0``.

    ``G_t = sum_{k=t}^{T-1} gamma^(k-t) r_k``: the rewards that come *after* the action at ``t`` (and at ``t``),
    the only ones that action can influence.
    """
    rewards = _floats(rewards)
    returns = np.zeros_like(rewards)
    running = np.zeros_like(rewards[0]) if len(rewards) else 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def episode_return(rewards, gamma: float = 1.0) -> float:
    """The discounted return of the whole episode, ``G_0 = sum_t gamma^t r_t``."""
    rewards = _floats(rewards)
    return float(np.sum(rewards * gamma ** np.arange(len(rewards))))


def full_returns(rewards, gamma: float = 1.0) -> np.ndarray:
    """Vanilla REINFORCE's weight for every step: the whole episode's return ``G_0``, repeated ``T`` times."""
    rewards = _floats(rewards)
    return np.full_like(rewards, episode_return(rewards, gamma))


def td_targets(rewards, next_values, terminated, gamma: float) -> np.ndarray:
    """One-step TD target ``r_t + gamma * V(s_{t+1})``, with nothing bootstrapped after a true terminal state.

    A truncated step *is* bootstrapped (``next_values`` holds V of the final observation there).
    """
    rewards, next_values = _floats(rewards), _floats(next_values)
    return rewards + gamma * (1.0 - _flags(terminated, rewards)) * next_values


def td_errors(rewards, values, next_values, terminated, gamma: float) -> np.ndarray:
    """TD error ``delta_t = r_t + gamma * (1 - terminated_t) * V(s_{t+1}) - V(s_t)``, the one-step advantage."""
    return td_targets(rewards, next_values, terminated, gamma) - _floats(values)


def n_step_returns(rewards, next_values, terminated, truncated, gamma: float, n: int) -> np.ndarray:
    """n-step return ``G_t^(n) = r_t + ... + gamma^(n-1) r_{t+n-1} + gamma^n V(s_{t+n})``.

    The sum stops early where the episode ends: after a terminal step nothing is added, after a truncated
    step that step's ``V(final observation)`` is; at the end of the array it bootstraps from the last
    ``next_values``. ``n=1`` gives the TD target; ``n >= T`` the reward-to-go of an episode that ends in the array.
    Computed for every ``t`` at once, one look-ahead ``k = 0 .. n-1`` at a time.
    """
    rewards, next_values = _floats(rewards), _floats(next_values)
    terminated, truncated = _flags(terminated, rewards), _flags(truncated, rewards)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    T = len(rewards)
    returns = np.zeros_like(rewards)
    open_ = np.ones_like(rewards)  # open_[t] = 1 while the episode that was running at t has not ended yet
    for k in range(min(n, T)):
        now = slice(k, T)           # step t + k ...
        at = slice(0, T - k)        # ... seen from position t
        discount = gamma ** k
        returns[at] += open_[at] * discount * rewards[now]
        last = np.full(T - k, float(k == n - 1))  # 1 where the n steps, or the array, run out at step t + k
        last[-1] = 1.0
        last = last.reshape((-1,) + (1,) * (rewards.ndim - 1))
        # bootstrap where the episode ends by truncation, or where the n steps (or the array) run out
        boot = open_[at] * (1.0 - terminated[now]) * np.maximum(truncated[now], last)
        returns[at] += boot * discount * gamma * next_values[now]
        open_[at] = open_[at] * (1.0 - np.maximum(terminated[now], truncated[now]))
    return returns


def gae(rewards, values, next_values, terminated, truncated, gamma: float, lam: float) -> np.ndarray:
    """Generalised advantage estimation (Schulman et al., 2016): ``A_t = delta_t + gamma*lam*A_{t+1}``.

    ``delta_t`` is the TD error (:func:`td_errors`); the recursion stops where an episode ends (terminated *or*
    truncated), and at the end of the array, where ``A_T = 0`` (the last step's TD error already bootstraps).
    ``lam=0`` gives the TD error, ``lam=1`` the bootstrapped reward-to-go minus ``V(s_t)``.
    Value targets for the critic are ``gae(...) + values``.
    """
    rewards = _floats(rewards)
    deltas = td_errors(rewards, values, next_values, terminated, gamma)
    ends = np.maximum(_flags(terminated, rewards), _flags(truncated, rewards))
    advantages = np.zeros_like(rewards)
    running = np.zeros_like(rewards[0]) if len(rewards) else 0.0
    for t in reversed(range(len(rewards))):
        running = deltas[t] + gamma * lam * (1.0 - ends[t]) * running
        advantages[t] = running
    return advantages
