"""PPO with one epoch, one minibatch and A2C's optimiser makes A2C's parameters (notebook 06)."""
from dataclasses import replace

import numpy as np
import torch

from utils.walkers.ppo_as_a2c import NO_CLIP, learning_curve, parameter_gaps, ppo_kwargs
from utils.walkers.recipes import COURSE

TINY = replace(COURSE, n_envs=2, n_steps=4, parallel=False)


def test_ppo_kwargs_copy_a2c():
    kwargs = ppo_kwargs(COURSE)
    assert kwargs["batch_size"] == COURSE.n_envs * COURSE.n_steps and kwargs["n_epochs"] == 1
    assert kwargs["clip_range"] == NO_CLIP and kwargs["clip_range_vf"] is None and "use_rms_prop" not in kwargs
    assert kwargs["policy_kwargs"]["optimizer_class"] is torch.optim.RMSprop
    assert kwargs["policy_kwargs"]["optimizer_kwargs"] == dict(alpha=0.99, eps=1e-5, weight_decay=0)
    assert kwargs["normalize_advantage"] is False and kwargs["gae_lambda"] == COURSE.gae_lambda


def test_one_epoch_is_a2c_and_more_epochs_are_not():
    same = parameter_gaps(TINY, "AntBulletEnv-v0", seed=0, updates=3)
    assert same.shape == (3,) and np.all(same < 1e-6), same
    clipped = parameter_gaps(TINY, "AntBulletEnv-v0", seed=0, updates=2, clip_range=0.2)
    assert np.all(clipped < 1e-6), "one epoch: the ratio is 1, the clip never acts"
    assert parameter_gaps(TINY, "AntBulletEnv-v0", seed=0, updates=2, n_epochs=3)[-1] > 1e-4


def test_learning_curve_records_evaluations():
    records = learning_curve("ppo", TINY, "AntBulletEnv-v0", steps=16, n_epochs=2, clip_range=0.2, eval_every=8,
                             eval_episodes=1)
    assert [r["steps"] for r in records] == [8, 16]
    assert {"mean", "std", "distance", "falls"} <= set(records[0])
