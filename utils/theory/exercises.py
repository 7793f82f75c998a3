"""Checkers for the exercises of notebooks 01-03: run a learner's function on small cases, compare it with the
reference (:mod:`utils.theory.returns`, :func:`utils.theory.a2c_scratch.a2c_loss`), and say what differs, recognising the
usual mistakes by their output (and, for the A2C loss, by the gradients it sends to each input).

Each checker returns ``True`` when every case matches, and prints one short report. A stub that still raises
``NotImplementedError`` is reported as "not implemented yet" rather than crashing the notebook.
"""
from __future__ import annotations

import numpy as np
import torch

from utils.theory import returns as ref
from utils.theory.a2c_scratch import a2c_loss


def _fmt(x) -> str:
    return np.array2string(np.asarray(x, dtype=float), precision=3, separator=", ", suppress_small=True)


def _report(name: str, fn, cases, reference, mistakes) -> bool:
    """Shared engine: ``cases`` are kwargs dicts, ``reference(**case)`` the right answer, ``mistakes`` a list of
    ``(explanation, wrong_fn)`` whose output identifies a known error."""
    for case in cases:
        shown = ", ".join(f"{k}={_fmt(v) if isinstance(v, (list, np.ndarray)) else v}" for k, v in case.items())
        try:
            got = fn(**{k: np.array(v) if isinstance(v, list) else v for k, v in case.items()})
        except NotImplementedError as error:
            print(f"{name}: not implemented yet. {error}")
            return False
        except Exception as error:  # noqa: BLE001 - the learner's error, shown in one line
            print(f"✗ {name}({shown}) raised {type(error).__name__}: {error}")
            return False
        expected = reference(**case)
        got_parts = got if isinstance(expected, tuple) else (got,)
        expected_parts = expected if isinstance(expected, tuple) else (expected,)
        if len(got_parts) != len(expected_parts):
            print(f"✗ {name} should return {len(expected_parts)} value(s), got {len(got_parts)}.")
            return False
        for g, e in zip(got_parts, expected_parts):
            g = np.asarray(g, dtype=float)
            if g.shape != np.shape(e):
                print(f"✗ {name}({shown}): expected shape {np.shape(e)}, got {g.shape}.")
                return False
        if all(np.allclose(np.asarray(g, dtype=float), e) for g, e in zip(got_parts, expected_parts)):
            continue
        print(f"✗ {name}({shown})\n    expected {'; '.join(_fmt(e) for e in expected_parts)}"
              f"\n    got      {'; '.join(_fmt(g) for g in got_parts)}")
        for explanation, wrong in mistakes:
            wrong_parts = wrong(**case)
            wrong_parts = wrong_parts if isinstance(wrong_parts, tuple) else (wrong_parts,)
            differs = not all(np.allclose(w, e) for w, e in zip(wrong_parts, expected_parts))
            if differs and all(np.allclose(np.asarray(g, dtype=float), w) for g, w in zip(got_parts, wrong_parts)):
                print(f"    Looks like: {explanation}")
                break
        else:
            print("    (not one of the usual mistakes: compare your function with the equation step by step)")
        return False
    print(f"✓ {name}: all {len(cases)} cases match the reference.")
    return True


# ----------------------------------------------------------------------------------------------- notebook 01
def _rtg_cases():
    return [dict(rewards=[1.0, 2.0, 3.0], gamma=1.0), dict(rewards=[1.0, 2.0, 3.0], gamma=0.5),
            dict(rewards=[1.0, 1.0, 1.0, 1.0, 1.0], gamma=0.9), dict(rewards=[0.0, 0.0, 5.0, -1.0], gamma=0.8),
            dict(rewards=[2.0], gamma=0.99)]


