"""Exercise checkers for notebook 05 (training the walker). Each checker says what differs.

The convention of every checker in the course (``utils.theory.exercises`` too): it calls the learner's function
positionally, prints ONE line, starting with "✓" when the answer is right or with "✗ " and the named mistake (what
differs, and its likely cause) when it is wrong, and returns ``True``/``False``. It never raises for a wrong answer;
a stub that still raises ``NotImplementedError`` is reported as "✗ not written yet: <hint>".

The reference solutions stay hidden until asked for: ``solution_a2c()``, ``solution_frozen_eval_env()`` and
``solution_choose_policy()`` print them. Each is defined from the very text it prints (``*_SOLUTION``), so what is shown
is what the checkers and ``tests/test_pipeline.py`` run.
"""
from __future__ import annotations

import numpy as np


_IMPORTS = """\
import numpy as np
from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecNormalize
from torch import nn

from utils.walkers.envs import make_walking_env
"""


def _define(code: str, name: str):
    """The function ``name`` that ``code`` defines, with the imports the notebook's exercise cells make."""
    namespace: dict = {}
    exec(_IMPORTS + code, namespace)  # noqa: S102 - the module's own constant text, never input
    return namespace[name]


def _not_written(error: NotImplementedError) -> bool:
    print(f"✗ not written yet: {error}")
    return False


def _raised(name: str, error: Exception) -> bool:
    print(f"✗ {name} raised {type(error).__name__}: {error}")
    return False


# ----------------------------------------------------------------------------------- the A2C(...) call, section 3
A2C_SOLUTION = '''\
def my_a2c(env, recipe, seed):
    """A2C on the vectorised, normalised env, with every value of the recipe."""
    return A2C(
        "MlpPolicy", env,
        n_steps=recipe.n_steps,                       # rollout: n_envs x n_steps samples per update
        learning_rate=LinearSchedule(recipe.learning_rate, 0.0, 1.0) if recipe.lr_schedule == "linear"
        else recipe.learning_rate,                    # SB3 calls a schedule with the remaining progress, 1 -> 0
        gamma=recipe.gamma, gae_lambda=recipe.gae_lambda,  # the advantage: GAE(lambda), notebook 03
        ent_coef=recipe.ent_coef, vf_coef=recipe.vf_coef,  # loss = policy + vf_coef x value - ent_coef x entropy
        max_grad_norm=recipe.max_grad_norm, use_rms_prop=recipe.use_rms_prop,
        normalize_advantage=recipe.normalize_advantage,
        use_sde=recipe.use_sde, sde_sample_freq=recipe.sde_sample_freq,  # gSDE; -1: new noise once per rollout
        policy_kwargs=dict(log_std_init=recipe.log_std_init, ortho_init=recipe.ortho_init,
                           activation_fn=nn.Tanh if recipe.activation == "tanh" else nn.ReLU,
                           net_arch=dict(pi=list(recipe.net_arch), vf=list(recipe.net_arch))),  # separate MLPs
        seed=seed, device="cpu", verbose=0,
    )
'''
a2c_model = _define(A2C_SOLUTION, "my_a2c")
"""Reference solution of the A2C exercise: ``a2c_model(env, recipe, seed)`` (the code ``solution_a2c()`` prints)."""


def solution_a2c() -> None:
    """Print the reference solution of the ``my_a2c`` exercise."""
    print(A2C_SOLUTION)


