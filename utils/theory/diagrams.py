"""Diagrams drawn with matplotlib, so the course needs no image files.

Introduced in notebook 02 (the actor-critic loop); notebook 03 adds what a rollout's targets are made of, notebook 04
the environment stack SB3 trains on.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from utils.theory.returns import gae


def _box(ax, xy, text, color, width=2.6, height=1.0):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.08",
                                facecolor=color, edgecolor="black", linewidth=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, label, label_xy, color="black", rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, linewidth=1.5, color=color,
                                 connectionstyle=f"arc3,rad={rad}"))
    ax.text(*label_xy, label, ha="center", va="center", fontsize=10, color=color,
            bbox=dict(facecolor="white", edgecolor="none", pad=1.0))


def actor_critic_loop(ax=None):
    """The one-step actor-critic loop: the environment, the actor that acts, the critic whose TD error teaches both."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.6))
    env, actor, critic = (1.6, 3.0), (7.4, 4.3), (7.4, 1.3)
    _box(ax, env, "Environment\n(CartPole)", "#dfe9f5")
    _box(ax, actor, r"Actor $\pi_\theta(a\,|\,s)$" + "\ndecides", "#e3f2df")
    _box(ax, critic, r"Critic $V_w(s)$" + "\njudges", "#fbe7d3")
    _arrow(ax, (2.9, 3.35), (6.05, 4.3), r"state $s_t$", (4.3, 4.15))
    _arrow(ax, (6.05, 4.65), (2.3, 3.6), r"action $a_t \sim \pi_\theta(\cdot|s_t)$", (4.0, 5.0), rad=0.25)
    _arrow(ax, (2.9, 2.7), (6.05, 1.3), r"$r_t,\ s_{t+1}$", (4.3, 1.75))
    _arrow(ax, (8.4, 1.85), (8.4, 3.75), "", (0, 0), color="#b4441c")
    ax.text(8.85, 2.8, r"TD error" + "\n" + r"$\delta_t = r_t + \gamma V_w(s_{t+1}) - V_w(s_t)$",
            ha="left", va="center", fontsize=10, color="#b4441c")
    ax.text(7.4, 0.45, r"critic: $w \leftarrow w + \alpha_w\, \delta_t \nabla_w V_w(s_t)$" + "\n"
            + r"actor: $\theta \leftarrow \theta + \alpha_\theta\, \delta_t \nabla_\theta \log \pi_\theta(a_t|s_t)$",
            ha="center", va="top", fontsize=10, color="#b4441c")
    ax.set_xlim(0, 13)
    ax.set_ylim(-0.4, 5.6)
    ax.axis("off")
    ax.set_title("One-step actor–critic: the critic's TD error replaces the Monte-Carlo return")
    return ax


