"""Stable-Baselines3's A2C run with the hyperparameters of :class:`utils.theory.a2c_scratch.A2CConfig` (notebook 03).

:func:`sb3_kwargs` is the whole translation, field by field, so the comparison with the from-scratch file is
like for like; :func:`train_sb3` logs every training episode the way :func:`utils.theory.a2c_scratch.train_a2c` does.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from stable_baselines3 import A2C
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from torch import nn
from tqdm.auto import tqdm

from utils.theory.a2c_scratch import A2CConfig
from utils.theory.learning_curves import solved
from utils.course.threads import single_threaded


def sb3_kwargs(config: A2CConfig) -> dict:
    """Keyword arguments of ``stable_baselines3.A2C`` equivalent to ``config``."""
    return dict(
        learning_rate=lambda progress_remaining: config.learning_rate * progress_remaining,  # linear decay to 0
        n_steps=config.n_steps, gamma=config.gamma, gae_lambda=config.gae_lambda, ent_coef=config.ent_coef,
        vf_coef=config.vf_coef, max_grad_norm=config.max_grad_norm, rms_prop_eps=config.rms_eps,
        use_rms_prop=True, normalize_advantage=False, seed=config.seed,
        policy_kwargs=dict(net_arch=dict(pi=[config.hidden] * 2, vf=[config.hidden] * 2), activation_fn=nn.Tanh,
                           ortho_init=True, optimizer_kwargs=dict(alpha=config.rms_alpha, eps=config.rms_eps,
                                                                  weight_decay=0)),
    )


class EpisodeLog(BaseCallback):
    """Records the return of every finished training episode and the step count at which it finished; with
    ``stop_when_solved``, ends training by the same rule as the from-scratch A2C (:func:`utils.theory.learning_curves.solved`)."""

    def __init__(self, total: int, stop_when_solved: bool, progress: bool = True):
        super().__init__()
        self.returns, self.end_steps, self.stop_when_solved = [], [], stop_when_solved
        self.bar = tqdm(total=total, desc="A2C (SB3)", disable=not progress, mininterval=1, leave=False)

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
                self.end_steps.append(self.num_timesteps)
        self.bar.update(self.training_env.num_envs)
        return not (self.stop_when_solved and solved(self.returns))

    def _on_training_end(self) -> None:
        self.bar.close()


@dataclass
class SB3Result:
    model: A2C
    config: A2CConfig
    episode_returns: list = field(default_factory=list)
    episode_end_steps: list = field(default_factory=list)
    seconds: float = 0.0


@single_threaded
def train_sb3(config: A2CConfig, progress: bool = True) -> SB3Result:
    """Train SB3's A2C on ``config.env_id`` with ``config``'s hyperparameters."""
    env = make_vec_env(config.env_id, n_envs=config.n_envs, seed=config.seed)
    model = A2C("MlpPolicy", env, device="cpu", verbose=0, **sb3_kwargs(config))
    log = EpisodeLog(config.total_timesteps, config.stop_when_solved, progress)
    start = time.time()
    model.learn(total_timesteps=config.total_timesteps, callback=log)
    env.close()
    return SB3Result(model, config, log.returns, log.end_steps, time.time() - start)


def sb3_actor(model: A2C):
    """The SB3 policy as a function ``observations -> action logits``, for :func:`utils.theory.actor_critic.evaluate`."""

    def logits(obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model.policy.get_distribution(obs.to(model.device)).distribution.logits.cpu()

    return logits


@single_threaded
def final_scores(actor, episodes: int = 20, seed: int = 50_000, env_id: str = "CartPole-v1") -> dict:
    """Greedy evaluation of a trained actor: mean, std and the pass score mean - std."""
    from utils.theory.actor_critic import evaluate

    returns = evaluate(actor, env_id, episodes, seed=seed)
    return {"mean": float(np.mean(returns)), "std": float(np.std(returns)),
            "pass_score": float(np.mean(returns) - np.std(returns))}
