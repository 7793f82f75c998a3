"""The exercise checkers pass the reference, report stubs politely, and name the usual mistakes."""
import numpy as np
import pytest

from utils.theory import exercises
from utils.theory import returns as ref
from utils.theory.a2c_scratch import a2c_loss


def test_reference_solutions_pass(capsys):
    assert exercises.check_reward_to_go(ref.reward_to_go)
    assert exercises.check_td(lambda reward, value, next_value, terminated, truncated, gamma: (
        ref.td_targets(reward, next_value, terminated, gamma), ref.td_errors(reward, value, next_value, terminated, gamma)))
    assert exercises.check_gae(ref.gae)
    assert exercises.check_a2c_loss(a2c_loss)
    assert capsys.readouterr().out.count("✓") == 4


@pytest.mark.parametrize("check", [exercises.check_reward_to_go, exercises.check_td, exercises.check_gae,
                                   exercises.check_a2c_loss])
def test_stub_is_reported_not_raised(check, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("Hint: walk backwards.")

    assert not check(stub)
    assert "not implemented yet. Hint: walk backwards." in capsys.readouterr().out


def test_reward_to_go_mistakes_are_named(capsys):
    assert not exercises.check_reward_to_go(lambda rewards, gamma: ref.full_returns(rewards, gamma))
    assert "whole episode's return" in capsys.readouterr().out
    assert not exercises.check_reward_to_go(lambda rewards, gamma: gamma * ref.reward_to_go(rewards, gamma))
    assert "gamma multiplies r_t too" in capsys.readouterr().out
    assert not exercises.check_reward_to_go(lambda rewards, gamma: np.cumsum(rewards))
    out = capsys.readouterr().out
    assert "past" in out and "expected" in out


def test_td_mistakes_are_named(capsys):
    def done_cuts_bootstrap(reward, value, next_value, terminated, truncated, gamma):
        target = reward + gamma * (1 - (terminated | truncated)) * next_value
        return target, target - value

    assert not exercises.check_td(done_cuts_bootstrap)
    assert "truncation is treated like a terminal state" in capsys.readouterr().out

    def always_bootstraps(reward, value, next_value, terminated, truncated, gamma):
        target = reward + gamma * next_value
        return target, target - value

    assert not exercises.check_td(always_bootstraps)
    assert "after a terminal step" in capsys.readouterr().out


def test_gae_mistakes_are_named(capsys):
    def leaks_through_truncation(rewards, values, next_values, terminated, truncated, gamma, lam):
        deltas = ref.td_errors(rewards, values, next_values, terminated, gamma)
        adv, running = np.zeros(len(rewards)), 0.0
        for t in reversed(range(len(rewards))):
            running = deltas[t] + gamma * lam * (1 - terminated[t]) * running
            adv[t] = running
        return adv

    assert not exercises.check_gae(leaks_through_truncation)
    assert "not at truncated ones" in capsys.readouterr().out
    assert not exercises.check_gae(lambda **kw: ref.gae(**kw) + np.asarray(kw["values"]))
    assert "value targets" in capsys.readouterr().out
    assert not exercises.check_gae(lambda **kw: ref.gae(**kw)[:-1])
    assert "expected shape" in capsys.readouterr().out


@pytest.mark.parametrize("loss, named", [
    (lambda lp, e, v, A, R, vf, ent: -(A * lp).mean() + vf * (R.detach() - v).pow(2).mean() - ent * e.mean(),
     "the advantage is not detached"),
    (lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp).mean() + vf * (R - v).pow(2).mean() - ent * e.mean(),
     "the value target is not detached"),
    (lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp).mean() + vf * (R.detach() - v).pow(2).mean() + ent * e.mean(),
     "the entropy term has the wrong sign"),
    (lambda lp, e, v, A, R, vf, ent: (A.detach() * lp).mean() + vf * (R.detach() - v).pow(2).mean() - ent * e.mean(),
     "the policy term has the wrong sign"),
    (lambda lp, e, v, A, R, vf, ent: -(R.detach() * lp).mean() + vf * (R.detach() - v).pow(2).mean() - ent * e.mean(),
     "REINFORCE without a baseline"),
    (lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp).mean() + (R.detach() - v).pow(2).mean() - ent * e.mean(),
     "vf_coef is missing"),
])
def test_a2c_loss_mistakes_are_named(loss, named, capsys):
    assert not exercises.check_a2c_loss(loss)
    assert named in capsys.readouterr().out


def test_a2c_loss_unknown_mistake_and_wrong_shape(capsys):
    assert not exercises.check_a2c_loss(lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp).mean()
                                        + vf * (R.detach() - v).abs().mean() - ent * e.mean())
    out = capsys.readouterr().out
    assert "wrong gradient reaches values" in out and "not one of the usual mistakes" in out
    assert not exercises.check_a2c_loss(lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp))
    assert "scalar tensor" in capsys.readouterr().out
