"""The exercise checkers of notebooks 01-03 follow the course's convention (one line, ✓ or ✗ and the named mistake,
a bool, never an exception for a wrong answer, positional calls), pass the reference, and name the usual mistakes."""
import numpy as np
import pytest
import torch.nn.functional as F

from utils.theory import exercises
from utils.theory import returns as ref
from utils.theory.a2c_scratch import a2c_loss

CHECKS = [exercises.check_reward_to_go, exercises.check_td, exercises.check_gae, exercises.check_a2c_loss]


def one_line(capsys) -> str:
    """The checker's output, asserted to be exactly one line."""
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n"), f"not one line: {out!r}"
    return out.strip()


def td_reference(reward, value, next_value, terminated, truncated, gamma):
    return ref.td_targets(reward, next_value, terminated, gamma), ref.td_errors(reward, value, next_value, terminated,
                                                                                gamma)


def test_reference_solutions_pass(capsys):
    for check, fn in zip(CHECKS, [ref.reward_to_go, td_reference, ref.gae, a2c_loss]):
        assert check(fn) is True
        assert one_line(capsys).startswith("✓")
    assert exercises.check_td(exercises.td_target_and_error_solution)
    assert one_line(capsys).startswith("✓")


@pytest.mark.parametrize("check", CHECKS)
def test_stub_is_reported_not_raised(check, capsys):
    def stub(*args):
        raise NotImplementedError("Hint: walk backwards.")

    assert check(stub) is False
    assert one_line(capsys) == "✗ not written yet: Hint: walk backwards."


@pytest.mark.parametrize("check", CHECKS)
def test_a_crash_or_a_missing_return_is_one_line_not_an_exception(check, capsys):
    def crashes(*args):
        raise ValueError("boom\nsecond line")

    assert check(crashes) is False
    assert one_line(capsys).startswith(f"✗ {'a2c_loss' if check is exercises.check_a2c_loss else ''}")
    assert check(lambda *args: None) is False
    assert "is a `return` missing?" in one_line(capsys)


def test_checkers_call_positionally(capsys):
    """A learner who renames the parameters still gets ✓ (the checkers used to call rtg by keyword)."""
    assert exercises.check_reward_to_go(lambda r, g: ref.reward_to_go(r, g))
    assert exercises.check_td(lambda r, v, nv, te, tr, g: td_reference(r, v, nv, te, tr, g))
    assert exercises.check_gae(lambda r, v, nv, te, tr, g, lam: ref.gae(r, v, nv, te, tr, g, lam))
    assert exercises.check_a2c_loss(lambda lp, e, v, A, R, vf, ent: a2c_loss(lp, e, v, A, R, vf, ent))
    assert capsys.readouterr().out.count("✓") == 4


@pytest.mark.parametrize("cases", [exercises._gae_cases(), exercises._td_cases()])
def test_cases_are_real_rollouts(cases):
    """next_values[t] == values[t+1] wherever the episode goes on (GAE case 1 had 6 against 4 with no episode end);
    where it is truncated, V(final observation) differs from values[t+1], so that mixing them up shows."""
    for case in cases:
        values, next_values = case.get("values", case.get("value")), case.get("next_values", case.get("next_value"))
        for t in range(len(values) - 1):
            if case["terminated"][t] or case["truncated"][t]:
                assert next_values[t] != values[t + 1]
            else:
                assert next_values[t] == values[t + 1], (case, t)


@pytest.mark.parametrize("check, mistakes", [(exercises.check_reward_to_go, exercises.RTG_MISTAKES),
                                             (exercises.check_td, exercises.TD_MISTAKES),
                                             (exercises.check_gae, exercises.GAE_MISTAKES),
                                             (exercises.check_a2c_loss, exercises.A2C_MISTAKES)])
def test_every_mistake_is_named_as_itself(check, mistakes, capsys):
    """Each listed mistake, written as the learner's function, gets its own explanation (none shadows another)."""
    for explanation, wrong in mistakes:
        assert check(wrong) is False
        out = one_line(capsys)
        assert out.startswith("✗ ") and explanation in out and "first differing case it looks like" not in out


def test_reward_to_go_mistakes_are_named(capsys):
    assert not exercises.check_reward_to_go(lambda rewards, gamma: ref.full_returns(rewards, gamma))
    assert "whole episode's return" in one_line(capsys)
    assert not exercises.check_reward_to_go(lambda rewards, gamma: gamma * ref.reward_to_go(rewards, gamma))
    assert "gamma multiplies r_t too" in one_line(capsys)
    assert not exercises.check_reward_to_go(lambda rewards, gamma: np.cumsum(rewards))
    out = one_line(capsys)
    assert "past" in out and "expected [6, 5, 3], got [1, 3, 6]" in out


def test_td_mistakes_are_named(capsys):
    def done_cuts_bootstrap(reward, value, next_value, terminated, truncated, gamma):
        target = reward + gamma * (1 - (terminated | truncated)) * next_value
        return target, target - value

    assert not exercises.check_td(done_cuts_bootstrap)
    assert "truncation is treated like a terminal state" in one_line(capsys)

    def always_bootstraps(reward, value, next_value, terminated, truncated, gamma):
        target = reward + gamma * next_value
        return target, target - value

    assert not exercises.check_td(always_bootstraps)
    assert "after a terminal step" in one_line(capsys)


