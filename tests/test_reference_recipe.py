"""``recipes.REFERENCE`` is the Hugging Face course's recipe that ``benchmarks/reference_recipe.py`` spells out:
built with the same seed, both give the same environments, hyperparameters, optimiser and initial networks."""
import importlib.util
from pathlib import Path

import torch
from stable_baselines3 import A2C

from utils.walkers.recipes import COURSE, REFERENCE
from utils.walkers.runs import new_model
from utils.walkers.walking import ScaleAliveBonus

ENV_ID = "Walker2DBulletEnv-v0"
A2C_VALUES = ("n_steps", "gamma", "gae_lambda", "ent_coef", "vf_coef", "max_grad_norm", "normalize_advantage",
              "use_sde", "sde_sample_freq")
NORMALIZE_VALUES = ("norm_obs", "norm_reward", "clip_obs", "clip_reward", "gamma", "epsilon", "training")


def reference_model() -> A2C:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "reference_recipe.py"
    spec = importlib.util.spec_from_file_location("reference_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(ENV_ID, seed=0)


def recipe_model(recipe) -> A2C:
    """The model the course's training builds from a recipe."""
    return new_model(recipe, ENV_ID, seed=0)[0]


def differences(a: A2C, b: A2C) -> list[str]:
    out = [name for name in A2C_VALUES if getattr(a, name) != getattr(b, name)]
    out += [f"learning rate at progress {p}" for p in (1.0, 0.5, 0.01) if a.lr_schedule(p) != b.lr_schedule(p)]
    env_a, env_b = a.get_env(), b.get_env()
    out += [f"VecNormalize.{name}" for name in NORMALIZE_VALUES if getattr(env_a, name) != getattr(env_b, name)]
    if (type(env_a.venv), env_a.num_envs) != (type(env_b.venv), env_b.num_envs):
        out.append("vectorised environment")
    opt_a, opt_b = a.policy.optimizer, b.policy.optimizer
    if type(opt_a) is not type(opt_b) or {k: v for k, v in opt_a.defaults.items() if k != "lr"} != \
            {k: v for k, v in opt_b.defaults.items() if k != "lr"}:
        out.append("optimiser")
    if str(a.policy) != str(b.policy):
        out.append("network architecture")
    else:
        state_a, state_b = a.policy.state_dict(), b.policy.state_dict()
        out += [f"initial {k}" for k in state_a if not torch.equal(state_a[k], state_b[k])]
    return out


def test_reference_recipe_builds_the_benchmark_s_model():
    reference, ours, course = reference_model(), recipe_model(REFERENCE), recipe_model(COURSE)
    try:
        assert differences(ours, reference) == []
        assert not any(ours.get_env().env_is_wrapped(ScaleAliveBonus)), "the reference trains on the env's own reward"
        changed = differences(course, reference)  # the comparison sees a different recipe
        assert "n_steps" in changed and "vectorised environment" in changed, changed
    finally:
        for model in (reference, ours, course):
            model.get_env().close()