def check_reward_to_go(fn) -> bool:
    """Check ``fn(rewards, gamma) -> G`` with ``G_t = sum_{k>=t} gamma^(k-t) r_k`` (notebook 01)."""
    def forward(rewards, gamma):  # discounted sum of the *past*, a common slip of direction
        r = np.asarray(rewards, float)
        return ref.reward_to_go(r[::-1], gamma)[::-1]

    def from_start(rewards, gamma):
        r = np.asarray(rewards, float)
        return ref.reward_to_go(r, gamma) * gamma ** np.arange(len(r))

    mistakes = [
        ("every step got the whole episode's return G_0: reward-to-go only adds rewards from step t onwards.",
         lambda rewards, gamma: ref.full_returns(rewards, gamma)),
        ("no discount: each later reward must be multiplied by one more factor gamma.",
         lambda rewards, gamma: ref.reward_to_go(rewards, 1.0)),
        ("the sum runs over the past (k <= t) instead of the future (k >= t): walk the rewards backwards.", forward),
        ("the discount counts from the start of the episode (gamma^k); it should count from t (gamma^(k-t)).",
         from_start),
        ("off by one: G_t should include r_t itself (G_t = r_t + gamma * G_{t+1}).",
         lambda rewards, gamma: np.append(ref.reward_to_go(rewards, gamma)[1:], 0.0)),
        ("gamma multiplies r_t too: the first reward of the sum is not discounted.",
         lambda rewards, gamma: gamma * ref.reward_to_go(rewards, gamma)),
    ]
    return _report("reward_to_go", fn, _rtg_cases(), lambda rewards, gamma: ref.reward_to_go(rewards, gamma), mistakes)


# ----------------------------------------------------------------------------------------------- notebook 02
def _td_cases():
    base = dict(reward=[1.0, 1.0, 1.0, 0.5], value=[10.0, 9.0, 8.0, 2.0], next_value=[9.0, 8.0, 7.0, 3.0])
    return [dict(base, terminated=[False, False, False, False], truncated=[False, False, False, False], gamma=0.9),
            dict(base, terminated=[False, True, False, False], truncated=[False, False, False, False], gamma=0.9),
            dict(base, terminated=[False, False, False, False], truncated=[False, False, True, False], gamma=0.99),
            dict(base, terminated=[True, False, False, False], truncated=[False, False, True, False], gamma=0.5)]


def check_td(fn) -> bool:
    """Check ``fn(reward, value, next_value, terminated, truncated, gamma) -> (td_target, td_error)`` (notebook 02)."""
    def variant(boot, sign=1.0, g=None):
        def wrong(reward, value, next_value, terminated, truncated, gamma):
            r, v, nv = (np.asarray(x, float) for x in (reward, value, next_value))
            target = r + (gamma if g is None else g) * boot(np.asarray(terminated, float), np.asarray(truncated, float)) * nv
            return target, sign * (target - v)
        return wrong

    mistakes = [
        ("V(s_{t+1}) is bootstrapped after a terminal step: when the pole falls nothing follows, multiply by (1 - terminated).",
         variant(lambda te, tr: np.ones_like(te))),
        ("a time-limit truncation is treated like a terminal state: the state still had a future, so keep "
         "gamma * V(final observation); only `terminated` removes the bootstrap.",
         variant(lambda te, tr: 1 - np.maximum(te, tr))),
        ("both mistakes at once: bootstrap after truncation, not after termination.", variant(lambda te, tr: 1 - tr)),
        ("the TD error has the wrong sign: delta = target - V(s_t).", variant(lambda te, tr: 1 - te, sign=-1.0)),
        ("gamma is missing from the target.", variant(lambda te, tr: 1 - te, g=1.0)),
    ]
    return _report("td_target_and_error", fn, _td_cases(), td_target_and_error_solution, mistakes)


# ----------------------------------------------------------------------------------------------- notebook 03
def _gae_variant(boot_cut, recursion_cut, lam_used=True, gamma_in_recursion=True, add_values=False):
    def wrong(rewards, values, next_values, terminated, truncated, gamma, lam):
        r, v, nv = (np.asarray(x, float) for x in (rewards, values, next_values))
        te, tr = np.asarray(terminated, float), np.asarray(truncated, float)
        deltas = r + gamma * boot_cut(te, tr) * nv - v
        adv, running = np.zeros_like(r), 0.0
        for t in reversed(range(len(r))):
            factor = (gamma if gamma_in_recursion else 1.0) * (lam if lam_used else 1.0)
            running = deltas[t] + factor * recursion_cut(te[t], tr[t]) * running
            adv[t] = running
        return adv + v if add_values else adv
    return wrong


