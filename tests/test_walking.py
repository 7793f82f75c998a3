"""Measuring what a walker does: distance, falls, the training-only alive bonus, the reward's terms."""
import gymnasium as gym
import numpy as np
import pytest

from utils.walkers.envs import make_env
from utils.walkers.walking import REWARD_TERMS, ScaleAliveBonus, WalkingMonitor, reward_terms, summarise

WALKER = "Walker2DBulletEnv-v0"


def play(env, seed=0, action=None):
    """One episode; returns the rewards and the final info."""
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    rewards = []
    while True:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample() if action is None else action)
        rewards.append(reward)
        if terminated or truncated:
            return np.array(rewards), info, terminated


def test_alive_bonus_scale_changes_the_training_reward_by_the_alive_term():
    plain, scaled = make_env(WALKER), ScaleAliveBonus(make_env(WALKER), 0.25)
    plain.reset(seed=3), scaled.reset(seed=3)
    plain.action_space.seed(3)
    for _ in range(20):
        action = plain.action_space.sample()
        _, r_plain, done, _, _ = plain.step(action)
        _, r_scaled, _, _, _ = scaled.step(action)
        assert r_scaled == pytest.approx(r_plain - 0.75 * plain.unwrapped.rewards[0], abs=1e-9)
        assert plain.unwrapped.rewards[0] != 0  # the alive term is there to scale
        if done:
            break


def test_a_fall_is_a_termination_and_the_distance_is_the_torsos():
    env = WalkingMonitor(make_env(WALKER))
    env.reset(seed=0)
    start = env.unwrapped.robot.body_xyz[0]
    _, info, terminated = play(env, seed=0)  # random torques: the biped falls within a few dozen steps
    assert terminated and info["walking"]["fell"]
    assert info["walking"]["distance"] == pytest.approx(env.unwrapped.robot.body_xyz[0] - start, abs=1e-3)
    assert info["walking"]["speed"] == pytest.approx(info["walking"]["distance"] / (info["walking"]["length"] * 0.0165))


def test_reaching_the_time_limit_is_not_a_fall():
    env = WalkingMonitor(gym.wrappers.TimeLimit(make_env(WALKER).unwrapped, max_episode_steps=5))
    _, info, terminated = play(env, seed=0, action=np.zeros(6))
    assert not terminated and info["walking"] == {**info["walking"], "fell": False, "length": 5}


def test_reward_terms_add_up_to_the_reward_and_track_the_torso():
    env = make_env(WALKER)
    episode = reward_terms(env, lambda obs: np.zeros(6), steps=30, seed=1)
    total = sum(episode[t] for t in REWARD_TERMS)
    rewards, _, _ = play(make_env(WALKER), seed=1, action=np.zeros(6))
    assert np.allclose(total, rewards[:len(total)])
    assert episode["xy"].shape == (len(total) + 1, 2)


def test_summarise_counts_falls_and_averages_distance():
    walks = [{"distance": 2.0, "speed": 1.0, "fell": True}, {"distance": 4.0, "speed": 3.0, "fell": False}]
    assert summarise(walks) == {"mean_distance": 3.0, "std_distance": 1.0, "mean_speed": 2.0, "falls": 1}
