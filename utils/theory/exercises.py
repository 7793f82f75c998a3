"""Checkers for the exercises of notebooks 01-03: run a learner's function on small cases, compare it with the
reference (:mod:`utils.theory.returns`, :func:`utils.theory.a2c_scratch.a2c_loss`), and say what differs, recognising the
usual mistakes by their output (and, for the A2C loss, by the gradients it sends to each input).

The course's checker convention, the same for every checker here:

* the learner's function is called positionally, in the order of the exercise's signature, so renaming a
  parameter changes nothing;
* the checker prints ONE line: ``✓ ...`` when every case matches, or ``✗ `` followed by the named mistake
  (what differs, the likely cause, and the first case where it shows);
* it returns ``True`` or ``False`` and never raises for a wrong answer: an exception in the learner's function,
  a missing ``return`` or a wrong shape are reported in that line;
* a stub that still raises ``NotImplementedError`` is reported as ``✗ not written yet: <its hint>``.

A mistake is named only if its output matches the learner's on *every* case, so that two mistakes that agree on
one case (a missing ``vf_coef`` and a doubled value loss when ``vf_coef = 0.5``) are told apart.

The cases are rollouts as the notebooks collect them: ``next_values[t] == values[t+1]`` wherever the episode goes on
after step ``t``; only where it ends (terminated or truncated at ``t``) does ``next_values[t]`` hold the value of the
final observation, which differs from ``values[t+1]``, the value of the next episode's first state.
"""
from __future__ import annotations

import numpy as np
import torch

from utils.theory import returns as ref
from utils.theory.a2c_scratch import a2c_loss


class _Form(Exception):
    """The learner's output has the wrong form (None, a wrong count or shape); the message says which."""


def _fmt(x) -> str:
    """``[2.617, 3.288, 0.25]``: four significant digits, no padding, on one line."""
    return "[" + ", ".join(f"{float(v):.4g}" for v in np.ravel(np.asarray(x, dtype=float))) + "]"


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())  # one line, whatever the exception's message holds
    return text if text.endswith((".", "?", "!")) else text + "."


def _show(case: dict) -> str:
    """One case in one short phrase: the arrays, each flag as the steps where it is set, the scalars."""
    shown = []
    for key, value in case.items():
        if isinstance(value, list) and value and isinstance(value[0], bool):
            steps = [str(t) for t, flag in enumerate(value) if flag]
            shown.append(f"{key} at t={','.join(steps)}" if steps else f"{key}: none")
        elif isinstance(value, list):
            shown.append(f"{key}={_fmt(value)}")
        else:
            shown.append(f"{key}={value}")
    return ", ".join(shown)


def _array(x, what: str) -> np.ndarray:
    if x is None:
        raise _Form(f"{what} is None: is a `return` missing?")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
    try:
        return np.asarray(x, dtype=float)
    except Exception as error:  # noqa: BLE001 - whatever the learner returned, named in one line
        raise _Form(f"{what} is not an array of numbers ({type(x).__name__}: {error})") from None


