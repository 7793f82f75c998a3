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


def test_learning_curve_records_its_clock_and_reports_each_evaluation():
    seen = []
    records = learning_curve("a2c", TINY, "AntBulletEnv-v0", steps=16, eval_every=8, eval_episodes=1,
                             on_record=seen.append)
    assert seen == records
    assert all(0 <= r["train_wall"] <= r["wall"] for r in records)  # training time excludes the evaluations
    assert records[0]["wall"] <= records[1]["wall"]


def test_the_script_writes_finished_runs_the_ablation_reader_reads(tmp_path):
    """scripts/ppo_epochs_spider.py with a tiny budget: both arms, their run.json, nothing left partial."""
    import json
    import subprocess
    import sys

    from utils.course.session import ROOT
    from utils.walkers import ablations

    done = subprocess.run([sys.executable, "scripts/ppo_epochs_spider.py", "--steps", "64", "--seeds", "0",
                           "--eval-every", "32", "--eval-episodes", "1", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = ablations.runs(tmp_path)
    assert sorted(found) == ["a2c-1-epoch", "ppo-4-epochs-clip0.2"] and list(found["a2c-1-epoch"]) == [0]
    assert not list(tmp_path.glob("*/seed*/evaluations.partial.jsonl"))
    setup = json.loads((found["ppo-4-epochs-clip0.2"][0] / "run.json").read_text())
    assert setup["n_epochs"] == 4 and setup["clip_range"] == 0.2 and setup["recipe"]["parallel"] is False
    table = ablations.evaluations(tmp_path)
    assert list(table[table["variant"] == "a2c-1-epoch"]["steps"]) == [32, 64] and table["wall"].notna().all()
