"""The from-scratch agents and the SB3 comparison run end to end on tiny budgets (notebooks 01-03)."""
import numpy as np
import pytest
import torch

from utils.theory.a2c_compare import final_scores, sb3_actor, sb3_kwargs, train_sb3
from utils.theory.a2c_scratch import A2CConfig
from utils.theory.a2c_scratch import train_a2c
from utils.theory.actor_critic import ACConfig, evaluate, value_vs_returns
from utils.theory.actor_critic import train_actor_critic as train_ac
from utils.theory.learning_curves import solved, steps_to_solve
from utils.theory.nets import ActorCritic
from utils.theory.reinforce import ReinforceConfig, baseline_update, reinforce_update, train_reinforce
from utils.course.threads import torch_threads


@pytest.mark.parametrize("update", [reinforce_update, baseline_update])
def test_reinforce_runs_and_logs_whole_batches(update):
    config = ReinforceConfig(max_steps=500, episodes_per_update=4)
    result = train_reinforce(config, update, progress=False)
    ends = np.asarray(result.episode_end_steps)
    assert len(result.episode_returns) == len(ends) and len(ends) % 4 == 0
    assert ends[-1] >= 500 and ends[-1] == sum(result.episode_returns)  # CartPole: one reward per step
    critic_moved = any(p.grad is not None and p.grad.abs().sum() > 0 for p in result.model.critic.parameters())
    assert critic_moved == (update is baseline_update), "only the baseline variant trains the critic"


def test_one_step_actor_critic_runs_and_logs():
    result = train_ac(ACConfig(max_steps=600), progress=False)
    assert result.episode_returns and len(result.episode_returns) == len(result.episode_end_steps)
    assert sum(result.episode_returns) <= 600
    data = value_vs_returns(result.model, episodes=2)
    assert set(data) == {"value", "observed", "t", "episode", "truncated"}
    assert len(data["value"]) == len(data["observed"]) and data["observed"][-1] == 1.0  # last step: one reward


def test_evaluate_counts_first_episodes_only():
    import gymnasium as gym

    torch.manual_seed(0)
    actor = ActorCritic(4, 2)
    returns = evaluate(actor, episodes=4, seed=1)
    for i, got in enumerate(returns):  # copy i is seeded 1 + i: its first episode alone, played greedily
        env = gym.make("CartPole-v1")
        obs, _ = env.reset(seed=1 + i)
        length, done = 0, False
        while not done:
            with torch.no_grad():
                action = int(actor(torch.as_tensor(obs, dtype=torch.float32)[None]).argmax(-1))
            obs, _, terminated, truncated, _ = env.step(action)
            length, done = length + 1, terminated or truncated
        env.close()
        assert got == length, f"copy {i}: {got} counted, its first episode lasted {length} steps"


def test_a2c_scratch_runs_and_logs():
    config = A2CConfig(total_timesteps=2_000, n_envs=4, n_steps=5)
    result = train_a2c(config, progress=False)
    assert result.episode_returns and result.episode_end_steps[-1] <= 2_000
    assert np.all(np.diff(result.episode_end_steps) >= 0)
    scores = final_scores(result.model, episodes=3)
    assert 8 <= scores["mean"] <= 500 and scores["pass_score"] == pytest.approx(scores["mean"] - scores["std"])


def test_sb3_gets_the_same_hyperparameters():
    config = A2CConfig(learning_rate=1e-3, n_steps=7, gae_lambda=0.9, ent_coef=0.01, seed=3)
    kwargs = sb3_kwargs(config)
    assert kwargs["n_steps"] == 7 and kwargs["gae_lambda"] == 0.9 and kwargs["ent_coef"] == 0.01
    assert kwargs["learning_rate"](1.0) == 1e-3 and kwargs["learning_rate"](0.5) == 5e-4
    assert kwargs["normalize_advantage"] is False and kwargs["seed"] == 3
    result = train_sb3(A2CConfig(total_timesteps=800, n_envs=4), progress=False)
    scores = final_scores(sb3_actor(result.model), episodes=2)
    assert result.episode_returns and scores["pass_score"] == pytest.approx(scores["mean"] - scores["std"])


def test_scratch_step_size_decays_like_sb3(monkeypatch):
    """Every RMSprop step of both codes, with the step size it used: the two schedules must agree."""
    used = []
    step = torch.optim.RMSprop.step

    def recording_step(self, *args, **kwargs):
        used.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.RMSprop, "step", recording_step)
    config = A2CConfig(total_timesteps=400, n_envs=4, n_steps=5, stop_when_solved=False)
    train_a2c(config, progress=False)
    scratch, used[:] = list(used), []
    train_sb3(config, progress=False)
    assert len(scratch) == 20 and scratch[-1] == 0.0
    np.testing.assert_allclose(scratch, used)


def test_solved_and_steps_to_solve_use_any_20_consecutive_episodes():
    class Run:
        episode_returns = [10.0] * 30 + [490.0] * 19 + [500.0] + [10.0] * 5
        episode_end_steps = list(range(10, 10 * 56, 10))

    assert not solved(Run.episode_returns[:49]) and solved(Run.episode_returns[:50])
    assert solved(Run.episode_returns)  # the crossing counts even though the last 20 fell back below
    assert steps_to_solve(Run) == Run.episode_end_steps[49]
    assert steps_to_solve(type("Short", (), {"episode_returns": [500.0] * 19, "episode_end_steps": [1] * 19})) is None


def test_threads_are_restored():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
