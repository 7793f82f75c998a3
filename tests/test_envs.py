"""Unit tests of the environment helpers: utils.walkers.envs, utils.walkers.split_vec_env, utils.walkers.video and the smoke switch."""
import multiprocessing as mp
import os
import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from utils.course.smoke import SMOKE_VARIABLE, budget
from utils.walkers.envs import UnknownEnvironmentError, bullet_ids, make_env, make_vec
from utils.walkers.split_vec_env import SplitVecEnv
from utils.walkers.video import record_video

BANNERS = ("argv[0]=", "pybullet build time")


# --- utils.walkers.envs -------------------------------------------------------------------------------------
def test_unknown_env_id_names_close_matches_and_bullet_ids():
    with pytest.raises(UnknownEnvironmentError) as caught:
        make_env("Walker2DBullet-v0")
    message = str(caught.value)
    assert "\n" not in message, "the error fits on one line"
    suggestion, _, listed = message.partition("Bullet ids:")
    assert "Did you mean Walker2DBulletEnv-v0" in suggestion, message
    assert all(env_id in listed for env_id in bullet_ids()), message
    assert isinstance(caught.value, ValueError), "callers can catch it as a ValueError"


def test_make_vec_rejects_bad_input_before_starting_anything():
    with pytest.raises(UnknownEnvironmentError, match="AntBulletEnv-v0"):
        make_vec("AntBullet-v0", n_envs=2, parallel=True)
    with pytest.raises(ValueError, match="n_envs must be at least 1"):
        make_vec("AntBulletEnv-v0", n_envs=0)


def test_walkers_have_the_documented_spaces():
    for env_id, n_obs, n_act in (("Walker2DBulletEnv-v0", 22, 6), ("AntBulletEnv-v0", 28, 8)):
        env = make_env(env_id)
        try:
            obs, _ = env.reset(seed=0)
            assert obs.shape == (n_obs,) and env.action_space.shape == (n_act,)
            assert np.all(env.action_space.low == -1) and np.all(env.action_space.high == 1)
        finally:
            env.close()


# --- utils.walkers.batched_queries -------------------------------------------------------------------------
def _trajectory(env, steps, seed=3):
    """Observations, rewards and ends of ``steps`` random-action steps (resets included), and the torso's path."""
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
        out += [obs, reward, terminated, truncated, tuple(env.unwrapped.robot.body_xyz)]
        if terminated or truncated:
            out.append(env.reset()[0])
    return out


@pytest.mark.parametrize("env_id", ["Walker2DBulletEnv-v0", "AntBulletEnv-v0"])
def test_batched_queries_give_the_plain_environments_numbers_bit_for_bit(env_id):
    import gymnasium as gym

    from utils.walkers.batched_queries import BatchedQueries

    plain, course = gym.make(env_id), make_env(env_id)
    try:
        expected, got = _trajectory(plain, 600), _trajectory(course, 600)
        assert course.env.batched and isinstance(course.env, BatchedQueries), "the course's environment is batched"
        assert len(expected) == len(got)
        for a, b in zip(expected, got):
            np.testing.assert_array_equal(a, b)
    finally:
        plain.close()
        course.close()


def test_batched_queries_leave_another_library_version_alone(monkeypatch):
    from utils.walkers import batched_queries

    monkeypatch.setattr(batched_queries, "CHECKED_VERSION", "0.0.0")
    env = make_env("Walker2DBulletEnv-v0")
    try:
        env.reset(seed=0)
        assert not env.env.batched and "calc_state" not in vars(env.unwrapped.robot)
    finally:
        env.close()


# --- utils.walkers.split_vec_env ---------------------------------------------------------------------------------
def test_split_vec_env_matches_dummy_vec_env():
    """Same seed, same actions: SplitVecEnv returns exactly what DummyVecEnv returns, auto-resets included."""
    serial = make_vec("Walker2DBulletEnv-v0", n_envs=3, seed=7, parallel=False)
    split = make_vec("Walker2DBulletEnv-v0", n_envs=3, seed=7, parallel=True)
    try:
        assert isinstance(serial, DummyVecEnv) and isinstance(split, SplitVecEnv)
        assert split.n_local == 2, "the worker steps the last n_envs // 2 copies"
        np.testing.assert_array_equal(serial.reset(), split.reset())
        rng = np.random.default_rng(0)
        episodes_ended = 0
        for _ in range(40):  # a random walker falls after ~15 steps: several automatic resets happen
            actions = rng.uniform(-1, 1, size=(3, 6)).astype(np.float32)
            obs_a, rew_a, done_a, info_a = serial.step(actions)
            obs_b, rew_b, done_b, info_b = split.step(actions)
            np.testing.assert_array_equal(obs_a, obs_b)
            np.testing.assert_array_equal(rew_a, rew_b)
            np.testing.assert_array_equal(done_a, done_b)
            for a, b in zip(info_a, info_b):
                if "terminal_observation" in a:
                    np.testing.assert_array_equal(a["terminal_observation"], b["terminal_observation"])
            episodes_ended += int(done_a.sum())
        assert episodes_ended >= 3, "the comparison should cover episodes that ended and restarted"
        assert split.env_is_wrapped(Monitor) == [True, True, True]
        assert split.get_attr("render_mode", indices=[0, 2]) == [None, None]
    finally:
        serial.close()
        split.close()
    assert split.closed
    with pytest.raises(ProcessLookupError):
        os.kill(split.pid, 0)  # the worker is gone and reaped


