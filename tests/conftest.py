"""Shared fixtures: one tiny trained and packaged run, reused by the training and loading tests."""
import pytest

from utils.walkers.runs import train

TINY = dict(eval_every=320, eval_episodes=1, checkpoint_every=320, final_episodes=2, video_steps=20, progress=False)


@pytest.fixture(scope="session")
def tiny():
    """Evaluation, checkpoint and video budgets small enough for unit tests."""
    return dict(TINY)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A 960-step AntBulletEnv-v0 run, packaged: the layout of a real one, in a few seconds."""
    out = tmp_path_factory.mktemp("runs") / "ant"
    result = train("AntBulletEnv-v0", 960, seed=0, out=out, **TINY)
    return result


@pytest.fixture(scope="session")
def tiny_walker_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "walker"
    return train("Walker2DBulletEnv-v0", 320, seed=0, out=out, **{**TINY, "eval_every": 0})
