"""A2C from scratch, in one file that reads top to bottom like the pseudocode (notebook 03).

    for update = 1, 2, ...:
        run the policy for n_steps in each of n_envs synchronous environments     (rollout)
        V(s_t), V(s_{t+1}) for every step, with the critic                       (bootstrap values)
        advantages = GAE(gamma, lambda) of the TD errors; returns = advantages + V(s_t)
        loss = -mean(advantages * log pi(a_t|s_t)) + vf_coef * mean((returns - V(s_t))^2) - ent_coef * entropy
        one gradient step on the loss (gradient norm clipped)

Notebook 03's cells define :func:`a2c_loss` and :func:`train_a2c`; the blocks marked ``#@save`` below are the
copies ``python -m utils.course.export`` makes. Network, optimiser and defaults mirror Stable-Baselines3's A2C
(:class:`utils.theory.nets.ActorCritic`, RMSprop with ``eps=1e-5``), so that :mod:`utils.theory.a2c_compare` can run SB3 with
the same :class:`A2CConfig` and the two learning curves can be compared.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical
from tqdm.auto import tqdm

from utils.theory.learning_curves import solved
from utils.theory.nets import ActorCritic
from utils.theory.returns import gae


@dataclass
class A2CConfig:
    """Hyperparameters of A2C on CartPole-v1.

    Defaults: the RL Baselines3 Zoo's A2C settings for CartPole-v1 (8 environments, 5e5 steps, no entropy bonus),
    SB3's A2C defaults for everything else, plus a linear decay of the step size to 0.
    """

    env_id: str = "CartPole-v1"
    """Gymnasium id of the environment (discrete actions)."""
    seed: int = 0
    """Seeds the network initialisation, the action sampling and the environments."""
    total_timesteps: int = 500_000
    """Budget of environment steps, summed over the ``n_envs`` environments; also the length of the step-size decay."""
    n_envs: int = 8
    """Synchronous environments stepped together; their steps decorrelate each batch."""
    n_steps: int = 5
    """Steps per environment per update; a batch holds ``n_envs * n_steps`` transitions."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 1.0
    """GAE's lambda: 0 is the TD error (low variance, biased), 1 the bootstrapped return minus V (SB3's default)."""
    learning_rate: float = 7e-4
    """Initial step size of RMSprop, decayed linearly to 0 over ``total_timesteps`` as SB3's linear schedule does."""
    ent_coef: float = 0.0
    """Weight of the entropy bonus in the loss (the RL Zoo uses 0.0 for A2C on CartPole-v1)."""
    vf_coef: float = 0.5
    """Weight of the value loss (SB3's default)."""
    max_grad_norm: float = 0.5
    """Gradients are rescaled so that their global norm is at most this (SB3's default)."""
    hidden: int = 64
    """Width of the two tanh hidden layers of the actor and of the critic (SB3's default ``[64, 64]``)."""
    rms_alpha: float = 0.99
    """RMSprop's smoothing constant (SB3's default)."""
    rms_eps: float = 1e-5
    """RMSprop's epsilon (SB3's default; PyTorch's own 1e-8 makes early steps much larger)."""
    stop_when_solved: bool = True
    """Stop once solved (:func:`utils.theory.learning_curves.solved`), as every method of the training race does."""


@dataclass
class A2CResult:
    """What :func:`train_a2c` (and :func:`utils.theory.a2c_continuous.train_a2c_continuous`) returns."""

    model: ActorCritic
    config: A2CConfig
    episode_returns: list = field(default_factory=list)    # return of every finished training episode
    episode_end_steps: list = field(default_factory=list)  # total environment steps when it finished
    seconds: float = 0.0


# >>> #@save from notebooks/03_advantage_and_a2c.ipynb: edit it there, then run `python -m utils.course.export`
def a2c_loss(log_probs, entropy, values, advantages, returns, vf_coef: float, ent_coef: float):
    """A2C's loss on one batch: policy term + vf_coef * value term - ent_coef * entropy bonus.

    `advantages` and `returns` are constants here (detached): the policy term must not move V through
    the advantage, and the value term moves V(s_t) towards its target, not the target towards V
    (a semi-gradient).
    """
    policy_loss = -(advantages.detach() * log_probs).mean()
    value_loss = (returns.detach() - values).pow(2).mean()
    return policy_loss + vf_coef * value_loss - ent_coef * entropy.mean()
# <<< #@save


# >>> #@save from notebooks/03_advantage_and_a2c.ipynb: edit it there, then run `python -m utils.course.export`
def train_a2c(config: A2CConfig = A2CConfig(), progress: bool = True) -> A2CResult:
    """A2C: rollouts of n_steps in n_envs synchronous environments, one gradient step on each rollout."""
    torch.manual_seed(config.seed)
    envs = gym.make_vec(config.env_id, num_envs=config.n_envs, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
    envs = gym.wrappers.vector.RecordEpisodeStatistics(envs)
    model = ActorCritic(envs.single_observation_space.shape[0], envs.single_action_space.n, config.hidden)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.learning_rate, alpha=config.rms_alpha,
                                    eps=config.rms_eps)  # one optimiser, one step size for actor and critic
    result, T, N = A2CResult(model, config), config.n_steps, config.n_envs
    start, steps = time.time(), 0
    obs, _ = envs.reset(seed=config.seed)
    bar = tqdm(total=config.total_timesteps, desc="A2C (scratch)", disable=not progress, mininterval=1,
               leave=False)
    while steps < config.total_timesteps:
        if config.stop_when_solved and solved(result.episode_returns):
            break
        # 1. Rollout: n_steps in each of the n_envs environments, with the current policy.
        batch = {k: [] for k in ("obs", "actions", "rewards", "next_obs", "terminated", "truncated")}
        for _ in range(T):
            with torch.no_grad():
                actions = Categorical(logits=model(torch.as_tensor(obs))).sample().numpy()
            next_obs, rewards, terminated, truncated, info = envs.step(actions)
            # Where an episode just ended the env has already reset: V(s_{t+1}) needs the real final state.
            real_next_obs = next_obs.copy()
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

        # 2. Step size: linear decay to 0, from the steps done after this rollout (as SB3 computes it).
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * (1 - steps / config.total_timesteps)

        # 3. Advantages by GAE, from the critic's values of s_t and of the real s_{t+1} (constants).
        states = torch.as_tensor(batch["obs"]).reshape(T * N, -1)
        next_states = torch.as_tensor(batch["next_obs"]).reshape(T * N, -1)
        with torch.no_grad():
            values = model.value(states).reshape(T, N).numpy()
            next_values = model.value(next_states).reshape(T, N).numpy()
        advantages = gae(batch["rewards"], values, next_values, batch["terminated"], batch["truncated"],
                         config.gamma, config.gae_lambda)
        returns = advantages + values  # the critic's regression targets
        advantages = torch.as_tensor(advantages, dtype=torch.float32).reshape(-1)
        returns = torch.as_tensor(returns, dtype=torch.float32).reshape(-1)

        # 4. One gradient step on policy loss + value loss - entropy bonus, gradient norm clipped.
        dist = Categorical(logits=model(states))
        log_probs = dist.log_prob(torch.as_tensor(batch["actions"]).reshape(-1))
        loss = a2c_loss(log_probs, dist.entropy(), model.value(states), advantages, returns, config.vf_coef,
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
