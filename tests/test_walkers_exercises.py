"""The checkers of notebooks 05-06's exercises (utils.walkers.exercises) accept the reference and reject the
tempting wrong answers."""
import numpy as np
import pytest

from utils.walkers.exercises import (CHOICE_CASES, check_choose_policy, check_frozen_eval_env, choose_policy,
                                     frozen_eval_env)
from utils.walkers.scoring import pass_score


def test_every_choice_case_separates_the_pass_score_from_the_mean_and_from_the_spread():
    for candidates, expected in CHOICE_CASES:
        by_mean = max(candidates, key=lambda name: np.mean(candidates[name]))
        by_spread = min(candidates, key=lambda name: np.std(candidates[name]))
        by_pass = max(candidates, key=lambda name: pass_score(candidates[name]))
        assert by_pass == expected != by_mean and expected != by_spread, candidates


def test_the_reference_passes_the_checker(capsys):
    check_choose_policy(choose_policy)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda c: max(c, key=lambda name: np.mean(c[name])),  # the highest mean: the luckiest episodes
    lambda c: min(c, key=lambda name: np.std(c[name])),  # the steadiest, even if it stands still
    lambda c: max(c, key=lambda name: max(c[name])),  # the best single episode
])
def test_the_checker_rejects_the_tempting_wrong_choices(wrong):
    with pytest.raises(AssertionError, match="the pass score picks"):
        check_choose_policy(wrong)
# The frozen-evaluation-environment exercise of notebook 05: the checker names each classic mistake.


@pytest.fixture(scope="module")
def stats(tiny_walker_run):
    return tiny_walker_run.out / "last" / (tiny_walker_run.out / "last" / "latest").read_text().strip() / "vec_normalize.pkl"


def test_the_frozen_env_reference_passes(stats, capsys):
    check_frozen_eval_env(frozen_eval_env, stats, "Walker2DBulletEnv-v0")
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, message", [
    ("training", "still training"), ("norm_reward", "still normalised"), ("seed", "seeded"), ("training_env", "training environment"),
])
def test_each_frozen_env_mistake_is_named(stats, mistake, message):
    training_env = frozen_eval_env(stats, "Walker2DBulletEnv-v0", 0)

    def wrong(path, env_id, seed):
        if mistake == "training_env":
            return training_env
        env = frozen_eval_env(path, env_id, seed + 1 if mistake == "seed" else seed)
        if mistake in ("training", "norm_reward"):
            setattr(env, mistake, True)
        return env

    with pytest.raises(AssertionError, match=message):
        check_frozen_eval_env(wrong, stats, "Walker2DBulletEnv-v0", training_env=training_env)
    training_env.close()
