"""One-step actor-critic from scratch: an actor ``pi_theta(a|s)``, a critic ``V_w(s)``, one update per step.

Introduced in notebook 02, whose cell defines :func:`train_actor_critic` (the block marked ``#@save`` below is the copy
``python -m utils.course.export`` makes, for the tests and notebook 03's training race). :func:`evaluate` (greedy
episodes of any actor) is reused by notebook 03.

The algorithm, for every environment step (Sutton & Barto, section 13.5, without the ``gamma^t`` factor, as
every deep-RL implementation does)::

    a_t ~ pi_theta(.|s_t);  observe r_t, s_{t+1}
    delta_t = r_t + gamma * (1 - terminated_t) * V_w(s_{t+1}) - V_w(s_t)      # TD error, target held fixed
    critic:  w     <- w     - alpha_w     * grad_w (delta_t^2)                 # move V_w(s_t) towards the target
    actor:   theta <- theta + alpha_theta * grad_theta [delta_t log pi_theta(a_t|s_t) + beta H(pi_theta(.|s_t))]
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
from utils.theory.returns import reward_to_go
from utils.course.threads import single_threaded


@dataclass
class ACConfig:
    """Hyperparameters of the one-step actor-critic (step sizes tuned by hand on CartPole-v1, notebook 02)."""

    env_id: str = "CartPole-v1"
    """Gymnasium id of the environment (discrete actions)."""
    seed: int = 0
    """Seeds the networks, the action sampling and the environment."""
    max_steps: int = 150_000
    """Budget of environment steps; training stops earlier once solved (:func:`utils.theory.learning_curves.solved`)."""
    gamma: float = 0.99
    """Discount factor of the TD target."""
    actor_lr: float = 2.5e-4
    """Adam step size of the actor."""
    critic_lr: float = 2.5e-3
    """Adam step size of the critic (larger than the actor's: the judge must learn faster than the player)."""
    ent_coef: float = 0.01
    """Weight of the entropy bonus, which keeps the policy from collapsing onto one action too early."""
    hidden: int = 64
    """Width of the two tanh hidden layers of each network (:class:`utils.theory.nets.ActorCritic`)."""


@dataclass
class ACResult:
    """What :func:`train_actor_critic` returns: the networks and the log of every training episode."""

    model: ActorCritic
    config: ACConfig
    episode_returns: list = field(default_factory=list)    # return of every training episode
    episode_end_steps: list = field(default_factory=list)  # environment step at which it ended
    seconds: float = 0.0


@single_threaded
def evaluate(actor: nn.Module, env_id: str = "CartPole-v1", episodes: int = 20, seed: int = 10_000,
             greedy: bool = True) -> np.ndarray:
    """Returns of ``episodes`` independent episodes of ``actor`` (greedy: the most probable action).

    The episodes run side by side in a vectorised environment seeded with ``seed`` (keep evaluation seeds
    apart from training seeds). ``actor`` maps a batch of observations to action logits.
    """
    env = gym.make_vec(env_id, num_envs=episodes, vectorization_mode="sync")
    obs, _ = env.reset(seed=seed)
    returns, alive = np.zeros(episodes), np.ones(episodes, dtype=bool)
    generator = torch.Generator().manual_seed(seed)
    while alive.any():
        with torch.no_grad():
            logits = actor(torch.as_tensor(obs, dtype=torch.float32))
        if greedy:
            actions = logits.argmax(-1)
        else:
            actions = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1)
        obs, rewards, terminated, truncated, _ = env.step(actions.numpy())
        returns += rewards * alive  # count each environment's first episode only
        alive &= ~(terminated | truncated)
    env.close()
    return returns


@single_threaded
def value_vs_returns(model: ActorCritic, episodes: int = 10, gamma: float = 0.99,
                     seed: int = 20_000, env_id: str = "CartPole-v1") -> dict:
    """Run ``episodes`` episodes of the (sampling) actor; for every visited state, the critic's ``V(s_t)``
    and the discounted return ``G_t`` actually observed from it, with the step index and how the episode ended.
    """
    env = gym.make(env_id)
    generator = torch.Generator().manual_seed(seed)
    rows = {"value": [], "observed": [], "t": [], "episode": [], "truncated": []}
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        states, rewards, done = [], [], False
        while not done:
            states.append(obs)
            with torch.no_grad():
                probs = torch.softmax(model(torch.as_tensor(obs, dtype=torch.float32)), -1)
            obs, reward, terminated, truncated, _ = env.step(torch.multinomial(probs, 1, generator=generator).item())
            rewards.append(reward)
            done = terminated or truncated
        with torch.no_grad():
            values = model.value(torch.as_tensor(np.array(states), dtype=torch.float32)).numpy()
        rows["value"].append(values)
        rows["observed"].append(reward_to_go(rewards, gamma))
        rows["t"].append(np.arange(len(rewards)))
        rows["episode"].append(np.full(len(rewards), episode))
        rows["truncated"].append(np.full(len(rewards), bool(truncated)))
    env.close()
    return {k: np.concatenate(v) for k, v in rows.items()}


# >>> #@save from notebooks/02_actor_critic.ipynb: edit it there, then run `python -m utils.course.export`
def train_actor_critic(config: ACConfig = ACConfig(), progress: bool = True) -> ACResult:
    """One-step actor-critic: after every environment step, one update of the critic and of the actor."""
    torch.manual_seed(config.seed)
    env = gym.make(config.env_id)
    model = ActorCritic(env.observation_space.shape[0], env.action_space.n, config.hidden)
    optimizer = torch.optim.Adam([{"params": model.actor.parameters(), "lr": config.actor_lr},  # two step
                                  {"params": model.critic.parameters(), "lr": config.critic_lr}])  # sizes
    result, start, episode_return = ACResult(model, config), time.time(), 0.0
    obs, _ = env.reset(seed=config.seed)
    for step in tqdm(range(1, config.max_steps + 1), desc="one-step actor-critic", disable=not progress,
                     mininterval=1, leave=False):
        state = torch.as_tensor(obs, dtype=torch.float32)
        dist = Categorical(logits=model(state))
        action = dist.sample()
        obs, reward, terminated, truncated, _ = env.step(action.item())
        episode_return += reward

        value = model.value(state)  # V_w(s_t), the prediction that learns
        with torch.no_grad():       # the target is held fixed: a semi-gradient
            next_value = model.value(torch.as_tensor(obs, dtype=torch.float32))
        td_target = reward + config.gamma * (1.0 - terminated) * next_value  # truncated: V(s_{t+1}) kept
        td_error = td_target - value                                         # delta_t
        critic_loss = td_error.pow(2)
        actor_loss = -td_error.detach() * dist.log_prob(action) - config.ent_coef * dist.entropy()
        optimizer.zero_grad()
        (critic_loss + actor_loss).backward()  # separate networks: each loss moves only its own one
        optimizer.step()

        if terminated or truncated:
            result.episode_returns.append(episode_return)
            result.episode_end_steps.append(step)
            episode_return = 0.0
            obs, _ = env.reset()
            if solved(result.episode_returns):
                break
    env.close()
    result.seconds = time.time() - start
    return result
# <<< #@save