def _recipe_differences(model, recipe, seed: int) -> list[str]:
    """Each value of ``model`` that differs from ``recipe`` (and ``seed``), named as A2C's argument."""
    import torch

    from utils.walkers.recipes import ACTIVATIONS

    wanted = recipe.learning_rate_schedule()
    schedule = wanted if callable(wanted) else (lambda progress: wanted)
    differ = []
    for name in ("n_steps", "gamma", "gae_lambda", "ent_coef", "vf_coef", "max_grad_norm", "use_sde",
                 "sde_sample_freq", "normalize_advantage"):
        got, want = getattr(model, name), getattr(recipe, name)
        if name == "sde_sample_freq" and not recipe.use_sde:
            continue
        if not np.isclose(float(got), float(want)):
            differ.append(f"{name}={got} (recipe: {want})")
    at = {progress: model.lr_schedule(progress) for progress in (1.0, 0.5, 0.0)}
    if not all(np.isclose(at[p], schedule(p)) for p in at):
        decays = not np.isclose(at[1.0], at[0.0])
        differ.append(f"learning rate {at[1.0]:.3g} at the start, {at[0.0]:.3g} at the end (recipe: "
                      f"{schedule(1.0):.3g} {'decaying linearly to 0' if recipe.lr_schedule == 'linear' else 'constant'}"
                      f"{'' if decays or recipe.lr_schedule == 'constant' else ': a float is a constant rate'})")
    optimiser = type(model.policy.optimizer).__name__
    want_optimiser = "RMSprop" if recipe.use_rms_prop else "Adam"
    if optimiser != want_optimiser:
        differ.append(f"optimiser {optimiser} (recipe: {want_optimiser}, use_rms_prop={recipe.use_rms_prop})")
    policy = model.policy
    if not np.isclose(policy.log_std_init, recipe.log_std_init):
        differ.append(f"log_std_init={policy.log_std_init} (recipe: {recipe.log_std_init}, in policy_kwargs)")
    if policy.ortho_init != recipe.ortho_init:
        differ.append(f"ortho_init={policy.ortho_init} (recipe: {recipe.ortho_init}, in policy_kwargs; SB3's "
                      "default is True)")
    if policy.activation_fn is not ACTIVATIONS[recipe.activation]:
        differ.append(f"activation_fn={policy.activation_fn.__name__} (recipe: "
                      f"{ACTIVATIONS[recipe.activation].__name__}, in policy_kwargs)")
    arch = policy.net_arch
    layers = (list(arch.get("pi", [])), list(arch.get("vf", []))) if isinstance(arch, dict) else (list(arch),) * 2
    if layers != (list(recipe.net_arch),) * 2:
        differ.append(f"net_arch={arch} (recipe: pi and vf {list(recipe.net_arch)})")
    if model.seed != seed:
        differ.append(f"seed={model.seed} (you were given {seed}: pass it to A2C)")
    if model.device != torch.device("cpu"):
        differ.append(f"device={model.device} (the course trains on cpu: device='cpu')")
    return differ


def check_a2c_model(fn, recipe, env_id: str, seed: int = 0) -> bool:
    """Build a small normalised ``env_id`` environment, call ``fn(env, recipe, seed)`` and compare the model it
    returns with ``recipe``: the algorithm, the environment it trains on, and every value of the recipe."""
    from stable_baselines3 import A2C
    from stable_baselines3.common.vec_env import VecNormalize

    from utils.walkers.envs import make_vec

    env = VecNormalize(make_vec(env_id, n_envs=1, seed=seed), **recipe.vec_normalize_kwargs())
    try:
        try:
            model = fn(env, recipe, seed)
        except NotImplementedError as error:
            return _not_written(error)
        except Exception as error:  # noqa: BLE001 - the learner's error, in one line
            return _raised("my_a2c", error)
        if not isinstance(model, A2C):
            print(f"✗ got a {type(model).__name__}, not an A2C model: return A2C('MlpPolicy', env, ...).")
            return False
        if model.get_env() is not env:
            print("✗ the model trains on another environment than the one it was given (its id or its wrappers "
                  f"may differ too): build it on `env`, the normalised {env_id} copies.")
            return False
        differ = _recipe_differences(model, recipe, seed)
        if differ:
            print(f"✗ {len(differ)} value{'s' if len(differ) > 1 else ''} differ{'s' if len(differ) == 1 else ''} "
                  f"from the recipe: {'; '.join(differ)}.")
            return False
        print(f"✓ A2C on the given {env_id} environment, with every value of the recipe.")
        return True
    finally:
        env.close()


# ------------------------------------------------------------------------- the frozen evaluation, sections 3-4
FROZEN_EVAL_SOLUTION = '''\
def my_frozen_eval_env(stats_path, env_id, seed):
    """A fresh one-copy environment with the saved statistics, frozen, rewards unscaled."""
    env = VecNormalize.load(str(stats_path), make_vec_env(make_walking_env, env_kwargs=dict(env_id=env_id),
                                                          n_envs=1, seed=seed))
    env.training = False     # the statistics stay as training left them (observations and returns)
    env.norm_reward = False  # the wrapper hands out the environment's rewards, unscaled
    return env
'''
frozen_eval_env = _define(FROZEN_EVAL_SOLUTION, "my_frozen_eval_env")
"""Reference solution of the frozen-evaluation exercise (the code ``solution_frozen_eval_env()`` prints)."""


def solution_frozen_eval_env() -> None:
    """Print the reference solution of the ``my_frozen_eval_env`` exercise."""
    print(FROZEN_EVAL_SOLUTION)