def test_worker_processes_see_the_bullet_ids_and_print_no_banner():
    """SB3's SubprocVecEnv (forkserver by default) and SplitVecEnv, built in a fresh interpreter.

    The workers never imported ``pybullet_envs_gymnasium``: ``make_env`` registers the Bullet ids inside each
    of them, and hides the banner PyBullet prints when a worker connects to its physics server.
    """
    assert "forkserver" in mp.get_all_start_methods(), "SB3's default start method on this platform"
    script = """
import functools

import numpy as np
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import SubprocVecEnv

from utils.walkers.envs import make_env, make_vec

venv = make_vec_env(functools.partial(make_env, "AntBulletEnv-v0"), n_envs=2, seed=0, vec_env_cls=SubprocVecEnv)
assert venv.reset().shape == (2, 28)
obs, rewards, _, _ = venv.step(np.zeros((2, 8), dtype=np.float32))
assert obs.shape == (2, 28) and np.all(np.isfinite(rewards))
venv.close()
venv = make_vec("Walker2DBulletEnv-v0", n_envs=2, parallel=True)
venv.reset()
venv.step(np.zeros((2, 6), dtype=np.float32))
venv.close()
print("workers ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "workers ok" in done.stdout
    output = done.stdout + done.stderr
    assert not [b for b in BANNERS if b in output], f"PyBullet banner leaked: {output[:500]!r}"


# --- utils.walkers.video ------------------------------------------------------------------------------------
def test_record_video_writes_an_mp4_with_one_frame_per_step(tmp_path):
    rng = np.random.default_rng(0)
    flail = lambda obs: rng.uniform(-1, 1, size=6)  # any callable obs -> action is a policy
    result = record_video("Walker2DBulletEnv-v0", policy=flail, path=tmp_path / "sub" / "walker.mp4", steps=45, seed=0)
    assert result["path"].exists() and result["frames"] == 45
    reader = imageio.get_reader(result["path"])
    try:
        assert reader.count_frames() == 45
        assert reader.get_data(0).shape == (240, 320, 3)
        assert reader.get_meta_data()["fps"] == 60
    finally:
        reader.close()
    assert result["episode_returns"], "a random walker falls within ~15 steps: the finished episode's return is kept"
    with pytest.raises(ValueError, match="steps must be at least 1"):
        record_video("Walker2DBulletEnv-v0", path=tmp_path / "none.mp4", steps=0)



def test_show_video_is_a_light_gif_written_under_runs_not_beside_the_mp4(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    import utils.course.session as session
    from utils.walkers.video import show_video, to_gif

    monkeypatch.setattr(session, "RUNS", tmp_path / "runs")
    mp4 = record_video("Walker2DBulletEnv-v0", path=tmp_path / "agent" / "replay.mp4", steps=120, seed=0)["path"]
    shown = show_video(mp4, seconds=1.0, width=160)
    assert shown.format == "gif" and shown.data[:6] in (b"GIF87a", b"GIF89a")
    assert sorted(p.name for p in (tmp_path / "agent").iterdir()) == ["replay.mp4"], "nothing written beside the MP4"
    (gif,) = (tmp_path / "runs" / "gifs").iterdir()
    with PILImage.open(gif) as image:
        assert image.size == (160, 120) and image.n_frames == 15  # 1 s of 60 fps, every 4th frame
    assert len(shown.data) < 200_000
    with pytest.raises(ValueError, match="no frame between 5.0 s"):
        to_gif(mp4, tmp_path / "x.gif", start=5.0)

# --- utils.course.smoke -----------------------------------------------------------------------------------
def test_budget_respects_the_smoke_switch(monkeypatch):
    monkeypatch.setenv(SMOKE_VARIABLE, "1")
    assert budget(2_000_000, 3_200) == 3_200
    monkeypatch.setenv(SMOKE_VARIABLE, "0")
    assert budget(2_000_000, 3_200) == 2_000_000
    monkeypatch.delenv(SMOKE_VARIABLE)
    assert budget(2_000_000, 3_200) == 2_000_000, "full budgets by default"
