"""The variance experiment's machinery: episodes, per-episode gradients, variance estimates (notebooks 01 and 03)."""
import numpy as np
import torch

from utils.pg_variance import (PolicyNet, batch_variance, collect_episodes, episode_gradients, episodes_for_snr,
                               estimator_weights, signal_power, total_variance)
from utils.returns import full_returns, reward_to_go


def small_policy(seed=0):
    torch.manual_seed(seed)
    return PolicyNet(hidden=8).requires_grad_(False)


def test_episodes_are_complete_and_reproducible():
    policy = small_policy()
    a = collect_episodes(policy, 12, seed=5, batch=5, progress=False)
    b = collect_episodes(policy, 12, seed=5, batch=5, progress=False)
    assert len(a) == 12 and a.lengths.sum() == len(a.rewards) == len(a.obs)
    np.testing.assert_array_equal(a.actions, b.actions)
    ends = np.cumsum(a.lengths) - 1
    assert np.all(a.terminated[ends] | a.truncated[ends]), "every episode ends with a done flag"
    inner = np.setdiff1d(np.arange(len(a.rewards)), ends)
    assert not np.any(a.terminated[inner] | a.truncated[inner]), "and only its last step has one"
    # inside an episode, s_{t+1} is the next row's s_t
    np.testing.assert_allclose(a.next_obs[inner], a.obs[inner + 1])
    np.testing.assert_allclose(a.returns(), a.lengths)  # CartPole: reward 1 per step


def test_per_episode_gradients_match_autograd():
    policy = small_policy(1)
    episodes = collect_episodes(policy, 6, seed=2, progress=False)
    weights = {"rtg": episodes.per_step(reward_to_go), "full": episodes.per_step(full_returns)}
    grads = episode_gradients(policy, episodes, weights, chunk_episodes=4, progress=False)
    net = PolicyNet(hidden=8)
    net.load_state_dict(policy.state_dict())
    for i, (lo, n) in enumerate(zip(episodes.starts, episodes.lengths)):
        obs = torch.as_tensor(episodes.obs[lo:lo + n])
        logp = torch.log_softmax(net(obs), -1).gather(1, torch.as_tensor(episodes.actions[lo:lo + n])[:, None])[:, 0]
        w = torch.as_tensor(weights["rtg"][lo:lo + n], dtype=torch.float32)
        expected = torch.cat([g.flatten() for g in torch.autograd.grad((logp * w).sum(), list(net.parameters()))])
        np.testing.assert_allclose(grads["rtg"][i], expected.numpy(), rtol=1e-4, atol=1e-4)


def test_variance_estimates_on_synthetic_gradients():
    rng = np.random.default_rng(0)
    mean = np.array([1.0, -2.0, 0.5])
    samples = mean + rng.normal(scale=[3.0, 1.0, 2.0], size=(20_000, 3))
    sigma2 = 9 + 1 + 4
    assert abs(total_variance(samples) - sigma2) / sigma2 < 0.03
    assert abs(signal_power(samples) - np.sum(mean ** 2)) < 0.1
    measured = batch_variance(samples, [1, 10, 100], shuffles=5)
    for n, v in measured.items():
        assert abs(v - sigma2 / n) / (sigma2 / n) < 0.15, (n, v)
    assert episodes_for_snr(sigma2, 5.25, 1) == sigma2 / 5.25
    assert episodes_for_snr(sigma2, -1.0, 1) == float("inf")


def test_estimator_weights_special_cases():
    policy = small_policy(2)
    episodes = collect_episodes(policy, 5, seed=3, progress=False)
    weights = estimator_weights(episodes, lambda s: np.zeros(len(s)), lambdas=[0.0, 1.0])
    # with V = 0: (c) = (b), TD error = reward, GAE(1) = reward-to-go (no truncation in 5 short episodes)
    np.testing.assert_allclose(weights["(c) reward-to-go − V(s)"], weights["(b) reward-to-go"])
    np.testing.assert_allclose(weights["(d) TD error (TD(0))"], episodes.rewards)
    np.testing.assert_allclose(weights["(e) GAE λ=0.0"], episodes.rewards)
    np.testing.assert_allclose(weights["(e) GAE λ=1.0"], weights["(b) reward-to-go"])
