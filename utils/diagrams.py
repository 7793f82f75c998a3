"""Diagrams drawn with matplotlib, so the course needs no image files.

Introduced in notebook 02 (the actor-critic loop).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


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