def _parts(got, expected: tuple, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The learner's output as a tuple of float arrays shaped like ``expected``, or :class:`_Form`."""
    if len(expected) == 1:
        got = (_array(got, "the result"),)
    elif isinstance(got, (tuple, list)):
        if len(got) != len(expected):
            raise _Form(f"returned {len(got)} values; return {len(expected)}: ({', '.join(names)})")
        got = tuple(_array(g, name) for g, name in zip(got, names))
    else:
        array = _array(got, "the result")
        if array.shape != (len(expected),) + np.shape(expected[0]):
            raise _Form(f"returned one array of shape {array.shape}, not the {len(expected)} values "
                        f"({', '.join(names)})")
        got = tuple(array)
    for g, e, name in zip(got, expected, names):
        if g.shape != np.shape(e):
            raise _Form(f"{name} has shape {g.shape}, expected {np.shape(e)} (one entry per step)")
    return got


def _matches(got: tuple, expected: tuple) -> bool:
    return all(g.shape == np.shape(e) and np.allclose(g, e) for g, e in zip(got, expected))


def _name_mistake(mistakes, matches, n_cases: int, first_wrong: int, unknown: str) -> str:
    """The explanation of the first mistake that matches the learner on every case; failing that, of one that
    matches on the first differing case (a second mistake may hide behind it); failing that, ``unknown``."""
    for explanation, mistake in mistakes:
        if all(matches(mistake, j) for j in range(n_cases)):
            return explanation
    for explanation, mistake in mistakes:
        if matches(mistake, first_wrong):
            return (f"on the first differing case it looks like this mistake (other cases differ in another way, "
                    f"so there may be a second one): {explanation}")
    return unknown


def _check(name: str, fn, cases: list[dict], reference, mistakes, names=("the result",), stub_hint: str = "",
           explain_error=None, explain_form=None) -> bool:
    """Shared engine of the array checkers: ``fn`` is called positionally with each case's values (in the order of
    the exercise's signature, the order of the dict); ``reference(**case)`` is the right answer; ``mistakes`` is a
    list of ``(explanation, wrong_fn)``. ``explain_error(error)`` may name the cause of an exception and
    ``explain_form(got, case)`` that of an output of the wrong form. Prints one line, returns whether all match."""
    def as_tuple(x):
        return x if isinstance(x, tuple) else (x,)

    outputs = []
    for case in cases:
        args = [np.array(v) if isinstance(v, list) else v for v in case.values()]
        try:
            got = fn(*args)
        except NotImplementedError as error:
            print(f"✗ not written yet: {str(error) or stub_hint}")
            return False
        except Exception as error:  # noqa: BLE001 - the learner's error, named in one line
            cause = explain_error(error) if explain_error else None
            print(f"✗ {name} raised {type(error).__name__}: {_sentence(error)}" + (f" {cause}" if cause else "")
                  + f" Case: {_show(case)}.")
            return False
        expected = as_tuple(reference(**case))
        try:
            outputs.append(_parts(got, expected, names))
        except _Form as form:
            cause = explain_form(got, case) if explain_form else None
            print(f"✗ {name}: {_sentence(cause or form)} Case: {_show(case)}.")
            return False
    expected = [as_tuple(reference(**case)) for case in cases]
    wrong = [i for i, (got, exp) in enumerate(zip(outputs, expected)) if not _matches(got, exp)]
    if not wrong:
        print(f"✓ {name}: all {len(cases)} cases match the reference.")
        return True
    i = wrong[0]
    explanation = _name_mistake(
        mistakes, lambda mistake, j: _matches(outputs[j], as_tuple(mistake(**cases[j]))), len(cases), i,
        "not one of the usual mistakes: compare your function with the equation step by step.")
    label = (lambda part: f"{part} ") if len(names) > 1 else (lambda part: "")
    differs = [f"{label(part)}expected {_fmt(e)}, got {_fmt(g)}"
               for g, e, part in zip(outputs[i], expected[i], names) if not np.allclose(g, e)]
    steps = sorted({int(t) for g, e in zip(outputs[i], expected[i]) for t in np.flatnonzero(~np.isclose(g, e))})
    print(f"✗ {name}: {explanation} First differing case: {_show(cases[i])}; at t={','.join(map(str, steps))}: "
          f"{'; '.join(differs)}.")
    return False


# ----------------------------------------------------------------------------------------------- notebook 01
def _rtg_cases():
    return [dict(rewards=[1.0, 2.0, 3.0], gamma=1.0), dict(rewards=[1.0, 2.0, 3.0], gamma=0.5),
            dict(rewards=[1.0, 1.0, 1.0, 1.0, 1.0], gamma=0.9), dict(rewards=[0.0, 0.0, 5.0, -1.0], gamma=0.8),
            dict(rewards=[2.0], gamma=0.99)]


def _rtg_forward(rewards, gamma):  # discounted sum of the *past*, a common slip of direction
    r = np.asarray(rewards, float)
    return ref.reward_to_go(r[::-1], gamma)[::-1]


def _rtg_from_start(rewards, gamma):
    r = np.asarray(rewards, float)
    return ref.reward_to_go(r, gamma) * gamma ** np.arange(len(r))


RTG_MISTAKES = [
    ("every step got the whole episode's return G_0: reward-to-go only adds rewards from step t onwards.",
     lambda rewards, gamma: ref.full_returns(rewards, gamma)),
    ("no discount: each later reward must be multiplied by one more factor gamma.",
     lambda rewards, gamma: ref.reward_to_go(rewards, 1.0)),
    ("the sum runs over the past (k <= t) instead of the future (k >= t): walk the rewards backwards.", _rtg_forward),
    ("the discount counts from the start of the episode (gamma^k); it should count from t (gamma^(k-t)).",
     _rtg_from_start),
    ("off by one: G_t should include r_t itself (G_t = r_t + gamma * G_{t+1}).",
     lambda rewards, gamma: np.append(ref.reward_to_go(rewards, gamma)[1:], 0.0)),
    ("gamma multiplies r_t too: the first reward of the sum is not discounted.",
     lambda rewards, gamma: gamma * ref.reward_to_go(rewards, gamma)),
]
"""``(explanation, wrong function)`` for each mistake :func:`check_reward_to_go` names."""


def check_reward_to_go(fn) -> bool:
    """Check ``fn(rewards, gamma) -> G`` with ``G_t = sum_{k>=t} gamma^(k-t) r_k`` (notebook 01)."""
    return _check("reward_to_go", fn, _rtg_cases(), lambda rewards, gamma: ref.reward_to_go(rewards, gamma),
                  RTG_MISTAKES, stub_hint="write G_t = r_t + gamma * G_{t+1}, from the last step backwards.")


# ------------------------------------------------------------------------------------------- rollout cases
FINAL_VALUES = [1.5, 0.5, 6.0, 5.5, 2.0, 0.8]
"""V(final observation) at a step where an episode ends: a value the critic gives the last state of the episode,
different from ``values[t+1]`` (the next episode's first state). Only read where an episode ends."""


def _rollout(values: list[float], bootstrap: float, terminated: list[bool], truncated: list[bool]) -> dict:
    """``values`` and ``next_values`` as a real rollout holds them: ``next_values[t] = values[t+1]`` where the episode
    goes on, V(final observation) where it ends at ``t``, and V(s_T) = ``bootstrap`` after the last step."""
    next_values = values[1:] + [bootstrap]
    for t, (te, tr) in enumerate(zip(terminated, truncated)):
        if (te or tr) and t < len(values) - 1:
            next_values[t] = FINAL_VALUES[t]
    return dict(values=list(values), next_values=next_values)


def _shifted(values, next_values, last="next"):
    """V(s_{t+1}) read as ``values[t+1]``; after the last step: ``next_values[-1]``, 0, or ``values[0]`` (np.roll)."""
    v = np.asarray(values, float)
    end = {"next": np.asarray(next_values, float)[-1], "zero": 0.0, "roll": v[0]}[last]
    return np.append(v[1:], end)


# ----------------------------------------------------------------------------------------------- notebook 02
def _td_cases():
    value = [10.0, 9.0, 8.0, 2.0]
    flags = [([False] * 4, [False] * 4, 0.9), ([False, True, False, False], [False] * 4, 0.9),
             ([False] * 4, [False, False, True, False], 0.99),
             ([True, False, False, False], [False, False, True, False], 0.5)]
    cases = []
    for terminated, truncated, gamma in flags:
        rollout = _rollout(value, 3.0, terminated, truncated)
        cases.append(dict(reward=[1.0, 1.0, 1.0, 0.5], value=rollout["values"], next_value=rollout["next_values"],
                          terminated=terminated, truncated=truncated, gamma=gamma))
    return cases


def _td_variant(boot=lambda te, tr: 1 - te, sign=1.0, g=None, next_from=None, swap=False):
    def wrong(reward, value, next_value, terminated, truncated, gamma):
        r, v = np.asarray(reward, float), np.asarray(value, float)
        nv = np.asarray(next_value, float) if next_from is None else _shifted(value, next_value, next_from)
        te, tr = np.asarray(terminated, float), np.asarray(truncated, float)
        target = r + (gamma if g is None else g) * boot(te, tr) * nv
        error = sign * (target - v)
        return (error, target) if swap else (target, error)
    return wrong


TD_MISTAKES = [
    ("V(s_{t+1}) is bootstrapped after a terminal step: when the pole falls nothing follows, multiply by "
     "(1 - terminated).", _td_variant(boot=lambda te, tr: np.ones_like(te))),
    ("a time-limit truncation is treated like a terminal state: the state still had a future, so keep "
     "gamma * V(final observation); only `terminated` removes the bootstrap.",
     _td_variant(boot=lambda te, tr: 1 - np.maximum(te, tr))),
    ("both mistakes at once: bootstrap after truncation, not after termination.",
     _td_variant(boot=lambda te, tr: 1 - tr)),
    ("the TD error has the wrong sign: delta = target - V(s_t).", _td_variant(sign=-1.0)),
    ("gamma is missing from the target.", _td_variant(g=1.0)),
    ("the two values are swapped: return (td_target, td_error), in that order.", _td_variant(swap=True)),
    ("at a truncated step you bootstrapped from value[t+1], the value of the next episode's first state: "
     "use next_value[t], V(final observation) (value[t+1] equals it only where the episode goes on).",
     _td_variant(next_from="next")),
    ("V(s_{t+1}) read as value[t+1], with 0 after the last step: the array was cut there, not the episode; "
     "use next_value[t] for every t (also at truncations).", _td_variant(next_from="zero")),
]
"""``(explanation, wrong function)`` for each mistake :func:`check_td` names."""


def _td_form(got, case) -> str | None:
    """Name a single array returned in place of the pair: the TD error alone, or the TD target alone."""
    if isinstance(got, (tuple, list)):
        return None
    try:
        array = _array(got, "the result")
    except _Form:
        return None
    target, error = td_target_and_error_solution(**case)
    for what, right in (("the TD error", error), ("the TD target", target)):
        if array.shape == right.shape and np.allclose(array, right):
            return f"returned only {what}: return both, `return td_target, td_error`"
    if array.shape == target.shape:
        return ("returned one array, which is neither the TD target nor the TD error: return both, "
                "`return td_target, td_error`")
    return None


def check_td(fn) -> bool:
    """Check ``fn(reward, value, next_value, terminated, truncated, gamma) -> (td_target, td_error)`` (notebook 02)."""
    return _check("td_target_and_error", fn, _td_cases(), td_target_and_error_solution, TD_MISTAKES,
                  names=("td_target", "td_error"), explain_form=_td_form,
                  stub_hint="target = r + gamma * V(s_{t+1}) unless the episode terminated; error = target - V(s_t).")


# ----------------------------------------------------------------------------------------------- notebook 03
def _gae_variant(boot_cut=lambda te, tr: 1 - te, recursion_cut=lambda te, tr: 1 - max(te, tr), lam_used=True,
                 gamma_in_recursion=True, add_values=False, next_from=None):
    def wrong(rewards, values, next_values, terminated, truncated, gamma, lam):
        r, v = np.asarray(rewards, float), np.asarray(values, float)
        nv = np.asarray(next_values, float) if next_from is None else _shifted(values, next_values, next_from)
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
    none = [False] * 6
    flags = [(none, none, 0.9, 0.8),
             ([False, False, True, False, False, False], none, 0.9, 0.8),
             (none, [False, False, True, False, False, False], 0.9, 0.8),
             ([False, True, False, False, False, False], [False, False, False, False, True, False], 0.99, 0.95),
             ([False, True, False, False, False, False], none, 0.5, 0.0),
             (none, [False, False, False, True, False, False], 0.5, 1.0)]
    cases = []
    for terminated, truncated, gamma, lam in flags:
        rollout = _rollout([3.0, 2.5, 1.0, 4.0, 3.5, 3.0], 2.5, terminated, truncated)
        cases.append(dict(rewards=[1.0] * 6, **rollout, terminated=terminated, truncated=truncated, gamma=gamma,
                          lam=lam))
    return cases


GAE_MISTAKES = [
    ("the recursion stops at terminal steps but not at truncated ones: after a truncation the next entry is a new "
     "episode.", _gae_variant(recursion_cut=lambda te, tr: 1 - te)),
    ("the recursion runs across episode boundaries: multiply A_{t+1} by (1 - done_t), with done = terminated or "
     "truncated.", _gae_variant(recursion_cut=lambda te, tr: 1.0)),
    ("V(s_{t+1}) is bootstrapped after a terminal step: delta_t = r_t + gamma (1 - terminated_t) V(s_{t+1}) - V(s_t).",
     _gae_variant(boot_cut=lambda te, tr: np.ones_like(te))),
    ("truncated steps are not bootstrapped: only a true terminal state has value 0; keep gamma V(final observation).",
     _gae_variant(boot_cut=lambda te, tr: 1 - np.maximum(te, tr))),
    ("lambda is missing from the recursion: A_t = delta_t + gamma * lambda * A_{t+1}.", _gae_variant(lam_used=False)),
    ("gamma is missing from the recursion: A_t = delta_t + gamma * lambda * A_{t+1}.",
     _gae_variant(gamma_in_recursion=False)),
    ("these are the value targets A_t + V(s_t), not the advantages.", _gae_variant(add_values=True)),
    ("at a truncated step you bootstrapped from values[t+1], the value of the next episode's first state: use "
     "next_values[t], V(final observation) (values[t+1] equals it only where the episode goes on).",
     _gae_variant(next_from="next")),
    ("V(s_{t+1}) read as values[t+1], with 0 after the rollout's last step: the rollout was cut there, not the "
     "episode, so the last step bootstraps from next_values[T-1]; using next_values[t] for every t also gets "
     "truncations right.", _gae_variant(next_from="zero")),
    ("V(s_{t+1}) read as np.roll(values, -1): after the rollout's last step it wraps round to values[0]; "
     "V(s_T) is next_values[T-1] (use next_values[t] for every t).", _gae_variant(next_from="roll")),
]
"""``(explanation, wrong function)`` for each mistake :func:`check_gae` names."""


def _gae_error(error) -> str | None:
    if isinstance(error, IndexError):
        return ("Likely values[t+1] at the rollout's last step t = T-1, where there is none: V(s_T) is "
                "next_values[T-1], and next_values[t] is V(s_{t+1}) for every t.")
    return None


def check_gae(fn) -> bool:
    """Check ``fn(rewards, values, next_values, terminated, truncated, gamma, lam) -> advantages`` (notebook 03)."""
    return _check("gae", fn, _gae_cases(), lambda **case: ref.gae(**case), GAE_MISTAKES, explain_error=_gae_error,
                  stub_hint="walk backwards: A_t = delta_t + gamma * lam * A_{t+1}, restarted where an episode ends.")


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
    """Run ``fn`` positionally on a fresh copy of ``case``'s graph; return the loss and its gradient for every
    input. Raises :class:`_Form` if the loss is not a one-element tensor with a gradient."""
    case = _a2c_case(*case)
    leaves = case["leaves"]
    loss = fn(leaves["log_probs"], leaves["entropy"], leaves["values"], case["advantages"], case["returns"],
              case["vf_coef"], case["ent_coef"])
    if not isinstance(loss, torch.Tensor):
        raise _Form("returned None: is a `return` missing?" if loss is None else
                    f"returned a {type(loss).__name__}, not a torch tensor: keep the loss in torch (no .item(), no "
                    f"numpy) so that loss.backward() can reach the network")
    if loss.numel() != 1:
        raise _Form(f"returned a tensor of shape {tuple(loss.shape)}, not a scalar: average over the batch (.mean())")
    if not loss.requires_grad:
        raise _Form("returned a loss with no gradient: every input is detached (or the loss went through numpy), "
                    "so the optimiser cannot move anything")
    grads = torch.autograd.grad(loss.reshape(()), [leaves[n] for n in INPUTS], allow_unused=True)
    return float(loss.detach()), {n: np.zeros(6) if g is None else g.numpy() for n, g in zip(INPUTS, grads)}


def _a2c_wrong(policy="-mean(A.detach() * logp)", value="mean((R.detach() - V)^2)", entropy=-1.0, weight=True,
               value_scale=1.0):
    policies = {"-mean(A.detach() * logp)": lambda A, R, lp: -(A.detach() * lp).mean(),
                "-mean(A * logp)": lambda A, R, lp: -(A * lp).mean(),
                "+mean(A.detach() * logp)": lambda A, R, lp: (A.detach() * lp).mean(),
                "-sum(A.detach() * logp)": lambda A, R, lp: -(A.detach() * lp).sum(),
                "-mean(R.detach() * logp)": lambda A, R, lp: -(R.detach() * lp).mean()}
    values = {"mean((R.detach() - V)^2)": lambda R, V: (R.detach() - V).pow(2).mean(),
              "mean((R - V)^2)": lambda R, V: (R - V).pow(2).mean()}

    def loss(log_probs, entropy_, values_, advantages, returns, vf_coef, ent_coef):
        return (policies[policy](advantages, returns, log_probs)
                + (vf_coef if weight else 1.0) * value_scale * values[value](returns, values_)
                + entropy * ent_coef * entropy_.mean())
    return loss


A2C_MISTAKES = [
    ("the advantage is not detached: the policy term also pushes V(s_t) and V(s_{t+1}), so the critic "
     "learns to please the actor instead of predicting returns.", _a2c_wrong(policy="-mean(A * logp)")),
    ("the value target is not detached: the value term also moves V(s_{t+1}) towards V(s_t) (a full "
     "gradient); TD learning moves only the prediction towards the target (a semi-gradient).",
     _a2c_wrong(value="mean((R - V)^2)")),
    ("neither the advantage nor the value target is detached.",
     _a2c_wrong(policy="-mean(A * logp)", value="mean((R - V)^2)")),
    ("the policy term has the wrong sign: the optimiser minimises the loss and we want to maximise "
     "E[A log pi], so the loss holds its negative.", _a2c_wrong(policy="+mean(A.detach() * logp)")),
    ("the entropy term has the wrong sign: subtracting the entropy from the loss is what rewards "
     "randomness; adding it punishes exploration.", _a2c_wrong(entropy=1.0)),
    ("vf_coef is missing: the value term enters the loss with weight vf_coef.", _a2c_wrong(weight=False)),
    ("your value loss uses ½·MSE; SB3 (and this course) use F.mse_loss without ½: value term = vf_coef * "
     "mean((R - V)^2).", _a2c_wrong(value_scale=0.5)),
    ("your value loss is twice the expected (2·MSE); SB3 (and this course) use F.mse_loss, mean((R - V)^2), "
     "with no factor 2.", _a2c_wrong(value_scale=2.0)),
    ("your value term is 0.5 * MSE with no vf_coef: it agrees only when vf_coef = 0.5; SB3 (and this course) use "
     "vf_coef * F.mse_loss, with no ½.", _a2c_wrong(weight=False, value_scale=0.5)),
    ("the policy term is summed over the batch instead of averaged, so its size grows with the batch.",
     _a2c_wrong(policy="-sum(A.detach() * logp)")),
    ("the returns weight the log-probabilities instead of the advantages: REINFORCE without a baseline.",
     _a2c_wrong(policy="-mean(R.detach() * logp)")),
]
"""``(explanation, wrong loss)`` for each mistake :func:`check_a2c_loss` names."""


def check_a2c_loss(fn) -> bool:
    """Check ``fn(log_probs, entropy, values, advantages, returns, vf_coef, ent_coef) -> loss`` (notebook 03):
    its value, and the gradient it sends to the log-probabilities, the entropy, V(s_t) and V(s_{t+1})."""
    cases = [(0, 0.5, 0.01), (1, 0.25, 0.1), (2, 1.0, 0.0)]
    outputs = []
    for case in cases:
        try:
            outputs.append(_loss_and_grads(fn, case))
        except NotImplementedError as error:
            print(f"✗ not written yet: {str(error) or 'policy term + vf_coef * value term - ent_coef * entropy.'}")
            return False
        except _Form as form:
            print(f"✗ a2c_loss: {_sentence(form)} Case: vf_coef={case[1]}, ent_coef={case[2]}.")
            return False
        except Exception as error:  # noqa: BLE001 - the learner's error, named in one line
            print(f"✗ a2c_loss raised {type(error).__name__}: {_sentence(error)} Case: vf_coef={case[1]}, "
                  f"ent_coef={case[2]}.")
            return False
    differences = [_a2c_differences(got, _loss_and_grads(a2c_loss, case)) for got, case in zip(outputs, cases)]
    wrong = [i for i, d in enumerate(differences) if d]
    if not wrong:
        print(f"✓ a2c_loss: the value and the gradients match the reference in all {len(cases)} cases.")
        return True
    i = wrong[0]
    explanation = _name_mistake(
        A2C_MISTAKES, lambda mistake, j: not _a2c_differences(outputs[j], _loss_and_grads(mistake, cases[j])),
        len(cases), i, "not one of the usual mistakes: compare each term with the equation, and ask which inputs "
                       "the gradient should flow through.")
    print(f"✗ a2c_loss: {explanation} First differing case (vf_coef={cases[i][1]}, ent_coef={cases[i][2]}): "
          f"{'; '.join(differences[i])}.")
    return False


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
