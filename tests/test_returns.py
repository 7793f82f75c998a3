"""The estimators of ``utils.theory.returns`` against values computed by hand (the arithmetic is in the comments)."""
import numpy as np
import pytest

from utils.theory.returns import (episode_return, full_returns, gae, n_step_returns, reward_to_go, td_errors,
                           td_targets)


def test_reward_to_go_undiscounted():
    # 1+2+3 = 6, 2+3 = 5, 3
    np.testing.assert_allclose(reward_to_go([1, 2, 3]), [6, 5, 3])


def test_reward_to_go_discounted():
    # gamma = 0.5: G_2 = 3, G_1 = 2 + 0.5*3 = 3.5, G_0 = 1 + 0.5*3.5 = 2.75
    np.testing.assert_allclose(reward_to_go([1, 2, 3], gamma=0.5), [2.75, 3.5, 3.0])


def test_reward_to_go_cartpole_like():
    # four rewards of 1 with gamma 0.9: 1 + .9 + .81 + .729 = 3.439, 2.71, 1.9, 1
    np.testing.assert_allclose(reward_to_go([1, 1, 1, 1], gamma=0.9), [3.439, 2.71, 1.9, 1.0])


def test_reward_to_go_vectorised_columns_are_independent():
    rewards = np.array([[1, 0], [2, 0], [3, 1]])
    np.testing.assert_allclose(reward_to_go(rewards, 0.5), [[2.75, 0.25], [3.5, 0.5], [3.0, 1.0]])


def test_episode_and_full_returns():
    # G_0 with gamma 0.5: 1 + 0.5*2 + 0.25*3 = 2.75, repeated for every step
    assert episode_return([1, 2, 3], 0.5) == pytest.approx(2.75)
    assert episode_return([1, 2, 3]) == pytest.approx(6.0)
    np.testing.assert_allclose(full_returns([1, 2, 3], 0.5), [2.75, 2.75, 2.75])


def test_td_target_and_error_terminal_and_truncated():
    rewards = [1.0, 1.0, 1.0]
    values = [10.0, 9.0, 8.0]
    next_values = [9.0, 8.0, 7.0]
    terminated = [False, True, False]  # step 1 is a true terminal: no bootstrap
    # step 2 is truncated: truncation does not appear here at all, V(final obs)=7 is bootstrapped
    # targets: 1 + .9*9 = 9.1;  1 + 0 = 1;  1 + .9*7 = 7.3
    np.testing.assert_allclose(td_targets(rewards, next_values, terminated, 0.9), [9.1, 1.0, 7.3])
    # errors: 9.1 - 10 = -0.9;  1 - 9 = -8;  7.3 - 8 = -0.7
    np.testing.assert_allclose(td_errors(rewards, values, next_values, terminated, 0.9), [-0.9, -8.0, -0.7])


def test_gae_single_episode_lambda_0_and_1():
    rewards = [1.0, 1.0, 1.0]
    values = [3.0, 2.0, 1.0]
    next_values = [2.0, 1.0, 0.5]
    terminated = [False, False, True]  # the last step ends the episode: V(s_3) = 0.5 must be ignored
    # deltas with gamma 1: 1+2-3 = 0, 1+1-2 = 0, 1+0-1 = 0
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, None, 1.0, 0.95), [0, 0, 0])
    values = [2.0, 2.0, 2.0]
    next_values = [2.0, 2.0, 2.0]
    # gamma .5: deltas: 1+1-2 = 0, 0, 1+0-2 = -1
    # lam 0: A = deltas;  lam 1: A_2 = -1, A_1 = 0 + .5*(-1) = -0.5, A_0 = 0 + .5*(-.5) = -0.25
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, None, 0.5, 0.0), [0, 0, -1])
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, None, 0.5, 1.0), [-0.25, -0.5, -1])
    # lam 1 equals reward-to-go minus V: G = [1.75, 1.5, 1] - 2
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, None, 0.5, 1.0),
                               reward_to_go(rewards, 0.5) - 2.0)


def test_gae_truncated_bootstraps_but_does_not_leak_into_next_episode():
    # steps 0-1: episode A, truncated at step 1 (V(final obs) = 4); steps 2-3: episode B, rollout ends at 3
    rewards = [1.0, 1.0, 1.0, 1.0]
    values = [2.0, 2.0, 2.0, 2.0]
    next_values = [2.0, 4.0, 2.0, 2.0]
    terminated = [False, False, False, False]
    truncated = [False, True, False, False]
    gamma, lam = 0.5, 0.5
    # deltas: 1+.5*2-2 = 0;  1+.5*4-2 = 1 (bootstrapped through the truncation);  0;  0
    # A_3 = 0 (rollout end, bootstrapped by delta_3);  A_2 = 0 + .25*0 = 0
    # A_1 = 1 (the recursion stops: A_2 belongs to episode B);  A_0 = 0 + .25*1 = 0.25
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, truncated, gamma, lam),
                               [0.25, 1.0, 0.0, 0.0])


