"""A2C with a diagonal Gaussian policy, from scratch: notebook 03's A2C for continuous actions (notebook 04).

Notebook 04's cells define :class:`GaussianActorCritic` (a mean network, a state-independent log-std parameter, a
critic) and :func:`train_a2c_continuous`; the blocks marked ``#@save`` below are the copies
``python -m utils.course.export`` makes. The loss is notebook 03's :func:`utils.theory.a2c_scratch.a2c_loss`
unchanged: only the distribution, its log-probability (a sum over the action dimensions) and the clipping of the
actions sent to the environment differ.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Normal
from tqdm.auto import tqdm

from utils.theory.a2c_scratch import A2CResult, a2c_loss
from utils.theory.nets import mlp
from utils.theory.returns import gae
from utils.walkers.envs import QuietFirstReset, register_bullet_envs


@dataclass
class ContinuousA2CConfig:
    """Hyperparameters of the from-scratch A2C with a Gaussian policy.

    Defaults: notebook 03's A2C (8 environments x 5 steps; SB3's A2C defaults for n_steps, RMSprop, GAE lambda 1,
    vf_coef, max_grad_norm; a linear step-size decay, where SB3's default is a constant step size), with the step
    size and the initial log-std chosen on InvertedPendulumBulletEnv-v0 while notebook 04 was written (a draft of
    the same loop, seeds 0-2, both cores shared; mean training return of the last 20 episodes per seed): lr 1e-3
    with log_std_init -0.5, 150k steps: 1000, 947, 763; lr 7e-4 with -1, 150k steps: 994, 165, 625; lr 7e-4 with 0,
    200k steps: 1000, 813, 848. The notebook reports seeds 10-12.
    """

    env_id: str = "InvertedPendulumBulletEnv-v0"
    """Gymnasium id of the environment (a ``Box`` action space); Bullet ids are registered by the training loop."""
    seed: int = 0
    """Seeds the network initialisation, the action sampling and the environments."""
    total_timesteps: int = 150_000
    """Budget of environment steps, summed over the ``n_envs`` environments; also the length of the step-size decay."""
    n_envs: int = 8
    """Synchronous environments stepped together."""
    n_steps: int = 5
    """Steps per environment per update; a batch holds ``n_envs * n_steps`` transitions."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 1.0
    """GAE's lambda (SB3's default for A2C)."""
    learning_rate: float = 1e-3
    """Initial step size of RMSprop, decayed linearly to 0 over ``total_timesteps``."""
    ent_coef: float = 0.0
    """Weight of the entropy bonus (the entropy of a diagonal Gaussian depends only on log_std)."""
    vf_coef: float = 0.5
    """Weight of the value loss (SB3's default)."""
    max_grad_norm: float = 0.5
    """Gradients are rescaled so that their global norm is at most this (SB3's default)."""
    hidden: int = 64
    """Width of the two tanh hidden layers of the mean network and of the critic (SB3's default)."""
    log_std_init: float = -0.5
    """Initial log standard deviation of every action dimension (std exp(-0.5) ~ 0.61; SB3's default is 0)."""
    rms_alpha: float = 0.99
    """RMSprop's smoothing constant (SB3's default)."""
    rms_eps: float = 1e-5
    """RMSprop's epsilon (SB3's default)."""


