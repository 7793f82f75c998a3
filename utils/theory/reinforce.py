"""REINFORCE on CartPole: whole episodes, then one gradient step (notebook 01); with a learned baseline (notebook 03).

The update and the training loop are written in notebook 01's cells (the baseline update in notebook 03's);
the blocks marked ``#@save`` below are copies made by ``python -m utils.course.export``, kept for the tests and for
notebook 03's training race. Edit the notebooks, not the blocks.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import torch
from torch.distributions import Categorical
from tqdm.auto import tqdm

from utils.theory.learning_curves import solved
from utils.theory.nets import ActorCritic
from utils.theory.episodes import Episodes, collect_episodes
from utils.theory.returns import reward_to_go


@dataclass
class ReinforceConfig:
    """Hyperparameters of REINFORCE on CartPole-v1 (notebook 01) and of its learned-baseline variant (notebook 03)."""

    seed: int = 0
    """Seeds the network, the action sampling and the episodes' start states."""
    max_steps: int = 500_000
    """Budget of environment steps; training stops earlier once solved (:func:`utils.theory.learning_curves.solved`)."""
    episodes_per_update: int = 8
    """Complete episodes per gradient step, played side by side."""
    gamma: float = 0.99
    """Discount of the reward-to-go."""
    lr: float = 2e-3
    """Adam step size of the actor."""
    critic_lr: float = 1e-2
    """Adam step size of the critic, used by the learned baseline only."""
    hidden: int = 64
    """Width of the two tanh hidden layers (:class:`utils.theory.nets.ActorCritic`)."""


@dataclass
class ReinforceResult:
    """What :func:`train_reinforce` returns: the network and the log of every training episode."""

    model: ActorCritic
    config: ReinforceConfig
    episode_returns: list = field(default_factory=list)    # return of every training episode
    episode_end_steps: list = field(default_factory=list)  # environment steps spent when its batch was complete
    seconds: float = 0.0


# >>> #@save from notebooks/01_variance_of_monte_carlo.ipynb: edit it there, then run `python -m utils.course.export`
def reinforce_update(model, optimizer, episodes: Episodes, gamma: float) -> None:
    """One REINFORCE step on N complete episodes: ascend (1/N) sum_i sum_t log pi(a_t|s_t) G_t."""
    returns = torch.as_tensor(episodes.per_step(lambda r: reward_to_go(r, gamma)), dtype=torch.float32)
    dist = Categorical(logits=model(torch.as_tensor(episodes.obs)))   # pi_theta(.|s_t) at every step
    log_probs = dist.log_prob(torch.as_tensor(episodes.actions))        # log pi_theta(a_t|s_t)
    loss = -(log_probs * returns).sum() / len(episodes)  # minus the objective: optimisers minimise
    optimizer.zero_grad()
    loss.backward()  # the gradient of -loss is the estimate g_N of section 1, with G_t for R(tau)
    optimizer.step()
# <<< #@save


# >>> #@save from notebooks/01_variance_of_monte_carlo.ipynb: edit it there, then run `python -m utils.course.export`
def train_reinforce(config: ReinforceConfig, update=reinforce_update, progress=True) -> ReinforceResult:
    """Play a batch of episodes with the current policy, take one step with `update`; repeat until solved."""
    torch.manual_seed(config.seed)
    model = ActorCritic(hidden=config.hidden)  # REINFORCE uses the actor; the critic waits for notebook 03
    optimizer = torch.optim.Adam([{"params": model.actor.parameters(), "lr": config.lr},
                                  {"params": model.critic.parameters(), "lr": config.critic_lr}])
    result, start, steps = ReinforceResult(model, config), time.time(), 0
    bar = tqdm(total=config.max_steps, desc="REINFORCE", disable=not progress, mininterval=1, leave=False)
    for batch in itertools.count():
        episodes = collect_episodes(model, config.episodes_per_update, seed=config.seed * 100_003 + batch,
                                    progress=False)
        update(model, optimizer, episodes, config.gamma)
        steps += int(episodes.lengths.sum())
        result.episode_returns += episodes.returns().tolist()
        result.episode_end_steps += [steps] * len(episodes)
        bar.update(int(episodes.lengths.sum()))
        if solved(result.episode_returns) or steps >= config.max_steps:
            break
    bar.close()
    result.seconds = time.time() - start
    return result
# <<< #@save


# >>> #@save from notebooks/03_advantage_and_a2c.ipynb: edit it there, then run `python -m utils.course.export`
def baseline_update(model, optimizer, episodes: Episodes, gamma: float) -> None:
    """REINFORCE with a learned baseline: the actor's weight is G_t - V_w(s_t); V_w(s_t) regresses on G_t."""
    obs = torch.as_tensor(episodes.obs)
    returns = torch.as_tensor(episodes.per_step(lambda r: reward_to_go(r, gamma)), dtype=torch.float32)
    values = model.value(obs)                 # V_w(s_t)
    advantages = (returns - values).detach()  # a weight for the actor, not a path into the critic
    log_probs = Categorical(logits=model(obs)).log_prob(torch.as_tensor(episodes.actions))
    policy_loss = -(log_probs * advantages).sum() / len(episodes)
    value_loss = (returns - values).pow(2).mean()  # the critic learns from the same episodes
    optimizer.zero_grad()
    (policy_loss + value_loss).backward()  # separate networks: each loss moves only its own one
    optimizer.step()
# <<< #@save