def test_gae_terminal_inside_rollout():
    rewards = [1.0, 1.0, 1.0]
    values = [1.0, 1.0, 1.0]
    next_values = [1.0, 5.0, 1.0]  # V after the terminal step (5) must not be used
    terminated = [False, True, False]
    # gamma 1, lam 1: deltas: 1+1-1 = 1;  1+0-1 = 0;  1+1-1 = 1
    # A_2 = 1;  A_1 = 0 (stops: terminal);  A_0 = 1 + 0 = 1
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, None, 1.0, 1.0), [1.0, 0.0, 1.0])


def test_gae_vectorised_matches_columns():
    rng = np.random.default_rng(0)
    r, v, nv = rng.normal(size=(3, 6, 2))
    te = rng.random((6, 2)) < 0.2
    tr = rng.random((6, 2)) < 0.2
    both = gae(r, v, nv, te, tr, 0.9, 0.8)
    for j in range(2):
        np.testing.assert_allclose(both[:, j], gae(r[:, j], v[:, j], nv[:, j], te[:, j], tr[:, j], 0.9, 0.8))


def test_n_step_returns_by_hand():
    rewards = [1.0, 2.0, 3.0, 4.0]
    next_values = [10.0, 20.0, 30.0, 40.0]
    terminated = [False, False, False, False]
    gamma = 0.5
    # n=1: TD targets: 1+.5*10 = 6, 2+.5*20 = 12, 3+.5*30 = 18, 4+.5*40 = 24
    np.testing.assert_allclose(n_step_returns(rewards, next_values, terminated, None, gamma, 1), [6, 12, 18, 24])
    # n=2: 1 + .5*2 + .25*20 = 7;  2 + .5*3 + .25*30 = 11;  3 + .5*4 + .25*40 = 15;  t=3 runs out: 24
    np.testing.assert_allclose(n_step_returns(rewards, next_values, terminated, None, gamma, 2), [7, 11, 15, 24])


def test_n_step_returns_terminal_and_truncated():
    rewards = [1.0, 1.0, 1.0, 1.0]
    next_values = [8.0, 8.0, 8.0, 8.0]
    gamma = 0.5
    # terminal at step 1: t=0: 1 + .5*1 = 1.5 (nothing after);  t=1: 1
    # t=2 (n=3, runs out at 3): 1 + .5*1 + .25*8 = 3.5;  t=3: 1 + .5*8 = 5
    np.testing.assert_allclose(
        n_step_returns(rewards, next_values, [False, True, False, False], None, gamma, 3), [1.5, 1.0, 3.5, 5.0])
    # truncated at step 1 instead: t=0: 1 + .5*1 + .25*8 = 3.5;  t=1: 1 + .5*8 = 5; the rest as before
    np.testing.assert_allclose(
        n_step_returns(rewards, next_values, None, [False, True, False, False], gamma, 3), [3.5, 5.0, 3.5, 5.0])


def test_n_step_long_equals_reward_to_go_for_a_finished_episode():
    rewards = [1.0, 0.0, 2.0, 1.0]
    terminated = [False, False, False, True]
    np.testing.assert_allclose(n_step_returns(rewards, np.full(4, 99.0), terminated, None, 0.9, 10),
                               reward_to_go(rewards, 0.9))


def test_gae_lambda_1_equals_long_n_step_minus_values():
    rng = np.random.default_rng(1)
    rewards, values, next_values = rng.normal(size=(3, 7))
    terminated = np.array([0, 0, 1, 0, 0, 0, 0], bool)
    truncated = np.array([0, 0, 0, 0, 1, 0, 0], bool)
    # consistency across episode boundaries needs V(s_{t+1}) = values[t+1] inside an episode
    next_values[[0, 1, 3, 5]] = values[[1, 2, 4, 6]]
    advantages = gae(rewards, values, next_values, terminated, truncated, 0.9, 1.0)
    np.testing.assert_allclose(advantages + values, n_step_returns(rewards, next_values, terminated, truncated, 0.9, 100))
    # and lam 0 is the TD error
    np.testing.assert_allclose(gae(rewards, values, next_values, terminated, truncated, 0.9, 0.0),
                               td_errors(rewards, values, next_values, terminated, 0.9))


def test_n_must_be_positive():
    with pytest.raises(ValueError, match="n must be at least 1"):
        n_step_returns([1.0], [0.0], None, None, 0.9, 0)


def test_n_step_returns_vectorised_matches_columns():
    rng = np.random.default_rng(2)
    r, nv = rng.normal(size=(2, 9, 3))
    te = rng.random((9, 3)) < 0.2
    tr = rng.random((9, 3)) < 0.2
    both = n_step_returns(r, nv, te, tr, 0.9, 4)
    for j in range(3):
        np.testing.assert_allclose(both[:, j], n_step_returns(r[:, j], nv[:, j], te[:, j], tr[:, j], 0.9, 4))
