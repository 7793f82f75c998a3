"""The from-scratch agents and the SB3 comparison run end to end on tiny budgets (notebooks 02 and 03)."""
import numpy as np
import torch

from utils.a2c_compare import final_scores, sb3_actor, sb3_kwargs, train_sb3
from utils.a2c_scratch import A2CConfig, ActorCritic
from utils.a2c_scratch import train as train_a2c
from utils.actor_critic import ACConfig, evaluate, value_vs_returns
from utils.actor_critic import train as train_ac
from utils.threads import torch_threads


def test_one_step_actor_critic_runs_and_logs():
    result = train_ac(ACConfig(max_steps=600, eval_every=5, eval_episodes=3), progress=False)
    assert result.episode_returns and len(result.episode_returns) == len(result.episode_end_steps)
    assert sum(result.episode_returns) <= 600
    assert result.evaluations and all(0 < score <= 500 for _, score in result.evaluations)
    data = value_vs_returns(result.actor, result.critic, episodes=2)
    assert set(data) == {"value", "observed", "t", "episode", "truncated"}
    assert len(data["value"]) == len(data["observed"]) and data["observed"][-1] == 1.0  # last step: one reward


def test_evaluate_counts_first_episodes_only():
    torch.manual_seed(0)
    returns = evaluate(ActorCritic(4, 2), episodes=4, seed=1)
    assert returns.shape == (4,) and np.all((returns >= 8) & (returns <= 500))


def test_a2c_scratch_runs_and_logs():
    config = A2CConfig(total_timesteps=2_000, n_envs=4, n_steps=5)
    result = train_a2c(config, progress=False)
    assert result.episode_returns and result.episode_end_steps[-1] <= 2_000
    assert np.all(np.diff(result.episode_end_steps) >= 0)
    assert final_scores(result.model, episodes=3)["mean"] > 0


def test_sb3_gets_the_same_hyperparameters():
    config = A2CConfig(learning_rate=1e-3, n_steps=7, gae_lambda=0.9, ent_coef=0.01, seed=3)
    kwargs = sb3_kwargs(config)
    assert kwargs["n_steps"] == 7 and kwargs["gae_lambda"] == 0.9 and kwargs["ent_coef"] == 0.01
    assert kwargs["learning_rate"](1.0) == 1e-3 and kwargs["learning_rate"](0.5) == 5e-4
    assert kwargs["normalize_advantage"] is False and kwargs["seed"] == 3
    result = train_sb3(A2CConfig(total_timesteps=800, n_envs=4), progress=False)
    assert result.episode_returns and final_scores(sb3_actor(result.model), episodes=2)["mean"] > 0


def test_threads_are_restored():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
