"""Measuring the noise of policy-gradient estimates on CartPole with a fixed, frozen policy.

Introduced in notebook 01 (the variance of Monte-Carlo returns); notebook 03 reuses the same set-up to compare
baselines, TD errors and GAE. The plan is the same in both:

1. :func:`fixed_policy`: a small seeded MLP, briefly trained with REINFORCE so that episodes vary in length,
   then frozen;
2. :func:`collect_episodes`: many independent episodes of that policy (CartPole's numpy-vectorised env, fast);
3. :func:`score_vectors`: ``grad_theta log pi(a_t|s_t)`` for every step, one row per step (``torch.func``);
4. :func:`per_episode_gradients`: each episode's gradient estimate ``sum_t score_t * psi_t`` for any weights
   ``psi`` (full return, reward-to-go, advantages ...): one independent sample of the estimator per episode;
5. :func:`batch_variance` and :func:`summarise`: the variance of the batch mean over disjoint batches, the
   signal and the number of episodes a given signal-to-noise ratio costs.
"""
from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from utils.returns import reward_to_go
from utils.threads import single_threaded

ENV_ID = "CartPole-v1"


class PolicyNet(nn.Module):
    """``pi_theta(a|s)``: observation -> action logits, one tanh hidden layer (small, so per-step gradients are cheap)."""

    def __init__(self, obs_dim: int = 4, n_actions: int = 2, hidden: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_actions))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


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


def reinforce_update(policy: nn.Module, optimizer: torch.optim.Optimizer, episodes: Episodes) -> None:
    """One REINFORCE step with reward-to-go: ascend ``mean over episodes of sum_t log pi(a_t|s_t) G_t``."""
    weights = torch.as_tensor(episodes.per_step(reward_to_go), dtype=torch.float32)
    logp = torch.log_softmax(policy(torch.as_tensor(episodes.obs)), -1)
    logp = logp.gather(1, torch.as_tensor(episodes.actions)[:, None]).squeeze(1)
    loss = -(logp * weights).sum() / len(episodes)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@single_threaded
def fixed_policy(seed: int = 0, updates: int = 20, episodes_per_update: int = 16, lr: float = 0.01,
                 hidden: int = 32, progress: bool = True) -> PolicyNet:
    """A seeded :class:`PolicyNet` after ``updates`` REINFORCE steps, frozen (no gradients are kept on it).

    A freshly initialised network drops the pole in ~20 steps every time; a few updates make it good
    enough that episode lengths spread out, which is the regime where the variance problem shows.
    """
    torch.manual_seed(seed)
    policy = PolicyNet(hidden=hidden)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    for update in tqdm(range(updates), desc="REINFORCE warm-up", disable=not progress, leave=False):
        reinforce_update(policy, optimizer, collect_episodes(policy, episodes_per_update, seed=seed * 1000 + update,
                                                             progress=False))
    return policy.eval().requires_grad_(False)


def parameter_count(policy: nn.Module) -> int:
    return sum(p.numel() for p in policy.parameters())


def score_vectors(policy: nn.Module, obs: np.ndarray, actions: np.ndarray, chunk: int = 20_000) -> np.ndarray:
    """``grad_theta log pi(a_t|s_t)`` for every step, flattened over all parameters: shape ``(steps, n_params)``."""
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in policy.named_parameters()}

    def log_prob(p, o, a):
        logits = functional_call(policy, p, (o[None],))[0]
        return torch.log_softmax(logits, -1).gather(0, a[None])[0]

    per_step = vmap(grad(log_prob), in_dims=(None, 0, 0))
    rows = []
    for start in range(0, len(actions), chunk):
        o = torch.as_tensor(obs[start:start + chunk])
        a = torch.as_tensor(actions[start:start + chunk])
        g = per_step(params, o, a)
        rows.append(torch.cat([g[name].reshape(len(a), -1) for name in params], 1).numpy())
    return np.concatenate(rows)


