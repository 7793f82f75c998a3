"""Exercise checkers for notebooks 05-06 (training the walkers). Each checker says what differs."""
from __future__ import annotations

import numpy as np

from utils.walkers.scoring import pass_score

CHOICE_CASES = [
    ({"last": [900, 920, 910], "best": [950, 400, 990]}, "last"),
    ({"last": [240, 250, 100], "best": [930, 950, 940]}, "best"),
    ({"only": [10.0, 12.0]}, "only"),
]


def choose_policy(candidates: dict[str, list[float]]) -> str:
    """Reference solution: the candidate with the highest pass score (mean - std of its episode returns)."""
    return max(candidates, key=lambda name: pass_score(candidates[name]))


def check_choose_policy(fn) -> None:
    """Compare a learner's ``choose_policy`` with the reference on cases where mean and pass score disagree."""
    for candidates, expected in CHOICE_CASES:
        got = fn(candidates)
        if got != expected:
            scores = {k: f"mean {np.mean(v):.0f}, pass score {pass_score(v):.0f}" for k, v in candidates.items()}
            raise AssertionError(f"For {scores} you chose {got!r}; the pass score picks {expected!r}.")
    print("Correct: you ship the policy that walks reliably, not the one with the luckiest episodes.")


def check_pass_score(fn) -> None:
    """Compare a learner's ``pass_score(returns)`` with the reference."""
    for returns in ([2400.0, 2500.0, 2450.0], [858.0, 100.0, 1200.0, 950.0], [5.0]):
        got, want = fn(returns), pass_score(returns)
        if not np.isclose(got, want):
            hint = " (np.std with ddof=0, the population std)" if np.isclose(got, np.mean(returns) - np.std(returns, ddof=1)) else ""
            raise AssertionError(f"pass_score({returns}) = {got:.3f}, expected {want:.3f}{hint}.")
    print("Correct: pass score = mean - std over the evaluation episodes.")