def check_frozen_eval_env(fn, stats_path, env_id: str, training_env=None) -> bool:
    """Run a learner's ``fn(stats_path, env_id, seed)`` and name the classic mistakes of an evaluation environment:
    the training environment, another env id, no statistics, the training reward, statistics still training,
    rewards still normalised, other statistics than the saved ones, another seed."""
    from stable_baselines3.common.vec_env import VecNormalize

    seed = 12_345
    try:
        env = fn(stats_path, env_id, seed)
    except NotImplementedError as error:
        return _not_written(error)
    except (ValueError, AssertionError) as error:  # VecNormalize.load checks the observation space
        print(f"✗ my_frozen_eval_env raised {type(error).__name__} ({error}): the saved statistics do not fit this "
              f"environment's observations; build the environment with the env_id you are given ({env_id}).")
        return False
    except Exception as error:  # noqa: BLE001 - the learner's error, in one line
        return _raised("my_frozen_eval_env", error)
    try:
        if training_env is not None and env is training_env:
            print("✗ this is the training environment: evaluate on a fresh one, whose episodes (and seeds) played no "
                  "part in training.")
            return False
        if not isinstance(env, VecNormalize):
            print(f"✗ got a {type(env).__name__}: the agent needs its normalisation statistics, loaded with "
                  "VecNormalize.load(path, venv).")
            return False
        ids = {spec.id for spec in env.get_attr("spec") if spec is not None}
        if ids != {env_id}:
            print(f"✗ the environment is {', '.join(sorted(ids)) or 'of no registered id'}, not {env_id}: build it "
                  "with the env_id you are given.")
            return False
        from utils.walkers.walking import ScaleAliveBonus

        if any(env.env_is_wrapped(ScaleAliveBonus)):
            print("✗ the environment still has the training reward (ScaleAliveBonus): evaluate on the environment's "
                  "own reward, without wrapper_class.")
            return False
        if env.training:
            print("✗ the statistics are still training: every evaluation step would move the running means, so the "
                  "agent is scored with statistics it was never trained on. Set training = False.")
            return False
        if env.norm_reward:
            print("✗ rewards are still normalised: the wrapper hands out rewards divided by the return's running std, "
                  "not the environment's. Set norm_reward = False.")
            return False
        reference = frozen_eval_env(stats_path, env_id, seed)
        try:
            if not np.allclose(env.obs_rms.mean, reference.obs_rms.mean):
                print("✗ these are not the saved statistics: load them from stats_path with VecNormalize.load.")
                return False
            first, expected = env.reset(), reference.reset()
        finally:
            reference.close()
        if not np.allclose(first, expected):
            print(f"✗ the first observation differs from that of a copy seeded {seed}: seed the environment with "
                  "the seed you are given (make_vec_env(..., seed=seed)).")
            return False
    finally:
        env.close()
    print("✓ a fresh, seeded environment with the saved statistics frozen and the environment's own rewards.")
    return True


# ------------------------------------------------------------------------------------- which policy to ship
CHOICE_CASES = [  # in each, the highest mean is not the highest pass score, nor is the smallest spread
    ({"steady": [900.0, 940.0, 920.0], "lucky": [1600.0, 200.0, 1500.0], "still": [100.0, 100.0, 100.0]}, "steady"),
    ({"last": [2600.0, 2000.0, 2900.0], "best": [2400.0, 2500.0, 2450.0], "standing": [300.0, 301.0, 299.0]}, "best"),
]


CHOOSE_SOLUTION = '''\
def choose_policy(candidates):
    """The candidate with the highest pass score: mean - std of its episode returns."""
    return max(candidates, key=lambda name: np.mean(candidates[name]) - np.std(candidates[name]))
'''
choose_policy = _define(CHOOSE_SOLUTION, "choose_policy")
"""Reference solution of the exercise "which policy would you ship?" (the code ``solution_choose_policy()`` prints)."""


def solution_choose_policy() -> None:
    """Print the reference solution of the ``choose_policy`` exercise."""
    print(CHOOSE_SOLUTION)


def check_choose_policy(fn) -> bool:
    """Compare a learner's ``choose_policy`` with the reference on cases where mean and pass score disagree."""
    for candidates, expected in CHOICE_CASES:
        try:
            got = fn(candidates)
        except NotImplementedError as error:
            return _not_written(error)
        except Exception as error:  # noqa: BLE001 - the learner's error, in one line
            return _raised("choose_policy", error)
        if got != expected:
            scores = ", ".join(f"{k}: mean {np.mean(v):.0f}, std {np.std(v):.0f}" for k, v in candidates.items())
            why = ("the highest mean: its luckiest episodes" if got == max(candidates, key=lambda k: np.mean(candidates[k]))
                   else "the smallest spread, even though it scores little" if got == min(
                       candidates, key=lambda k: np.std(candidates[k]))
                   else "neither reliable nor good" if got in candidates else "not one of the candidates")
            print(f"✗ for {{{scores}}} you chose {got!r} ({why}); the pass score mean − std picks {expected!r}.")
            return False
    print("✓ you ship the policy that walks reliably, not the one with the luckiest episodes.")
    return True
