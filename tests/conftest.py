"""Shared fixtures: one tiny trained and packaged run, reused by the training and loading tests; what the safety
tests use to prove that nothing was unpickled or changed."""
import hashlib
import pickle
from dataclasses import replace
from pathlib import Path

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


class _Hostile:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.fixture(scope="session")
def hostile_pickle():
    """``hostile_pickle(marker)``: the bytes of a pickle that creates ``marker`` when loaded (proof of unpickling)."""
    return lambda marker: pickle.dumps(_Hostile(marker))


@pytest.fixture(scope="session")
def file_tree():
    """``file_tree(folder, skip=None)``: every file under ``folder`` (but ``skip``'s) with the SHA-256 of its bytes."""
    def tree(folder, skip=None):
        skip = Path(skip).resolve() if skip is not None else None
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(Path(folder).rglob("*"))
                if p.is_file() and not (skip is not None and (p.resolve() == skip or skip in p.resolve().parents))}

    return tree
