"""Complete CartPole episodes, many of them played side by side in the numpy-vectorised environment.

Introduced in notebook 01: the variance measurements and REINFORCE both learn from whole episodes.
Notebook 03 reuses them for the advantage estimators and REINFORCE with a learned baseline.
"""
from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from utils.course.threads import single_threaded

ENV_ID = "CartPole-v1"


@dataclass
class Episodes:
    """Complete episodes stored end to end: step arrays of length ``sum(lengths)`` plus episode boundaries."""

    obs: np.ndarray          # (steps, 4) s_t
    actions: np.ndarray      # (steps,)   a_t
    rewards: np.ndarray      # (steps,)   r_t
    next_obs: np.ndarray     # (steps, 4) s_{t+1}, the real final state at the last step
    terminated: np.ndarray   # (steps,)   True at the last step if the pole fell
    truncated: np.ndarray    # (steps,)   True at the last step if the 500-step limit cut the episode
    lengths: np.ndarray      # (episodes,)

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(int)

    def __len__(self) -> int:
        return len(self.lengths)

    def split(self, steps: np.ndarray) -> list[np.ndarray]:
        """Cut a per-step array into one array per episode."""
        return np.split(steps, np.cumsum(self.lengths)[:-1])

    def returns(self) -> np.ndarray:
        """Undiscounted return of every episode (CartPole: its length)."""
        return np.add.reduceat(self.rewards, self.starts)

    def per_step(self, fn) -> np.ndarray:
        """Apply ``fn(episode_rewards) -> per-step weights`` to every episode and join the results."""
        return np.concatenate([fn(r) for r in self.split(self.rewards)])


@single_threaded
def collect_episodes(policy: nn.Module, n_episodes: int, seed: int, batch: int = 256,
                     progress: bool = True, desc: str = "episodes") -> Episodes:
    """Run ``n_episodes`` independent episodes of ``policy`` (actions sampled), ``batch`` of them side by side.

    Each environment of the vectorised CartPole contributes its *first* episode only, so every episode starts
    from a fresh random state and episodes are independent. Seeded: the same call gives the same episodes.
    """
    generator = torch.Generator().manual_seed(seed)
    parts, lengths = [], []
    bar = tqdm(total=n_episodes, desc=desc, disable=not progress, leave=False)
    for chunk, start in enumerate(range(0, n_episodes, batch)):
        n = min(batch, n_episodes - start)
        env = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point")
        obs, _ = env.reset(seed=seed * 10_007 + chunk)
        alive = np.ones(n, dtype=bool)
        steps = []  # per time step: (alive mask, obs, action, reward, next_obs, terminated, truncated)
        while alive.any():
            with torch.no_grad():
                logits = policy(torch.as_tensor(obs))
            actions = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1).numpy()
            next_obs, rewards, terminated, truncated, _ = env.step(actions)
            steps.append((alive.copy(), obs, actions, rewards, next_obs, terminated, truncated))
            alive &= ~(terminated | truncated)
            obs = next_obs
        env.close()
        mask, *fields = (np.stack([s[k] for s in steps]) for k in range(7))  # each (time, env, ...)
        for i in range(n):  # reorder time-major data into one block per episode
            parts.append([f[mask[:, i], i] for f in fields])
            lengths.append(int(mask[:, i].sum()))
        bar.update(n)
    bar.close()
    fields = [np.concatenate([p[k] for p in parts]) for k in range(6)]
    return Episodes(fields[0].astype(np.float32), fields[1].astype(np.int64), fields[2].astype(np.float64),
                    fields[3].astype(np.float32), fields[4].astype(bool), fields[5].astype(bool),
                    np.array(lengths))