def per_episode_gradients(scores: np.ndarray, weights: np.ndarray, episodes: Episodes) -> np.ndarray:
    """Each episode's estimate ``g_i = sum_t grad log pi(a_t|s_t) * psi_t``: shape ``(episodes, n_params)``."""
    return np.add.reduceat(scores * np.asarray(weights, dtype=np.float32)[:, None], episodes.starts, axis=0)


@single_threaded
def episode_gradients(policy: nn.Module, episodes: Episodes, weights: dict[str, np.ndarray],
                      chunk_episodes: int = 500, progress: bool = True) -> dict[str, np.ndarray]:
    """Per-episode gradient estimates for several weightings ``psi`` at once: ``{name: (episodes, n_params)}``.

    The score vectors are computed a block of episodes at a time and never all kept, so memory stays small.
    """
    out = {name: [] for name in weights}
    ends = np.cumsum(episodes.lengths)
    for first in tqdm(range(0, len(episodes), chunk_episodes), desc="per-step gradients", disable=not progress,
                      leave=False):
        last = min(first + chunk_episodes, len(episodes))
        lo, hi = (ends[first - 1] if first else 0), ends[last - 1]
        block = Episodes(episodes.obs[lo:hi], episodes.actions[lo:hi], episodes.rewards[lo:hi],
                         episodes.next_obs[lo:hi], episodes.terminated[lo:hi], episodes.truncated[lo:hi],
                         episodes.lengths[first:last])
        scores = score_vectors(policy, block.obs, block.actions)
        for name, w in weights.items():
            out[name].append(per_episode_gradients(scores, w[lo:hi], block))
    return {name: np.concatenate(parts) for name, parts in out.items()}


def total_variance(grads: np.ndarray) -> float:
    """Trace of the covariance of one sample: ``E||g - E g||^2``, summed over parameters (unbiased, ddof=1)."""
    return float(np.sum(np.var(grads, axis=0, ddof=1)))


def signal_power(grads: np.ndarray) -> float:
    """Unbiased estimate of ``||E g||^2``: ``||mean||^2`` minus the part the sampling noise adds (``trace Cov / M``)."""
    return float(np.sum(grads.mean(0) ** 2) - total_variance(grads) / len(grads))


def batch_variance(grads: np.ndarray, batch_sizes, shuffles: int = 20, seed: int = 0) -> dict[int, float]:
    """Measured variance of the batch-mean gradient for each batch size ``N``.

    The ``M`` per-episode gradients are shuffled and cut into ``M // N`` disjoint batches (independent, since
    the episodes are); the variance across those batch means is averaged over ``shuffles`` random shuffles.
    """
    rng = np.random.default_rng(seed)
    measured = {}
    for n in batch_sizes:
        k = len(grads) // n
        if k < 2:
            raise ValueError(f"batch size {n} leaves fewer than 2 batches out of {len(grads)} episodes.")
        estimates = []
        for _ in range(shuffles):
            batches = grads[rng.permutation(len(grads))[:k * n]].reshape(k, n, -1).mean(1)
            estimates.append(total_variance(batches))
        measured[n] = float(np.mean(estimates))
    return measured


def episodes_for_snr(variance_per_episode: float, signal: float, snr: float) -> float:
    """Batch size ``N`` at which ``||E g||^2 / (variance / N)`` reaches ``snr``."""
    return snr * variance_per_episode / signal if signal > 0 else float("inf")


