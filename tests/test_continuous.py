"""Notebook 04: the Gaussian log-probability and its checker, the Gaussian actor-critic, the continuous A2C loop."""
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.distributions import Normal

from utils.course.threads import torch_threads
from utils.theory.a2c_continuous import ContinuousA2CConfig, GaussianActorCritic, train_a2c_continuous
from utils.theory.gaussian import MISTAKES, check_gaussian_log_prob, gaussian_log_prob


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks: one torch thread, as the notebooks use (two stall when the other core is busy)."""
    with torch_threads(1):
        yield


def test_the_written_out_log_prob_is_torchs():
    g = torch.Generator().manual_seed(1)
    actions, mean, log_std = torch.randn(7, 4, generator=g), torch.randn(7, 4, generator=g), torch.randn(4, generator=g)
    expected = Normal(mean, log_std.exp()).log_prob(actions).sum(-1)
    assert torch.allclose(gaussian_log_prob(actions, mean, log_std), expected, atol=1e-6)


def test_the_checker_passes_the_reference_and_torch(capsys):
    assert check_gaussian_log_prob(gaussian_log_prob)
    assert check_gaussian_log_prob(lambda a, mu, s: Normal(mu, s.exp()).log_prob(a).sum(-1)), "called positionally"
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("✓") for line in lines)


@pytest.mark.parametrize("explanation, wrong", MISTAKES, ids=[m[0][:30] for m in MISTAKES])
def test_the_checker_names_each_mistake(capsys, explanation, wrong):
    assert not check_gaussian_log_prob(lambda actions, mean, log_std: wrong(actions, mean, log_std))
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"✗ {explanation}")


def test_the_checker_names_a_missing_sum_a_stub_and_an_unknown_error(capsys):
    assert not check_gaussian_log_prob(lambda actions, mean, log_std: Normal(mean, log_std.exp()).log_prob(actions))
    assert "sum over the action dimensions is missing" in capsys.readouterr().out

    def stub(actions, mean, log_std):
        raise NotImplementedError("write it")

    assert not check_gaussian_log_prob(stub)
    assert capsys.readouterr().out.strip() == "✗ not written yet: write it"
    assert not check_gaussian_log_prob(lambda actions, mean, log_std: gaussian_log_prob(actions, mean, log_std) + 0.1)
    assert "not one of the usual mistakes" in capsys.readouterr().out


def test_the_gaussian_actor_critic_acts_with_its_mean():
    torch.manual_seed(0)
    model = GaussianActorCritic(obs_dim=5, act_dim=3, log_std_init=-1.0)
    obs = torch.randn(10, 5)
    dist = model.distribution(obs)
    assert torch.equal(model(obs), dist.mean)  # deterministic action = the mean
    assert torch.allclose(dist.stddev, torch.full((10, 3), np.exp(-1.0)))
    assert model.value(obs).shape == (10,)
    assert dist.log_prob(dist.sample()).sum(-1).shape == (10,)


def test_a_short_run_trains_on_bullet_and_on_a_wider_action_bound():
    config = ContinuousA2CConfig(total_timesteps=400, seed=3)
    run = train_a2c_continuous(config, progress=False)
    assert run.episode_returns and run.episode_end_steps[-1] <= 400
    assert not torch.allclose(run.model.actor_log_std, torch.full((1,), config.log_std_init))  # it took steps
    again = train_a2c_continuous(config, progress=False)
    assert again.episode_returns == run.episode_returns  # the seed fixes the run
    pendulum = train_a2c_continuous(replace(config, env_id="Pendulum-v1", total_timesteps=1_600), progress=False)
    assert len(pendulum.episode_returns) == 8  # 8 copies, 200-step episodes: each ends once


def test_the_pendulum_learns_within_a_small_budget():
    """20k steps take the balancing time from ~20 steps (early episodes) to well above (seed 0: 150+)."""
    run = train_a2c_continuous(ContinuousA2CConfig(total_timesteps=20_000, seed=0), progress=False)
    first, last = np.mean(run.episode_returns[:20]), np.mean(run.episode_returns[-20:])
    assert last > 3 * first, (first, last)


def test_a_pipe_in_a_table_header_or_cell_stays_in_its_cell():
    """Section 2's header "std of π(·|s)" once broke the table into raw text: every row must keep its columns."""
    import re

    from utils.course.tables import markdown_table

    text = markdown_table([{"a": "x|y", "b": 1.5}], [("a", "std of π(·|s)", "{}"), ("b", "b", "{:.1f}")])
    rows = [re.split(r"(?<!\\)\|", line.strip().strip("|")) for line in text.strip().splitlines()]
    assert [len(r) for r in rows] == [2, 2, 2], text  # header, separator, one row: two cells each
    assert rows[0][0].strip().replace("\\|", "|") == "std of π(·|s)" and rows[2][0].strip().replace("\\|", "|") == "x|y"
