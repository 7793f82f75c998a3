"""Measuring the noise of policy-gradient estimates on CartPole with a fixed, frozen policy.

Introduced in notebook 01 (the variance of Monte-Carlo returns); notebook 03 reuses the same set-up to compare
baselines, TD errors and GAE. The plan is the same in both:

1. :func:`fixed_policy`: a small seeded MLP, briefly trained with REINFORCE so that episodes vary in length,
   then frozen;
2. :func:`utils.theory.episodes.collect_episodes`: many independent episodes of that policy;
3. :func:`score_vectors`: ``grad_theta log pi(a_t|s_t)`` for every step, one row per step (``torch.func``);
4. :func:`per_episode_gradients`: each episode's gradient estimate ``sum_t score_t * psi_t`` for any weights
   ``psi`` (full return, reward-to-go, advantages ...): one independent sample of the estimator per episode;
5. :func:`batch_variance` and :func:`signal_power`: the variance of the batch mean over disjoint batches, the
   signal and the number of episodes a given signal-to-noise ratio costs.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from utils.theory.episodes import Episodes, collect_episodes
from utils.theory.reinforce import reinforce_update
from utils.theory.returns import full_returns, gae, n_step_returns, reward_to_go, td_errors
from utils.course.threads import single_threaded


class PolicyNet(nn.Module):
    """``pi_theta(a|s)``: observation -> action logits, one tanh hidden layer (small, so per-step gradients are cheap)."""

    def __init__(self, obs_dim: int = 4, n_actions: int = 2, hidden: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_actions))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


@single_threaded
def fixed_policy(seed: int = 0, updates: int = 20, episodes_per_update: int = 16, lr: float = 0.01,
                 hidden: int = 32, progress: bool = True) -> PolicyNet:
    """A seeded :class:`PolicyNet` after ``updates`` undiscounted REINFORCE steps (notebook 01's update), frozen.

    A freshly initialised network drops the pole in ~20 steps every time; a few updates make it good
    enough that episode lengths spread out, which is the regime where the variance problem shows.
    """
    torch.manual_seed(seed)
    policy = PolicyNet(hidden=hidden)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    for update in tqdm(range(updates), desc="REINFORCE warm-up", disable=not progress, leave=False):
        episodes = collect_episodes(policy, episodes_per_update, seed=seed * 1000 + update, progress=False)
        reinforce_update(policy, optimizer, episodes, gamma=1.0)
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


def estimator_weights(episodes: Episodes, value, n_steps=(5, 20), lambdas=(0.9, 0.95, 1.0),
                      gamma: float = 1.0) -> dict[str, np.ndarray]:
    """The per-step weight ``psi_t`` of every estimator compared in notebook 03, from :mod:`utils.theory.returns`.

    ``value`` maps states to ``V(s)``. Every episode ends with a terminated or truncated step, so the n-step
    sums and the GAE recursion over the concatenated episodes stop at each episode boundary by themselves.
    """
    values, next_values = value(episodes.obs), value(episodes.next_obs)
    rtg = episodes.per_step(lambda r: reward_to_go(r, gamma))
    weights = {
        "(a) full return": episodes.per_step(lambda r: full_returns(r, gamma)),
        "(b) reward-to-go": rtg,
        "(c) reward-to-go − V(s)": rtg - values,
        "(d) TD error (1-step)": td_errors(episodes.rewards, values, next_values, episodes.terminated, gamma),
    }
    for n in n_steps:
        weights[f"(e) {n}-step return − V(s)"] = n_step_returns(episodes.rewards, next_values, episodes.terminated,
                                                                 episodes.truncated, gamma, n) - values
    for lam in lambdas:
        weights[f"(f) GAE λ={lam}"] = gae(episodes.rewards, values, next_values, episodes.terminated,
                                          episodes.truncated, gamma, lam)
    return weights


def compare_estimators(grads: dict[str, np.ndarray], reference: np.ndarray, reference_variance: float,
                       reference_episodes: int) -> list[dict]:
    """One row per estimator: its variance, and its bias against a reference gradient from other episodes.

    Sampling noise inflates ``||mean - reference||^2`` by ``variance / M + reference_variance / M_ref`` on
    average, and ``||reference||^2`` by ``reference_variance / M_ref``; both are subtracted, as in
    :func:`signal_power`, so ``relative_bias`` estimates ``||E g - grad J|| / ||grad J||`` and is about 0 for an
    unbiased estimator. ``noise_floor`` is the size of that sampling noise relative to ``||grad J||``: a bias
    well below it is not resolved. ``episodes_for_snr1 = variance / ||grad J||^2``.
    """
    reference_noise = reference_variance / reference_episodes
    signal = float(np.sum(reference ** 2)) - reference_noise  # unbiased ||grad J||^2
    first = None
    rows = []
    for name, g in grads.items():
        variance = total_variance(g)
        first = variance if first is None else first
        noise = variance / len(g) + reference_noise
        miss = float(np.sum((g.mean(0) - reference) ** 2))
        rows.append({
            "estimator": name, "variance": variance, "variance_vs_a": variance / first,
            "relative_bias": float(np.sqrt(max(miss - noise, 0.0) / signal)),
            "noise_floor": float(np.sqrt(noise / signal)),
            "cosine": float(g.mean(0) @ reference / (np.linalg.norm(g.mean(0)) * np.linalg.norm(reference))),
            "episodes_for_snr1": variance / signal,
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
