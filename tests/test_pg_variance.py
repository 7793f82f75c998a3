"""The variance experiment's machinery: episodes, per-episode gradients, variance estimates (notebooks 01 and 03)."""
import numpy as np
import pytest
import torch

from utils.theory.episodes import collect_episodes
from utils.theory.pg_variance import (PolicyNet, batch_variance, compare_estimators, episode_gradients, episodes_for_snr,
                               estimator_weights, signal_power, total_variance)
from utils.theory.returns import full_returns, n_step_returns, reward_to_go


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
    weights = estimator_weights(episodes, lambda s: np.zeros(len(s)), n_steps=[1, 1000], lambdas=[0.0, 1.0])
    # with V = 0: (c) = (b), TD error = 1-step return = GAE(0) = reward,
    # a 1000-step return and GAE(1) = reward-to-go (no truncation in 5 short episodes)
    np.testing.assert_allclose(weights["(c) reward-to-go − V(s)"], weights["(b) reward-to-go"])
    for name in ("(d) TD error (1-step)", "(e) 1-step return − V(s)", "(f) GAE λ=0.0"):
        np.testing.assert_allclose(weights[name], episodes.rewards)
    for name in ("(e) 1000-step return − V(s)", "(f) GAE λ=1.0"):
        np.testing.assert_allclose(weights[name], weights["(b) reward-to-go"])


def test_n_step_weights_stop_at_episode_boundaries():
    policy = small_policy(3)
    episodes = collect_episodes(policy, 6, seed=4, progress=False)
    value = lambda s: s[:, 0] + 1.0  # noqa: E731 - any state function will do
    weights = estimator_weights(episodes, value, n_steps=[3], lambdas=[])
    values, next_values = value(episodes.obs), value(episodes.next_obs)
    one_by_one = np.concatenate([
        n_step_returns(r, nv, te, tr, 1.0, 3) - v for r, nv, te, tr, v in zip(
            *(episodes.split(a) for a in (episodes.rewards, next_values, episodes.terminated, episodes.truncated,
                                          values)))])
    np.testing.assert_allclose(weights["(e) 3-step return − V(s)"], one_by_one)


def test_compare_estimators_removes_the_sampling_noise_from_the_bias():
    rng = np.random.default_rng(0)
    true = np.full(50, 0.2)  # ||grad J|| = sqrt(50 * 0.04) = 1.41
    unbiased = true + rng.normal(size=(4000, 50))
    biased = true + np.r_[0.1, np.zeros(49)] + rng.normal(size=(4000, 50))  # bias 0.1 / 1.41 = 0.071
    reference = true + rng.normal(size=(8000, 50))
    rows = compare_estimators({"unbiased": unbiased, "biased": biased}, reference.mean(0),
                              total_variance(reference), len(reference))
    # the raw miss of the unbiased one is sqrt(50/4000 + 50/8000) / 1.41 = 0.097; de-biased it is near 0
    assert rows[0]["noise_floor"] == pytest.approx(0.097, abs=0.005)
    assert rows[0]["relative_bias"] < 0.04
    assert rows[1]["relative_bias"] == pytest.approx(0.071, abs=0.03)
    assert rows[1]["variance_vs_a"] == pytest.approx(1.0, abs=0.05)