# >>> #@save from notebooks/04_continuous_actions.ipynb: edit it there, then run `python -m utils.course.export`
class GaussianActorCritic(nn.Module):
    """Actor: pi(a|s) = N(mu_theta(s), diag(sigma^2)), with sigma = exp(log_std) a parameter that does not depend on
    the state (CleanRL's ppo_continuous_action, SB3 without gSDE). Critic: V_w(s). The two share no weights."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 64, log_std_init: float = 0.0):
        super().__init__()
        self.actor_mean = mlp(obs_dim, act_dim, hidden, last_gain=0.01)  # small last layer: mean ~ 0 at the start
        self.actor_log_std = nn.Parameter(torch.full((act_dim,), float(log_std_init)))
        self.critic = mlp(obs_dim, 1, hidden, last_gain=1.0)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """The deterministic action: the mean, so the model is a (greedy) policy wherever one is expected."""
        return self.actor_mean(obs)

    def distribution(self, obs: torch.Tensor) -> Normal:
        """pi(.|s): independent Gaussians, one per action dimension (sum log_prob and entropy over the last axis)."""
        return Normal(self.actor_mean(obs), self.actor_log_std.exp())

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)
# <<< #@save


# >>> #@save from notebooks/04_continuous_actions.ipynb: edit it there, then run `python -m utils.course.export`
def train_a2c_continuous(config: ContinuousA2CConfig = ContinuousA2CConfig(), progress: bool = True) -> A2CResult:
    """A2C with a Gaussian policy: notebook 03's loop, with actions sampled from N(mu, sigma^2) and clipped for the env."""
    torch.manual_seed(config.seed)
    register_bullet_envs()  # the PyBullet ids (InvertedPendulumBulletEnv-v0, ...) for gym.make_vec
    envs = gym.make_vec(config.env_id, num_envs=config.n_envs, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
                        wrappers=[QuietFirstReset])  # PyBullet's banner hidden
    envs = gym.wrappers.vector.RecordEpisodeStatistics(envs)
    low, high = envs.single_action_space.low, envs.single_action_space.high
    model = GaussianActorCritic(envs.single_observation_space.shape[0], envs.single_action_space.shape[0],
                                config.hidden, config.log_std_init)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.learning_rate, alpha=config.rms_alpha,
                                    eps=config.rms_eps)
    result, T, N = A2CResult(model, config), config.n_steps, config.n_envs
    start, steps = time.time(), 0
    obs, _ = envs.reset(seed=config.seed)
    bar = tqdm(total=config.total_timesteps, desc=f"A2C, Gaussian (seed {config.seed})", disable=not progress,
               mininterval=1, leave=False)
    while steps < config.total_timesteps:
        # 1. Rollout: n_steps in each of the n_envs environments. The env gets the clipped action; the batch keeps
        #    the sampled one, whose log-probability the loss uses (as SB3 does).
        batch = {k: [] for k in ("obs", "actions", "rewards", "next_obs", "terminated", "truncated")}
        for _ in range(T):
            with torch.no_grad():
                actions = model.distribution(torch.as_tensor(obs, dtype=torch.float32)).sample().numpy()
            next_obs, rewards, terminated, truncated, info = envs.step(np.clip(actions, low, high))
            real_next_obs = next_obs.copy()  # where an episode ended, V(s_{t+1}) needs the real final state
            for i in np.flatnonzero(info.get("_final_obs", [])):
                real_next_obs[i] = info["final_obs"][i]
            for key, value in zip(batch, (obs, actions, rewards, real_next_obs, terminated, truncated)):
                batch[key].append(value)
            steps += N
            for i in np.flatnonzero(info.get("_episode", [])):
                result.episode_returns.append(float(info["episode"]["r"][i]))
                result.episode_end_steps.append(steps)
            obs = next_obs
        batch = {k: np.stack(v) for k, v in batch.items()}  # each (n_steps, n_envs, ...)
        bar.update(T * N)

        # 2. Step size: linear decay to 0 (as notebook 03 and SB3's linear schedule).
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * (1 - steps / config.total_timesteps)

        # 3. Advantages by GAE from the critic's values (constants), exactly as in notebook 03.
        states = torch.as_tensor(batch["obs"], dtype=torch.float32).reshape(T * N, -1)
        next_states = torch.as_tensor(batch["next_obs"], dtype=torch.float32).reshape(T * N, -1)
        with torch.no_grad():
            values = model.value(states).reshape(T, N).numpy()
            next_values = model.value(next_states).reshape(T, N).numpy()
        advantages = gae(batch["rewards"], values, next_values, batch["terminated"], batch["truncated"],
                         config.gamma, config.gae_lambda)
        returns = torch.as_tensor(advantages + values, dtype=torch.float32).reshape(-1)
        advantages = torch.as_tensor(advantages, dtype=torch.float32).reshape(-1)

        # 4. One gradient step on notebook 03's loss; log-probability and entropy summed over the action dimensions.
        dist = model.distribution(states)
        log_probs = dist.log_prob(torch.as_tensor(batch["actions"], dtype=torch.float32).reshape(T * N, -1)).sum(-1)
        loss = a2c_loss(log_probs, dist.entropy().sum(-1), model.value(states), advantages, returns, config.vf_coef,
                        config.ent_coef)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
    bar.close()
    envs.close()
    result.seconds = time.time() - start
    return result
# <<< #@save
