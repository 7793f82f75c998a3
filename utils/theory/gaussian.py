"""The diagonal Gaussian policy's log-probability, written out, and the checker of notebook 04's exercise.

Introduced in notebook 04. :func:`gaussian_log_prob` is the exercise's reference solution: the formula of the
notebook's section 1, term by term. :func:`check_gaussian_log_prob` runs a learner's version on small batches,
compares it with ``torch.distributions.Normal(mean, std).log_prob(actions).sum(-1)``, and names the usual mistake.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.distributions import Normal

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def gaussian_log_prob(actions, mean, log_std):
    """log pi(a|s) of a diagonal Gaussian: sum over the action dimensions (last axis) of
    -(a - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2. Inputs broadcast; the result drops the last axis."""
    std = log_std.exp()
    per_dimension = -((actions - mean) ** 2) / (2 * std**2) - log_std - HALF_LOG_2PI
    return per_dimension.sum(-1)


def _cases() -> list[dict]:
    """Batches of actions with their means and log-stds: one action dimension, several, a log-std per state."""
    g = torch.Generator().manual_seed(0)
    return [
        dict(actions=torch.randn(5, 1, generator=g), mean=torch.zeros(5, 1), log_std=torch.tensor([0.3])),
        dict(actions=torch.randn(4, 3, generator=g), mean=torch.randn(4, 3, generator=g),
             log_std=torch.tensor([-0.5, 0.0, 0.7])),
        dict(actions=torch.randn(6, 6, generator=g) * 0.3, mean=torch.randn(6, 6, generator=g) * 0.3,
             log_std=torch.randn(6, 6, generator=g) * 0.5 - 1.0),
    ]


def _reference(actions, mean, log_std):
    return Normal(mean, log_std.exp()).log_prob(actions).sum(-1)


def _per_dimension(actions, mean, log_std, variance_of, log_term, constant):
    """A variant of the per-dimension formula, to recognise a mistake by its numbers."""
    std = log_std.exp()
    return -((actions - mean) ** 2) / (2 * variance_of(std)) - log_term(log_std) - constant


MISTAKES = [
    ("the sign is flipped: you returned -log pi (the negative log-likelihood); log pi of a Gaussian is at most "
     "-log sigma - log(2 pi)/2 per dimension, and falls as the action moves away from the mean.",
     lambda a, m, s: -_reference(a, m, s)),
    ("sigma is used where the variance sigma^2 belongs: the squared distance is divided by 2 sigma^2.",
     lambda a, m, s: _per_dimension(a, m, s, lambda std: std, lambda ls: ls, HALF_LOG_2PI).sum(-1)),
    ("sigma is treated as the variance throughout: divide by 2 sigma^2 and subtract log sigma (not log(sigma)/2).",
     lambda a, m, s: _per_dimension(a, m, s, lambda std: std, lambda ls: ls / 2, HALF_LOG_2PI).sum(-1)),
    ("the constant -log(2 pi)/2 of each dimension is missing (it does not change the gradient, but log pi is wrong "
     "and so are the entropy and any comparison with another library).",
     lambda a, m, s: _per_dimension(a, m, s, lambda std: std**2, lambda ls: ls, 0.0).sum(-1)),
    ("the normaliser -log sigma is missing: without it a wider Gaussian would always look more likely, and the "
     "gradient on log_std is wrong.",
     lambda a, m, s: _per_dimension(a, m, s, lambda std: std**2, lambda ls: 0 * ls, HALF_LOG_2PI).sum(-1)),
    ("the constant is log(2 pi), not log(2 pi)/2, per dimension.",
     lambda a, m, s: _per_dimension(a, m, s, lambda std: std**2, lambda ls: ls, 2 * HALF_LOG_2PI).sum(-1)),
    ("you averaged over the action dimensions: the dimensions are independent, so their log-probabilities add "
     "(sum over the last axis).",
     lambda a, m, s: _reference(a, m, s) / a.shape[-1]),
]


def _fmt(x) -> str:
    return np.array2string(np.asarray(x, dtype=float), precision=3, separator=", ", suppress_small=True)


def check_gaussian_log_prob(fn) -> bool:
    """Check ``fn(actions, mean, log_std) -> log pi`` (one number per row) against ``torch.distributions.Normal``;
    print one line, ✓ or ✗ with the usual mistake named, and return True when every case matches (the course's
    checker convention, :mod:`utils.theory.exercises`). ``fn`` is called positionally."""
    for number, case in enumerate(_cases(), 1):
        shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in case.items())
        try:
            got = fn(*(v.clone() for v in case.values()))
        except NotImplementedError as error:
            print(f"✗ not written yet: {error}")
            return False
        except Exception as error:  # noqa: BLE001 - the learner's error, shown in one line
            print(f"✗ case {number} ({shapes}) raised {type(error).__name__}: {error}")
            return False
        got = torch.as_tensor(np.asarray(got.detach() if torch.is_tensor(got) else got, dtype=np.float64))
        expected = _reference(**case).double()
        if got.shape != expected.shape:
            per_dim = tuple(case["actions"].shape)
            hint = (" Looks like: the sum over the action dimensions is missing (log pi of a vector is the sum of "
                    "its dimensions' log-probabilities, `.sum(-1)`)." if tuple(got.shape) == per_dim else
                    " Looks like: you summed over the batch too; sum over the last axis only." if got.dim() == 0 else "")
            print(f"✗ case {number} ({shapes}): expected shape {tuple(expected.shape)} (one number per row), "
                  f"got {tuple(got.shape)}.{hint}")
            return False
        if torch.allclose(got, expected, atol=1e-5, rtol=1e-5):
            continue
        named = next((explanation for explanation, wrong in MISTAKES
                      if torch.allclose(got, wrong(*case.values()).double(), atol=1e-5, rtol=1e-5)),
                     "not one of the usual mistakes: compare each term with the formula of section 1")
        print(f"✗ {named} (case {number}, {shapes}: expected {_fmt(expected)}, got {_fmt(got)})")
        return False
    print(f"✓ gaussian_log_prob: all {len(_cases())} cases match torch.distributions.Normal(...).log_prob(...).sum(-1).")
    return True