def _gae_cases():
    base = dict(rewards=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], values=[3.0, 2.5, 1.0, 4.0, 3.5, 3.0],
                next_values=[2.5, 1.0, 6.0, 3.5, 3.0, 2.5])
    none = [False] * 6
    return [dict(base, terminated=none, truncated=none, gamma=0.9, lam=0.8),
            dict(base, terminated=[False, False, True, False, False, False], truncated=none, gamma=0.9, lam=0.8),
            dict(base, terminated=none, truncated=[False, False, True, False, False, False], gamma=0.9, lam=0.8),
            dict(base, terminated=[False, True, False, False, False, False],
                 truncated=[False, False, False, False, True, False], gamma=0.99, lam=0.95),
            dict(base, terminated=[False, True, False, False, False, False], truncated=none, gamma=0.5, lam=0.0),
            dict(base, terminated=none, truncated=[False, False, False, True, False, False], gamma=0.5, lam=1.0)]


def check_gae(fn) -> bool:
    """Check ``fn(rewards, values, next_values, terminated, truncated, gamma, lam) -> advantages`` (notebook 03)."""
    keep_boot = lambda te, tr: 1 - te  # noqa: E731 - the right bootstrap mask
    cut_at_end = lambda te, tr: 1 - max(te, tr)  # noqa: E731 - the right recursion mask
    mistakes = [
        ("the recursion stops at terminal steps but not at truncated ones: after a truncation the next entry is a new episode.",
         _gae_variant(keep_boot, lambda te, tr: 1 - te)),
        ("the recursion runs across episode boundaries: multiply A_{t+1} by (1 - done_t), with done = terminated or truncated.",
         _gae_variant(keep_boot, lambda te, tr: 1.0)),
        ("V(s_{t+1}) is bootstrapped after a terminal step: delta_t = r_t + gamma (1 - terminated_t) V(s_{t+1}) - V(s_t).",
         _gae_variant(lambda te, tr: np.ones_like(te), cut_at_end)),
        ("truncated steps are not bootstrapped: only a true terminal state has value 0; keep gamma V(final observation).",
         _gae_variant(lambda te, tr: 1 - np.maximum(te, tr), cut_at_end)),
        ("lambda is missing from the recursion: A_t = delta_t + gamma * lambda * A_{t+1}.",
         _gae_variant(keep_boot, cut_at_end, lam_used=False)),
        ("gamma is missing from the recursion: A_t = delta_t + gamma * lambda * A_{t+1}.",
         _gae_variant(keep_boot, cut_at_end, gamma_in_recursion=False)),
        ("these are the value targets A_t + V(s_t), not the advantages.", _gae_variant(keep_boot, cut_at_end, add_values=True)),
    ]
    return _report("gae", fn, _gae_cases(), lambda **case: ref.gae(**case), mistakes)


INPUTS = ("log_probs", "entropy", "values", "next_values")


def _a2c_case(seed: int, vf_coef: float, ent_coef: float) -> dict:
    """A batch of 6 steps whose advantages and returns are still attached to the critic's graph, as they are
    when computed from the critic's outputs without ``torch.no_grad()``: detaching is the learner's job."""
    g = torch.Generator().manual_seed(seed)
    leaves = {name: torch.randn(6, generator=g).requires_grad_() for name in INPUTS}
    with torch.no_grad():
        leaves["entropy"].abs_()
    rewards = torch.ones(6)
    returns = rewards + 0.9 * leaves["next_values"]  # one-step targets r + gamma V(s_{t+1})
    return dict(leaves=leaves, returns=returns, advantages=returns - leaves["values"], vf_coef=vf_coef,
                ent_coef=ent_coef)


def _loss_and_grads(fn, case) -> tuple[float, dict]:
    """Run ``fn`` on a fresh copy of ``case``'s graph; return the loss and its gradient for every input."""
    case = _a2c_case(*case)
    leaves = case["leaves"]
    loss = fn(leaves["log_probs"], leaves["entropy"], leaves["values"], case["advantages"], case["returns"],
              case["vf_coef"], case["ent_coef"])
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise TypeError(f"the loss should be a scalar tensor, got {type(loss).__name__} "
                        f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else ''}")
    grads = torch.autograd.grad(loss, [leaves[n] for n in INPUTS], allow_unused=True)
    return float(loss.detach()), {n: np.zeros(6) if g is None else g.numpy() for n, g in zip(INPUTS, grads)}


