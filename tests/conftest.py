"""Shared fixtures: one tiny trained and packaged run, reused by the training and loading tests."""
from dataclasses import replace

import pytest

from utils.walkers.runs import RunConfig, train

TINY = RunConfig(eval_every=320, eval_episodes=1, checkpoint_every=320, final_episodes=2, video_steps=20,
                 progress=False)


@pytest.fixture(scope="session")
def tiny():
    """A run configuration with evaluation, checkpoint and video budgets small enough for unit tests."""
    return TINY


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A 960-step AntBulletEnv-v0 run, packaged: the layout of a real one, in a few seconds."""
    out = tmp_path_factory.mktemp("runs") / "ant"
    return train(replace(TINY, env_id="AntBulletEnv-v0", timesteps=960, seed=0, out=str(out)))


@pytest.fixture(scope="session")
def tiny_walker_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "walker"
    return train(replace(TINY, env_id="Walker2DBulletEnv-v0", timesteps=320, seed=0, out=str(out), eval_every=0))
