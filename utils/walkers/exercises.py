"""Exercise checkers for notebooks 05-06 (training the walkers). Each checker says what differs."""
from __future__ import annotations

import numpy as np

from utils.walkers.scoring import pass_score

CHOICE_CASES = [  # in each, the highest mean is not the highest pass score, nor is the smallest spread
    ({"steady": [900.0, 940.0, 920.0], "lucky": [1600.0, 200.0, 1500.0], "still": [100.0, 100.0, 100.0]}, "steady"),
    ({"last": [2600.0, 2000.0, 2900.0], "best": [2400.0, 2500.0, 2450.0], "standing": [300.0, 301.0, 299.0]}, "best"),
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