def check_a2c_loss(fn) -> bool:
    """Check ``fn(log_probs, entropy, values, advantages, returns, vf_coef, ent_coef) -> loss`` (notebook 03):
    its value, and the gradient it sends to the log-probabilities, the entropy, V(s_t) and V(s_{t+1})."""
    def wrong(policy="-mean(A.detach() * logp)", value="mean((R.detach() - V)^2)", entropy=-1.0, weight=True):
        policies = {"-mean(A.detach() * logp)": lambda A, R, lp: -(A.detach() * lp).mean(),
                    "-mean(A * logp)": lambda A, R, lp: -(A * lp).mean(),
                    "+mean(A.detach() * logp)": lambda A, R, lp: (A.detach() * lp).mean(),
                    "-sum(A.detach() * logp)": lambda A, R, lp: -(A.detach() * lp).sum(),
                    "-mean(R.detach() * logp)": lambda A, R, lp: -(R.detach() * lp).mean()}
        values = {"mean((R.detach() - V)^2)": lambda R, V: (R.detach() - V).pow(2).mean(),
                  "mean((R - V)^2)": lambda R, V: (R - V).pow(2).mean()}

        def loss(log_probs, entropy_, values_, advantages, returns, vf_coef, ent_coef):
            return (policies[policy](advantages, returns, log_probs)
                    + (vf_coef if weight else 1.0) * values[value](returns, values_)
                    + entropy * ent_coef * entropy_.mean())
        return loss

    mistakes = [
        ("the advantage is not detached: the policy term also pushes V(s_t) and V(s_{t+1}), so the critic "
         "learns to please the actor instead of predicting returns.", wrong(policy="-mean(A * logp)")),
        ("the value target is not detached: the value term also moves V(s_{t+1}) towards V(s_t) (a full "
         "gradient); TD learning moves only the prediction towards the target (a semi-gradient).",
         wrong(value="mean((R - V)^2)")),
        ("neither the advantage nor the value target is detached.",
         wrong(policy="-mean(A * logp)", value="mean((R - V)^2)")),
        ("the policy term has the wrong sign: the optimiser minimises the loss and we want to maximise "
         "E[A log pi], so the loss holds its negative.", wrong(policy="+mean(A.detach() * logp)")),
        ("the entropy term has the wrong sign: subtracting the entropy from the loss is what rewards "
         "randomness; adding it punishes exploration.", wrong(entropy=1.0)),
        ("vf_coef is missing: the value term enters the loss with weight vf_coef.", wrong(weight=False)),
        ("the policy term is summed over the batch instead of averaged, so its size grows with the batch.",
         wrong(policy="-sum(A.detach() * logp)")),
        ("the returns weight the log-probabilities instead of the advantages: REINFORCE without a baseline.",
         wrong(policy="-mean(R.detach() * logp)")),
    ]
    cases = [(0, 0.5, 0.01), (1, 0.25, 0.1), (2, 1.0, 0.0)]
    for case in cases:
        try:
            got = _loss_and_grads(fn, case)
        except NotImplementedError as error:
            print(f"a2c_loss: not implemented yet. {error}")
            return False
        except Exception as error:  # noqa: BLE001 - the learner's error, shown in one line
            print(f"✗ a2c_loss raised {type(error).__name__}: {error}")
            return False
        expected = _loss_and_grads(a2c_loss, case)
        differs = _a2c_differences(got, expected)
        if not differs:
            continue
        print(f"✗ a2c_loss (vf_coef={case[1]}, ent_coef={case[2]}): {'; '.join(differs)}")
        for explanation, mistake in mistakes:
            if not _a2c_differences(got, _loss_and_grads(mistake, case)):
                print(f"    Looks like: {explanation}")
                break
        else:
            print("    (not one of the usual mistakes: compare each term with the equation, and ask which "
                  "inputs the gradient should flow through)")
        return False
    print(f"✓ a2c_loss: the value and the gradients match the reference in all {len(cases)} cases.")
    return True


def _a2c_differences(got, expected) -> list[str]:
    (loss, grads), (loss_ref, grads_ref) = got, expected
    out = [] if np.isclose(loss, loss_ref, rtol=1e-5, atol=1e-6) else [f"loss {loss:.4f}, expected {loss_ref:.4f}"]
    return out + [f"wrong gradient reaches {name}" for name in INPUTS
                  if not np.allclose(grads[name], grads_ref[name], rtol=1e-5, atol=1e-6)]


# ------------------------------------------------------------------------------------------------- solutions
def td_target_and_error_solution(reward, value, next_value, terminated, truncated, gamma):
    """Reference for notebook 02's exercise: bootstrap unless *terminated*; truncation changes nothing here."""
    target = ref.td_targets(reward, next_value, terminated, gamma)
    return target, target - np.asarray(value, dtype=float)