def rollout_targets(ax=None, n_steps: int = 5, gamma: float = 0.99, lam: float = 1.0, terminated_at: int | None = None):
    """What the critic's target ``A_t + V(s_t)`` of each position of one rollout is made of, read off
    :func:`utils.theory.returns.gae` itself: the targets are linear in the rewards and values, so feeding it one reward
    (or one value) at a time gives each one's coefficient. Introduced in notebook 03."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.55 * n_steps + 1.2))
    T = n_steps
    terminated = np.zeros(T)
    if terminated_at is not None:
        terminated[terminated_at] = 1.0

    def target(rewards, v):  # v: V(s_0) .. V(s_T); inside an episode V(s_{t+1}) is the next position's V(s_t)
        return gae(rewards, v[:-1], v[1:], terminated, None, gamma, lam) + v[:-1]

    from_rewards = np.array([target(np.eye(T)[k], np.zeros(T + 1)) for k in range(T)]).T  # [position t, reward k]
    from_values = np.array([target(np.zeros(T), np.eye(T + 1)[j]) for j in range(T + 1)]).T  # [t, value j]
    weights = np.concatenate([from_rewards, from_values[:, 1:]], axis=1)  # V(s_0) never enters any target
    labels = [f"$r_{k}$" for k in range(T)] + [f"$V(s_{j})$" for j in range(1, T + 1)]
    for t in range(T):
        for col, w in enumerate(weights[t]):
            if abs(w) > 1e-12:
                color = "#cfe8c9" if col < T else "#f7d3b5"
                ax.add_patch(plt.Rectangle((col - 0.45, t - 0.4), 0.9, 0.8, facecolor=color, edgecolor="grey"))
                ax.text(col, t, f"{w:.2f}", ha="center", va="center", fontsize=8)
        n_rewards = int(np.sum(np.abs(from_rewards[t]) > 1e-12))
        boot = [j for j in range(1, T + 1) if abs(from_values[t, j]) > 1e-12]
        tail = " + " + ", ".join(f"$V(s_{j})$" for j in boot) if boot else ", no bootstrap"
        ax.text(2 * T + 0.2, t, f"{n_rewards} reward{'s' * (n_rewards != 1)}{tail}", va="center", fontsize=9)
    if terminated_at is not None:
        ax.axvline(terminated_at + 0.5, color="#b4441c", linewidth=2)
        ax.text(terminated_at + 0.55, -0.75, "pole falls", color="#b4441c", fontsize=9)
    ax.set_xticks(range(2 * T), labels, fontsize=9)
    ax.set_yticks(range(T), [f"t = {t}" for t in range(T)])
    ax.set_xlim(-0.6, 2 * T + 3.2)
    ax.set_ylim(T - 0.5, -1.0)
    ax.set_ylabel("position in the rollout")
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def wrapper_stack(ax=None, alive_bonus: float = 0.25):
    """The environment stack SB3's A2C trains on in notebooks 04-06, bottom (the simulator) to top (the learner), and
    which reward leaves each layer. The order is :func:`utils.walkers.envs.make_vec`'s (``make_vec_env`` puts its
    ``wrapper_class`` outside ``Monitor``) and the run's ``VecNormalize``; notebook 04 prints the chain of a real one.
    Introduced in notebook 04."""
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 7.2))
    layers = [  # (box text, colour, what the layer does to the reward)
        ("gym.make(env_id): the walker\n+ TimeLimit (1000 steps)", "#dfe9f5",
         r"$r_t$ = the environment's reward: the sum of its five terms (notebook 00)"),
        ("QuietFirstReset, WalkingMonitor\n(the course's)", "#eeeeee",
         r"$r_t$ unchanged; WalkingMonitor adds info['walking'] (distance, fall)"),
        ("Monitor (SB3)", "#e3f2df",
         r"$r_t$ unchanged; at an episode's end info['episode']['r'] = $\sum_t r_t$:" + "\n"
         + "the environment's own return, what ep_rew_mean and the course's logs report"),
        (f"ScaleAliveBonus(scale={alive_bonus:g})\nonly when alive_bonus != 1", "#fbe7d3",
         r"$r'_t = r_t - (1 - \mathrm{scale})\cdot\mathrm{alive}_t$: the training reward" + "\n"
         + "(the environment's own reward when alive_bonus = 1: no wrapper)"),
        ("DummyVecEnv / SplitVecEnv\nn_envs copies, auto-reset", "#eeeeee",
         r"the $r'_t$ of every copy, side by side"),
        ("VecNormalize\n(norm_obs, norm_reward)", "#f5dfe9",
         r"$r'_t\,/\sqrt{\mathrm{Var}[\text{discounted return of } r'] + \epsilon}$, clipped to $\pm 10$;" + "\n"
         + "observations standardised too. get_original_reward() gives $r'_t$ back"),
        ("A2C (the learner)", "#fff6cc",
         "trains on VecNormalize's output: its rollout buffer holds the normalised reward;\n"
         "its logger's ep_rew_mean reads Monitor's info['episode']"),
    ]
    x, width, height, gap = 2.5, 4.6, 0.95, 0.45
    for k, (text, color, reward) in enumerate(layers):
        y = k * (height + gap)
        _box(ax, (x, y), text, color, width=width, height=height)
        ax.text(x + width / 2 + 0.5, y, reward, ha="left", va="center", fontsize=9.5)
        if k:
            ax.add_patch(FancyArrowPatch((x, y - height / 2 - gap + 0.05), (x, y - height / 2 - 0.08),
                                         arrowstyle="-|>", mutation_scale=14, linewidth=1.3, color="black"))
    ax.text(x - width / 2 - 0.25, (len(layers) - 1) * (height + gap) / 2, "obs, reward, done, info flow up",
            rotation=90, ha="center", va="center", fontsize=9, color="grey")
    ax.set_xlim(-0.3, 14.5)
    ax.set_ylim(-height, len(layers) * (height + gap) - gap / 2)
    ax.axis("off")
    ax.set_title("The stack SB3's A2C trains on: Monitor logs the environment's reward, the learner trains on another")
    return ax