def test_td_single_return_is_named(capsys):
    """Returning only the TD error (or only the target) used to get "should return 2 value(s), got 4"."""
    assert not exercises.check_td(lambda *args: td_reference(*args)[1])
    assert "returned only the TD error: return both, `return td_target, td_error`" in one_line(capsys)
    assert not exercises.check_td(lambda *args: td_reference(*args)[0])
    assert "returned only the TD target" in one_line(capsys)
    assert not exercises.check_td(lambda *args: td_reference(*args)[0] + 1.0)
    assert "neither the TD target nor the TD error" in one_line(capsys)
    assert not exercises.check_td(lambda *args: td_reference(*args)[::-1])
    assert "swapped" in one_line(capsys)
    assert not exercises.check_td(lambda *args: (*td_reference(*args), 0))
    assert "returned 3 values; return 2" in one_line(capsys)


def test_td_accepts_the_pair_as_a_list_or_a_stacked_array(capsys):
    assert exercises.check_td(lambda *args: list(td_reference(*args)))
    assert exercises.check_td(lambda *args: np.stack(td_reference(*args)))
    assert capsys.readouterr().out.count("✓") == 2


def gae_reading_values(rewards, values, next_values, terminated, truncated, gamma, lam, at_truncation="next"):
    """A learner's GAE that reads V(s_{t+1}) as values[t+1] inside the rollout and next_values[T-1] after it;
    at a truncated step it reads next_values[t] (right) or values[t+1] (wrong)."""
    T, adv, running = len(rewards), np.zeros(len(rewards)), 0.0
    for t in reversed(range(T)):
        inside = t < T - 1 and not (truncated[t] and at_truncation == "next")
        next_value = values[t + 1] if inside else next_values[t]
        delta = rewards[t] + gamma * (1 - terminated[t]) * next_value - values[t]
        running = delta + gamma * lam * (1 - (terminated[t] or truncated[t])) * running
        adv[t] = running
    return adv


def test_gae_values_shifted_inside_the_rollout_passes(capsys):
    """The usual values[t+1] form, on cases that are real rollouts, gets ✓ (it used to get "not one of the usual
    mistakes" from GAE case 1's impossible next_values[2] = 6 != values[3] = 4)."""
    assert exercises.check_gae(gae_reading_values)
    assert one_line(capsys).startswith("✓ gae")


def test_gae_values_shifted_is_named_where_it_is_a_mistake(capsys):
    assert not exercises.check_gae(lambda *args: gae_reading_values(*args, at_truncation="values"))
    out = one_line(capsys)
    assert "at a truncated step you bootstrapped from values[t+1]" in out and "truncated at t=2" in out

    def no_bootstrap_at_the_end(rewards, values, next_values, terminated, truncated, gamma, lam):
        return gae_reading_values(rewards, values, np.append(next_values[:-1], 0.0), terminated, truncated, gamma,
                                  lam, at_truncation="values")

    assert not exercises.check_gae(no_bootstrap_at_the_end)
    assert "with 0 after the rollout's last step" in one_line(capsys)

    def runs_off_the_end(rewards, values, next_values, terminated, truncated, gamma, lam):
        deltas = [rewards[t] + gamma * (1 - terminated[t]) * values[t + 1] - values[t] for t in range(len(rewards))]
        return np.array(deltas)

    assert not exercises.check_gae(runs_off_the_end)
    out = one_line(capsys)
    assert out.startswith("✗ gae raised IndexError") and "V(s_T) is next_values[T-1]" in out


def test_gae_mistakes_are_named(capsys):
    def leaks_through_truncation(rewards, values, next_values, terminated, truncated, gamma, lam):
        deltas = ref.td_errors(rewards, values, next_values, terminated, gamma)
        adv, running = np.zeros(len(rewards)), 0.0
        for t in reversed(range(len(rewards))):
            running = deltas[t] + gamma * lam * (1 - terminated[t]) * running
            adv[t] = running
        return adv

    assert not exercises.check_gae(leaks_through_truncation)
    assert "not at truncated ones" in one_line(capsys)
    assert not exercises.check_gae(lambda *args: ref.gae(*args) + np.asarray(args[1]))
    assert "value targets" in one_line(capsys)
    assert not exercises.check_gae(lambda *args: ref.gae(*args)[:-1])
    assert "has shape (5,), expected (6,)" in one_line(capsys)


def value_term(scale, weighted=True):
    return lambda lp, e, v, A, R, vf, ent: (-(A.detach() * lp).mean() + (vf if weighted else 1.0) * scale
                                            * F.mse_loss(v, R.detach()) - ent * e.mean())


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
    (value_term(0.5), "your value loss uses ½·MSE; SB3 (and this course) use F.mse_loss without ½"),
    (value_term(2.0), "your value loss is twice the expected"),
    (value_term(0.5, weighted=False), "0.5 * MSE with no vf_coef"),
])
def test_a2c_loss_mistakes_are_named(loss, named, capsys):
    assert not exercises.check_a2c_loss(loss)
    assert named in one_line(capsys)


def test_a2c_loss_reference_is_sb3s_plain_mse(capsys):
    """The ½·MSE message is right about the reference: SB3's A2C uses F.mse_loss(returns, values), no ½."""
    assert exercises.check_a2c_loss(value_term(1.0))
    assert one_line(capsys).startswith("✓")


def test_a2c_loss_unknown_mistake_and_wrong_form(capsys):
    assert not exercises.check_a2c_loss(lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp).mean()
                                        + vf * (R.detach() - v).abs().mean() - ent * e.mean())
    out = one_line(capsys)
    assert "wrong gradient reaches values" in out and "not one of the usual mistakes" in out
    assert not exercises.check_a2c_loss(lambda lp, e, v, A, R, vf, ent: -(A.detach() * lp))
    assert "not a scalar" in one_line(capsys)
    assert not exercises.check_a2c_loss(lambda *args: a2c_loss(*args).item())
    assert "not a torch tensor" in one_line(capsys)
    assert not exercises.check_a2c_loss(lambda *args: a2c_loss(*args).detach())
    assert "no gradient" in one_line(capsys)
