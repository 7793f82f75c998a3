"""The checkers of notebook 05's exercises (utils.walkers.exercises) accept the reference, reject the tempting wrong
answers by name, and follow the course's checker convention: one line starting with ✓ or ✗, True or False, never
an exception for a wrong answer (a stub that raises NotImplementedError is "not written yet")."""
from dataclasses import replace

import numpy as np
import pytest
from stable_baselines3 import A2C, PPO

from utils.walkers import exercises
from utils.walkers.exercises import (CHOICE_CASES, a2c_model, check_a2c_model, check_choose_policy,
                                     check_frozen_eval_env, choose_policy, frozen_eval_env)
from utils.walkers.recipes import WALKER
from utils.walkers.scoring import pass_score

ENV = "Walker2DBulletEnv-v0"


def one_line(capsys, mark):
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1 and out.startswith(mark), out
    return out


def stub(*args):
    raise NotImplementedError("Hint: a hint")


# ----------------------------------------------------------------------------------------- choose_policy
def test_every_choice_case_separates_the_pass_score_from_the_mean_and_from_the_spread():
    for candidates, expected in CHOICE_CASES:
        by_mean = max(candidates, key=lambda name: np.mean(candidates[name]))
        by_spread = min(candidates, key=lambda name: np.std(candidates[name]))
        by_pass = max(candidates, key=lambda name: pass_score(candidates[name]))
        assert by_pass == expected != by_mean and expected != by_spread, candidates


def test_the_reference_passes_the_checker_and_is_the_code_it_prints(capsys):
    assert check_choose_policy(choose_policy) is True
    one_line(capsys, "✓")
    exercises.solution_choose_policy()
    assert capsys.readouterr().out.strip() == exercises.CHOOSE_SOLUTION.strip()


@pytest.mark.parametrize("wrong, named", [
    (lambda c: max(c, key=lambda name: np.mean(c[name])), "highest mean"),  # the luckiest episodes
    (lambda c: min(c, key=lambda name: np.std(c[name])), "smallest spread"),  # the steadiest, even standing still
    (lambda c: max(c, key=lambda name: max(c[name])), "highest mean"),  # the best single episode: here the same one
    (lambda c: "nobody", "not one of the candidates"),
])
def test_the_checker_names_the_tempting_wrong_choices(wrong, named, capsys):
    assert check_choose_policy(wrong) is False
    out = one_line(capsys, "✗ ")
    assert named in out and "pass score" in out


@pytest.mark.parametrize("check", [check_choose_policy, lambda fn: check_a2c_model(fn, WALKER, ENV),
                                   lambda fn: check_frozen_eval_env(fn, "unused.pkl", ENV)])
def test_a_stub_is_not_written_yet_and_an_error_is_one_line(check, capsys):
    assert check(stub) is False
    assert one_line(capsys, "✗ not written yet: Hint: a hint")

    def broken(*args):
        raise KeyError("oops")

    assert check(broken) is False
    assert "raised KeyError" in one_line(capsys, "✗ ")


# ----------------------------------------------------------------------------------------- my_a2c
def test_the_a2c_reference_passes_and_is_the_code_it_prints(capsys):
    assert check_a2c_model(a2c_model, WALKER, ENV, 3) is True
    one_line(capsys, "✓")
    exercises.solution_a2c()
    assert capsys.readouterr().out.strip() == exercises.A2C_SOLUTION.strip()


def test_the_a2c_reference_follows_any_recipe(capsys):
    other = replace(WALKER, n_steps=5, lr_schedule="constant", use_rms_prop=False, ortho_init=True, gamma=0.95,
                    activation="relu", net_arch=(32,))
    assert check_a2c_model(a2c_model, other, ENV) is True


@pytest.mark.parametrize("wrong, named", [
    (lambda env, recipe, seed: A2C("MlpPolicy", env, seed=seed, device="cpu"), "7 values differ"),  # SB3's defaults
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, lr_schedule="constant"), seed),
     "decaying linearly to 0: a float is a constant rate"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, n_steps=5), seed), "n_steps=5 (recipe: 8)"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, gae_lambda=0.95), seed), "gae_lambda=0.95"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, use_sde=False), seed), "use_sde=False"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, ent_coef=0.01), seed), "ent_coef=0.01"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, vf_coef=0.5), seed), "vf_coef=0.5"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, max_grad_norm=1.0), seed), "max_grad_norm=1.0"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, use_rms_prop=False), seed), "optimiser Adam"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, log_std_init=0.0), seed), "log_std_init=0.0"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, ortho_init=True), seed), "ortho_init=True"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, net_arch=(256, 256)), seed), "net_arch"),
    (lambda env, recipe, seed: a2c_model(env, replace(recipe, activation="relu"), seed), "activation_fn=ReLU"),
    (lambda env, recipe, seed: a2c_model(env, recipe, seed + 1), "seed=1"),
    (lambda env, recipe, seed: PPO("MlpPolicy", env), "not an A2C model"),
    (lambda env, recipe, seed: A2C("MlpPolicy", "Pendulum-v1"), "another environment"),
])
def test_each_a2c_mistake_is_named(wrong, named, capsys):
    assert check_a2c_model(wrong, WALKER, ENV, 0) is False
    assert named in one_line(capsys, "✗ ")


# ----------------------------------------------------------------------------------------- my_frozen_eval_env
@pytest.fixture(scope="module")
def stats(tiny_walker_run):
    return tiny_walker_run.out / "last" / (tiny_walker_run.out / "last" / "latest").read_text().strip() / "vec_normalize.pkl"


def test_the_frozen_env_reference_passes_and_is_the_code_it_prints(stats, capsys):
    assert check_frozen_eval_env(frozen_eval_env, stats, ENV) is True
    one_line(capsys, "✓")
    exercises.solution_frozen_eval_env()
    assert capsys.readouterr().out.strip() == exercises.FROZEN_EVAL_SOLUTION.strip()


@pytest.mark.parametrize("mistake, message", [
    ("training", "still training"), ("norm_reward", "still normalised"), ("seed", "seeded"),
    ("training_env", "training environment"), ("env_id", "do not fit this environment"),
    ("no_stats", "needs its normalisation statistics"), ("training_reward", "training reward (ScaleAliveBonus)"),
])
def test_each_frozen_env_mistake_is_named(stats, mistake, message, capsys):
    from stable_baselines3.common.vec_env import VecNormalize

    from utils.walkers.envs import make_vec

    training_env = frozen_eval_env(stats, ENV, 0)

    def wrong(path, env_id, seed):
        if mistake == "training_env":
            return training_env
        if mistake == "no_stats":
            return make_vec(env_id, n_envs=1, seed=seed)
        if mistake == "training_reward":
            return VecNormalize.load(str(path), make_vec(env_id, n_envs=1, seed=seed, alive_bonus=0.25))
        env = frozen_eval_env(path, "HopperBulletEnv-v0" if mistake == "env_id" else env_id,
                              seed + 1 if mistake == "seed" else seed)
        if mistake in ("training", "norm_reward"):
            setattr(env, mistake, True)
        return env

    assert check_frozen_eval_env(wrong, stats, ENV, training_env=training_env) is False
    assert message in one_line(capsys, "✗ ")
    training_env.close()