# ------------------------------------------------------------------------------------- notebook 03 additions
@single_threaded
def fit_value_function(episodes: Episodes, gamma: float = 1.0, epochs: int = 20, hidden: int = 64, lr: float = 1e-3,
                       seed: int = 0, progress: bool = True) -> nn.Module:
    """A critic ``V(s)`` for the fixed policy: an MLP regressed on the reward-to-go observed from each state.

    Fit it on episodes *other* than those the gradients are measured on, so that the baseline cannot depend
    on the actions it is subtracted from (which would bias the estimate).
    """
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(episodes.obs.shape[1], hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                        nn.Linear(hidden, 1))
    obs = torch.as_tensor(episodes.obs)
    targets = torch.as_tensor(episodes.per_step(lambda r: reward_to_go(r, gamma)), dtype=torch.float32)
    scale = float(targets.abs().mean())  # regress on scaled targets: the same step size works for any return scale
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc="fitting V(s)", disable=not progress, leave=False):
        for idx in torch.randperm(len(obs), generator=generator).split(256):
            loss = (net(obs[idx]).squeeze(1) - targets[idx] / scale).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    net.requires_grad_(False)

    @single_threaded
    def value(states: np.ndarray) -> np.ndarray:
        return net(torch.as_tensor(states)).squeeze(1).numpy().astype(np.float64) * scale

    return value


def estimator_weights(episodes: Episodes, value, lambdas=(0.9, 0.95, 1.0), gamma: float = 1.0) -> dict[str, np.ndarray]:
    """The per-step weight ``psi_t`` of every estimator compared in notebook 03, from :mod:`utils.returns`.

    ``value`` maps states to ``V(s)``. Every episode ends with a terminated or truncated step, so the GAE
    recursion over the concatenated episodes restarts at each episode boundary by itself.
    """
    from utils.returns import full_returns, gae, td_errors

    values, next_values = value(episodes.obs), value(episodes.next_obs)
    rtg = episodes.per_step(lambda r: reward_to_go(r, gamma))
    weights = {
        "(a) full return": episodes.per_step(lambda r: full_returns(r, gamma)),
        "(b) reward-to-go": rtg,
        "(c) reward-to-go − V(s)": rtg - values,
        "(d) TD error (TD(0))": td_errors(episodes.rewards, values, next_values, episodes.terminated, gamma),
    }
    for lam in lambdas:
        weights[f"(e) GAE λ={lam}"] = gae(episodes.rewards, values, next_values, episodes.terminated,
                                          episodes.truncated, gamma, lam)
    return weights


def compare_estimators(grads: dict[str, np.ndarray], reference: np.ndarray, reference_variance: float,
                       reference_episodes: int) -> list[dict]:
    """One row per estimator: its variance, and how far its mean lies from the reference gradient.

    ``relative_error = ||mean - reference|| / ||reference||``; ``noise_floor`` is the value that error would
    take for an *unbiased* estimator from sampling noise alone (its own and the reference's), so an error well
    above the floor is bias. ``episodes_for_snr1 = variance / ||reference||^2``.
    """
    ref_norm2 = float(np.sum(reference ** 2))
    first = None
    rows = []
    for name, g in grads.items():
        variance = total_variance(g)
        first = variance if first is None else first
        noise = np.sqrt(variance / len(g) + reference_variance / reference_episodes)
        rows.append({
            "estimator": name, "variance": variance, "variance_vs_a": variance / first,
            "relative_error": float(np.linalg.norm(g.mean(0) - reference)) / np.sqrt(ref_norm2),
            "noise_floor": float(noise / np.sqrt(ref_norm2)),
            "cosine": float(g.mean(0) @ reference / (np.linalg.norm(g.mean(0)) * np.sqrt(ref_norm2))),
            "episodes_for_snr1": variance / ref_norm2,
        })
    return rows


def batch_cosines(grads: np.ndarray, n: int, reference: np.ndarray, seed: int = 0) -> np.ndarray:
    """Cosine between each disjoint batch-of-``n`` mean gradient and ``reference``: how well a step of that
    batch size points along the true gradient (1 = exactly, 0 = a random direction)."""
    rng = np.random.default_rng(seed)
    k = len(grads) // n
    if k < 1:
        raise ValueError(f"batch size {n} is larger than the {len(grads)} episodes available.")
    means = grads[rng.permutation(len(grads))[:k * n]].reshape(k, n, -1).mean(1)
    return means @ reference / (np.linalg.norm(means, axis=1) * np.linalg.norm(reference))
