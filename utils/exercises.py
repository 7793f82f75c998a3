"""Checkers for the exercises of notebooks 01-03: run a learner's function on small cases, compare it with the
reference in :mod:`utils.returns`, and say what differs (recognising the usual mistakes by their output).

Each checker returns ``True`` when every case matches, and prints one short report. A stub that still raises
``NotImplementedError`` is reported as "not implemented yet" rather than crashing the notebook.
"""
from __future__ import annotations

import numpy as np

from utils import returns as ref


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


# ------------------------------------------------------------------------------------------------- solutions
def td_target_and_error_solution(reward, value, next_value, terminated, truncated, gamma):
    """Reference for notebook 02's exercise: bootstrap unless *terminated*; truncation changes nothing here."""
    target = ref.td_targets(reward, next_value, terminated, gamma)
    return target, target - np.asarray(value, dtype=float)
