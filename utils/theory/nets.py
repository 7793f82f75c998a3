"""The one network every CartPole agent of the course uses: an actor and a critic, two separate tanh MLPs.

Introduced in notebook 01 (REINFORCE uses the actor only); notebook 02 gives the critic its job, notebook 03's
A2C and the training race use it unchanged, so that "same network" holds across the methods compared. The
architecture and initialisation are Stable-Baselines3's defaults for ``MlpPolicy`` (64-64 tanh, orthogonal
weights, zero biases; gain sqrt(2) in the hidden layers, 0.01 on the actor's output, 1 on the critic's), so SB3's
A2C trains the same network in notebook 03. Notebook 02's step sizes were tuned by hand with an earlier version that
used PyTorch's default initialisation, and kept, not re-tuned, when the network took SB3's (its parameters cell
says so).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def layer(inputs: int, outputs: int, gain: float) -> nn.Linear:
    """A linear layer with orthogonal weights (gain as in SB3) and zero bias."""
    linear = nn.Linear(inputs, outputs)
    nn.init.orthogonal_(linear.weight, gain)
    nn.init.zeros_(linear.bias)
    return linear


def mlp(inputs: int, outputs: int, hidden: int, last_gain: float) -> nn.Sequential:
    g = np.sqrt(2)
    return nn.Sequential(layer(inputs, hidden, g), nn.Tanh(), layer(hidden, hidden, g), nn.Tanh(),
                         layer(hidden, outputs, last_gain))


class ActorCritic(nn.Module):
    """Actor ``pi_theta(a|s)`` (action logits) and critic ``V_w(s)``: two networks that share no weights."""

    def __init__(self, obs_dim: int = 4, n_actions: int = 2, hidden: int = 64):
        super().__init__()
        self.actor = mlp(obs_dim, n_actions, hidden, last_gain=0.01)  # small last layer: near-uniform start
        self.critic = mlp(obs_dim, 1, hidden, last_gain=1.0)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Action logits, so the model is a policy wherever one is expected."""
        return self.actor(obs)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)
