"""Training: the run folder, the CLIs, checkpoints that survive SIGKILL, interruption, reproducibility."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from utils.walkers import run_folder
from utils.walkers.loading import verify_agent
from dataclasses import replace

from utils.walkers.runs import RunConfig, RunExistsError, train

PACKAGE = ["a2c-AntBulletEnv-v0.zip", "vec_normalize.pkl", "config.json", "results.json", "README.md", "replay.mp4"]


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout)


def test_run_folder_has_the_hub_layout_and_logs(tiny_run):
    out = tiny_run.out
    for name in PACKAGE:
        assert (out / name).is_file(), name
    assert sorted(verify_agent(out)) == sorted(PACKAGE[:4])
    results = json.loads((out / "results.json").read_text())
    scores = {name: c["pass_score"] for name, c in results["candidates"].items()}
    assert results["shipped"] == max(scores, key=scores.get) and results["n_eval_episodes"] == 2
    assert set(results["candidates"]) == {"best", "last"}
    assert "model-index" in (out / "README.md").read_text()
    assert [r["steps"] for r in tiny_run.evaluations] == [320, 640, 960]
    setup = json.loads((out / "logs" / "run.json").read_text())
    assert setup["seed"] == 0 and setup["target_timesteps"] == 960 and "stable-baselines3" in setup["versions"]
    assert (out / "logs" / "episodes.csv").read_text().startswith("steps,return,length")


def test_evaluate_cli_prints_json_last(tiny_run):
    done = cli("-m", "utils.evaluate", str(tiny_run.out), "--episodes", "2", "--seed", "3")
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(last) >= {"mean_reward", "std_reward"} and last["episodes"] == 2
    assert 0 <= last["falls"] <= 2 and abs(last["mean_distance"]) < 5  # an Ant after a few hundred steps
    assert f"walked {last['mean_distance']:.2f}" in done.stdout


def test_the_run_ends_with_distance_falls_and_whether_it_walks(tiny_run):
    from utils.train import summary

    results = json.loads((tiny_run.out / "results.json").read_text())
    text = summary("AntBulletEnv-v0", results, "runs/ant")
    assert f"walked {results['mean_distance']:.1f} m with {results['falls']} falls in 2 fresh episodes" in text
    assert "It does not walk" in text, "960 steps do not make a walker"
    assert "notebook 05, section 9" in text, "a run that falls points the learner to what to look at"
    walking = {**results, "mean_distance": 20.0, "falls": 0}
    assert "\n" not in summary("AntBulletEnv-v0", walking, "runs/ant")
    pendulum = {k: v for k, v in results.items() if k not in ("mean_distance", "falls")}
    assert summary("Pendulum-v1", pendulum, "runs/p").endswith("over 2 fresh episodes; package in runs/p")


def test_a_stop_flag_ends_training_between_evaluations(tmp_path, tiny):
    polls = []

    def should_stop():  # raised at the third poll, as a search raises it when the trial is pruned
        polls.append(1)
        return len(polls) >= 3

    config = replace(tiny, env_id="AntBulletEnv-v0", timesteps=32_000, eval_every=16_000, checkpoint_every=0,
                     seed=0, out=str(tmp_path / "run"), package=False)
    result = train(config, should_stop=should_stop)
    steps = run_folder.read_meta(run_folder.latest_snapshot(tmp_path / "run" / "last"))["num_timesteps"]
    assert len(polls) == 3 and steps < 16_000 and result.evaluations == [], "stopped before the first evaluation"
    assert "stop: asked from outside" in (tmp_path / "run" / "logs" / "train.log").read_text()


def test_evaluation_is_reproducible_for_a_seed(tiny_run):
    runs = [json.loads(cli("-m", "utils.evaluate", str(tiny_run.out), "--episodes", "1", "--seed", "5")
                       .stdout.splitlines()[-1]) for _ in range(2)]
    assert runs[0] == runs[1]


def test_refuses_to_overwrite_a_run(tiny_run, tiny):
    with pytest.raises(RunExistsError, match="--resume"):
        train(replace(tiny, env_id="AntBulletEnv-v0", timesteps=960, out=str(tiny_run.out)))


@pytest.mark.parametrize("steps", [0, -5])
def test_non_positive_timesteps_is_one_line_error(tmp_path, steps):
    done = cli("-m", "utils.train", "--env", "AntBulletEnv-v0", "--timesteps", str(steps), "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and done.stderr.strip() == f"error: timesteps must be a positive integer, got {steps}."


def test_unknown_env_id_is_one_line_error_with_close_matches(tmp_path):
    done = cli("-m", "utils.train", "--env", "AntBullet-v0", "--timesteps", "100", "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "AntBulletEnv-v0" in lines[0] and "Walker2DBulletEnv-v0" in lines[0]


def test_resume_after_sigkill_reaches_requested_steps(tmp_path):
    out = tmp_path / "killed"
    target = 12_800
    args = ["-m", "utils.train", "--env", "Walker2DBulletEnv-v0", "--timesteps", str(target), "--out", str(out),
            "--eval-every", "0", "--checkpoint-every", "1600", "--no-package", "--no-progress"]
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while run_folder.latest_snapshot(out / "checkpoints") is None and time.time() < deadline:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = run_folder.read_meta(run_folder.latest_snapshot(out / "checkpoints"))["num_timesteps"]
    assert 0 < killed_at < target, "the run must be killed mid-way"

    done = cli(*args, "--resume", timeout=180)
    assert done.returncode == 0, done.stderr
    final = run_folder.read_meta(run_folder.latest_snapshot(out / "last"))
    assert final["num_timesteps"] == target
    from stable_baselines3 import A2C

    model = A2C.load(run_folder.latest_snapshot(out / "last") / run_folder.MODEL, device="cpu")
    assert model._total_timesteps == target, "the learning-rate schedule runs over the requested total"
    assert model._current_progress_remaining < 0.01
    assert "resume from" in (out / "logs" / "train.log").read_text()


def test_resume_without_checkpoint_says_so(tmp_path):
    done = cli("-m", "utils.train", "--env", "AntBulletEnv-v0", "--timesteps", "100", "--out", str(tmp_path / "none"), "--resume")
    assert done.returncode == 2 and "Nothing to resume" in done.stderr


def test_interrupt_keeps_the_model_and_says_how_to_resume(tmp_path, capsys, tiny):
    def interrupt(evaluations):
        raise KeyboardInterrupt

    config = replace(tiny, env_id="AntBulletEnv-v0", timesteps=3200, out=str(tmp_path / "int"), eval_every=640)
    result = train(config, on_eval=interrupt)
    assert result.interrupted and result.model.num_timesteps < 3200
    assert "resume" in capsys.readouterr().out.lower()
    latest = run_folder.latest_snapshot(tmp_path / "int" / "checkpoints")
    assert run_folder.read_meta(latest)["num_timesteps"] == result.model.num_timesteps
    with pytest.raises(RunExistsError, match="seed"):  # a resumed run keeps what changes learning
        train(replace(config, seed=1), mode="resume")
    resumed = train(replace(config, package=False, eval_every=1600), mode="resume")  # evaluations may change
    assert resumed.model.num_timesteps == 3200 and resumed.evaluations[-1]["steps"] == 3200


def test_same_seed_gives_identical_results(tmp_path, tiny):
    runs = [train(replace(tiny, env_id="AntBulletEnv-v0", timesteps=640, seed=7, out=str(tmp_path / f"r{i}"), package=False))
            for i in range(2)]
    assert runs[0].evaluations == [dict(r, wall=runs[0].evaluations[i]["wall"]) for i, r in enumerate(runs[1].evaluations)]
    for a, b in zip(runs[0].model.policy.parameters(), runs[1].model.policy.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_walker_recipe_learns_the_same_in_one_process_and_split_over_two(tmp_path):
    from utils.walkers.recipes import WALKER, ZOO_LOW_ALIVE

    assert ZOO_LOW_ALIVE == replace(WALKER, parallel=False)
    runs = [train(RunConfig(env_id="Walker2DBulletEnv-v0", timesteps=640, seed=3, out=str(tmp_path / str(r.parallel)),
                            recipe=r, eval_every=0, progress=False, package=False)) for r in (WALKER, ZOO_LOW_ALIVE)]
    for a, b in zip(runs[0].model.policy.parameters(), runs[1].model.policy.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_logged_returns_are_the_environments_when_the_training_reward_drops_the_alive_bonus(tmp_path):
    from utils.walkers.recipes import ZOO

    train(RunConfig(env_id="Walker2DBulletEnv-v0", timesteps=640, seed=1, out=str(tmp_path / "run"),
                    recipe=replace(ZOO, alive_bonus=0.0), eval_every=0, progress=False, package=False))
    rows = np.loadtxt(tmp_path / "run" / "logs" / "episodes.csv", delimiter=",", skiprows=1)
    # the environment pays about +0.8 per step of these short episodes (alive bonus +1, costs); without its alive
    # bonus the training reward pays about -0.2, so logged returns near the length are the environment's own
    assert rows[:, 1].sum() > 0.5 * rows[:, 2].sum()



def test_the_alive_bonus_curriculum_starts_at_1_and_reaches_its_value_in_both_processes_and_after_a_resume(tmp_path):
    from utils.walkers.callbacks import AliveBonusSchedule
    from utils.walkers.recipes import WALKER, ZOO_LOW_ALIVE
    from utils.walkers.runs import new_model

    recipe = replace(WALKER, alive_anneal=0.5)  # 2 + 2 copies in two processes
    assert [recipe.alive_bonus_at(p) for p in (0.0, 0.25, 0.5, 1.0)] == [1.0, 0.625, 0.25, 0.25]
    assert replace(recipe, alive_anneal=0.0).alive_bonus_at(0.0) == 0.25
    model, env = new_model(recipe, "Walker2DBulletEnv-v0", seed=0)
    try:
        assert env.get_attr("scale") == [1.0] * 4, "the curriculum starts with the environment's own reward"
        model.learn(320, callback=AliveBonusSchedule(recipe, 1280))
        assert env.get_attr("scale") == [1.0 - 0.75 * (288 / 1280) / 0.5] * 4, "set before the last rollout, at 288 steps"
    finally:
        env.close()
    # through the course's own training, resumed half-way: the schedule continues from the checkpoint's step
    one_process = replace(ZOO_LOW_ALIVE, alive_anneal=0.5)
    config = RunConfig(env_id="Walker2DBulletEnv-v0", timesteps=1280, seed=0, out=str(tmp_path / "run"),
                       recipe=one_process, eval_every=320, eval_episodes=1, progress=False, package=False)

    def interrupt(evaluations):
        raise KeyboardInterrupt

    assert train(config, on_eval=interrupt).model.num_timesteps == 320
    resumed = train(config, mode="resume")
    assert resumed.model.num_timesteps == 1280 and resumed.model.get_env().get_attr("scale") == [0.25] * 4
    with pytest.raises(ValueError, match="alive_anneal must be a fraction"):
        replace(recipe, alive_anneal=1.5).check()


def test_the_progress_weight_scales_only_the_progress_term():
    from utils.walkers.envs import make_walking_env
    from utils.walkers.walking import ScaleAliveBonus

    plain, weighted = make_walking_env("Walker2DBulletEnv-v0"), ScaleAliveBonus(make_walking_env("Walker2DBulletEnv-v0"), 0.5, 2.0)
    for env in (plain, weighted):
        env.reset(seed=4)
    rng = np.random.default_rng(0)
    for _ in range(5):
        action = rng.uniform(-1, 1, size=6).astype(np.float32)
        reward = plain.step(action)[1]
        shaped = weighted.step(action)[1]
        alive, progress = weighted.unwrapped.rewards[:2]
        assert shaped == pytest.approx(reward - 0.5 * alive + progress, abs=1e-5)


def test_snapshot_survives_a_crash_mid_write(tiny_run):
    root = tiny_run.out / "checkpoints"
    before = run_folder.latest_snapshot(root)
    (root / "step-9999999999-1").mkdir()  # a crash after mkdir, before any file or the pointer was written
    (root / "step-9999999999-1" / run_folder.MODEL).write_bytes(b"PK\x03\x04 truncated")
    assert run_folder.latest_snapshot(root) == before


def test_ctrl_c_on_the_command_line_saves_and_says_how_to_resume(tmp_path):
    out = tmp_path / "ctrl-c"
    process = subprocess.Popen(
        [sys.executable, "-m", "utils.train", "--env", "AntBulletEnv-v0", "--timesteps", "200000", "--out", str(out),
         "--eval-every", "0", "--checkpoint-every", "640", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a shell's background jobs ignore SIGINT
    )
    deadline = time.time() + 60
    while run_folder.latest_snapshot(out / "checkpoints") is None and time.time() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "--resume" in stdout
    latest = run_folder.read_meta(run_folder.latest_snapshot(out / "checkpoints"))
    assert 0 < latest["num_timesteps"] < 200_000


def test_set_changes_recipe_fields_and_the_logged_command_rebuilds_it():
    from utils.walkers.recipes import COURSE, WALKER, as_flags, with_settings

    recipe = with_settings(COURSE, ["use_sde=false", "n_steps=8", "net_arch=32,32", "lr_schedule=constant"])
    assert (recipe.use_sde, recipe.n_steps, recipe.net_arch, recipe.lr_schedule) == (False, 8, (32, 32), "constant")
    flags = as_flags(recipe).split()
    assert flags[:2] == ["--recipe", "course"]
    assert with_settings(COURSE, flags[3::2]) == recipe
    assert as_flags(WALKER) == "--recipe walker"
    for bad in (["nope=1"], ["use_sde=maybe"], ["n_steps"]):
        with pytest.raises(ValueError, match="--set"):
            with_settings(COURSE, bad)


def test_diagnostics_append_across_a_resume_and_drop_rows_past_the_checkpoint(tmp_path):
    from utils.walkers import diagnostics

    for rows in ([(3200, 0.1), (6400, 0.2), (9600, 0.3)], [(9600, 0.5)]):
        writer = diagnostics.DiagnosticsCSV(tmp_path / diagnostics.DIAGNOSTICS)
        for steps, ev in rows:
            writer.write({"time/total_timesteps": steps, "train/explained_variance": ev}, {})
        writer.close()
        if len(rows) == 3:
            diagnostics.truncate(tmp_path, 6400)
    table = diagnostics.read(tmp_path)
    assert table["steps"].tolist() == [3200, 6400, 9600]
    assert table["train/explained_variance"].tolist() == [0.1, 0.2, 0.5]


def test_every_run_option_is_a_command_line_flag_and_the_logged_command_rebuilds_the_config(tmp_path):
    from dataclasses import fields

    from utils.walkers.run_config import from_args, parser
    from utils.walkers.recipes import WALKER

    config = RunConfig(env_id="Walker2DBulletEnv-v0", timesteps=5000, seed=3, out=str(tmp_path / "x"),
                       recipe=replace(WALKER, n_steps=16), eval_every=0, eval_episodes=2, checkpoint_every=1000,
                       final_episodes=3, video_steps=10, stop_at_score=900.0, package=False, progress=False)
    args = parser().parse_args(config.command().split()[3:])
    assert from_args(args) == config
    flags = " ".join(parser().format_help().split())
    for f in fields(RunConfig):
        name = f.name.replace("_", "-")
        assert f"--{name}" in flags or f"--no-{name}" in flags or f.name in ("env_id", "recipe"), f.name


def test_resume_reads_the_configuration_from_the_checkpoint_and_refuses_a_contradiction(tmp_path):
    out = tmp_path / "run"
    first = cli("-m", "utils.train", "--env", "AntBulletEnv-v0", "--recipe", "zoo", "--set", "n_steps=16",
                "--timesteps", "1280", "--seed", "4", "--out", str(out), "--eval-every", "640", "--eval-episodes", "1",
                "--checkpoint-every", "640", "--no-package", "--no-progress")
    assert first.returncode == 0, first.stderr
    setup = json.loads((out / "logs" / "run.json").read_text())
    assert setup["command"].startswith("python -m utils.train --env AntBulletEnv-v0 --recipe zoo --set n_steps=16 "
                                       "--timesteps 1280 --seed 4")
    contradicted = cli("-m", "utils.train", "--out", str(out), "--resume", "--seed", "5")
    assert contradicted.returncode == 2 and len(contradicted.stderr.strip().splitlines()) == 1
    assert "seed: 4 in the folder, 5 asked" in contradicted.stderr
    finished = cli("-m", "utils.train", "--out", str(out), "--resume")  # the flags come from the checkpoint
    assert finished.returncode == 0 and "finished: nothing to train" in finished.stdout


def test_a_notebook_cell_rerun_never_deletes_a_run(tmp_path, tiny):
    from utils.walkers.runs import Run

    config = replace(tiny, env_id="AntBulletEnv-v0", timesteps=640, out=str(tmp_path / "r"), package=False)
    train(config)
    before = sorted(p.name for p in (tmp_path / "r").rglob("*"))
    again = train(config, mode="continue")  # a finished run: nothing trained, nothing deleted
    assert again.model is None and sorted(p.name for p in (tmp_path / "r").rglob("*")) == before
    with pytest.raises(RunExistsError, match="seed"):  # another run asked in the same folder: refused
        Run(replace(config, seed=1), mode="continue")
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "notes.txt").write_text("mine")
    with pytest.raises(RunExistsError, match="no checkpoint"):
        Run(replace(config, out=str(tmp_path / "loose")), mode="continue")
    assert (tmp_path / "loose" / "notes.txt").exists()


def test_resume_cuts_the_logs_back_to_the_checkpoint(tmp_path, tiny):
    config = replace(tiny, env_id="AntBulletEnv-v0", timesteps=1280, out=str(tmp_path / "r"), eval_every=320,
                     checkpoint_every=640, package=False)

    def stop_at_640(evaluations):
        if evaluations[-1]["steps"] == 640:
            raise KeyboardInterrupt

    train(config, on_eval=stop_at_640)
    logs = tmp_path / "r" / "logs"
    # what a SIGKILL after the next evaluation, before the next checkpoint, leaves behind: rows past step 640
    with open(logs / "evaluations.jsonl", "a") as f:
        f.write(json.dumps({"steps": 960, "wall": -1.0, "mean": 0.0, "std": 0.0, "mean_length": 1.0}) + "\n")
    with open(logs / "episodes.csv", "a") as f:
        f.write("900,-1.00,1,0.00\n")
    resumed = train(config, mode="resume")
    assert [r["steps"] for r in resumed.evaluations] == [320, 640, 960, 1280]
    assert all(r["wall"] >= 0 for r in resumed.evaluations), "the stale row was dropped, the real one kept"
    assert "900,-1.00" not in (logs / "episodes.csv").read_text()
    steps = [json.loads(line)["steps"] for line in (logs / "evaluations.jsonl").read_text().splitlines()]
    assert steps == [320, 640, 960, 1280]


def test_stop_at_score_ends_training_at_the_first_evaluation_that_reaches_it(tmp_path, tiny):
    config = replace(tiny, env_id="AntBulletEnv-v0", timesteps=3200, out=str(tmp_path / "r"), eval_every=320,
                     package=False, stop_at_score=-1e9)
    result = train(config)
    assert [r["steps"] for r in result.evaluations] == [320] and result.model.num_timesteps < 640
    assert "stop: evaluation reached" in (tmp_path / "r" / "logs" / "train.log").read_text()


def test_a_failure_inside_training_keeps_a_checkpoint_and_closes_the_run(tmp_path, tiny, capsys):
    config = replace(tiny, env_id="AntBulletEnv-v0", timesteps=3200, out=str(tmp_path / "r"), eval_every=640,
                     package=False)

    def fail(evaluations):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train(config, on_eval=fail)
    assert f"--out {tmp_path / 'r'} --resume" in capsys.readouterr().out
    latest = run_folder.latest_snapshot(tmp_path / "r" / "checkpoints")
    assert run_folder.read_meta(latest)["num_timesteps"] == 640
    assert "stopped at 640 steps" in (tmp_path / "r" / "logs" / "train.log").read_text()
    assert train(config, mode="resume").model.num_timesteps == 3200


def test_a_checkpoint_without_a_stored_configuration_is_a_one_line_error(tmp_path, tiny):
    from utils.walkers.runs import Run

    folder = tmp_path / "old" / "checkpoints" / "step-0000000320-1"
    folder.mkdir(parents=True)
    (folder / run_folder.META).write_text(json.dumps({"num_timesteps": 320, "train_seconds": 1.0}))
    (tmp_path / "old" / "checkpoints" / "latest").write_text(folder.name)
    with pytest.raises(ValueError, match="course version"):
        Run(replace(tiny, env_id="AntBulletEnv-v0", timesteps=640, out=str(tmp_path / "old")), mode="continue")
    done = cli("-m", "utils.train", "--out", str(tmp_path / "old"), "--resume")
    assert done.returncode == 2 and "course version" in done.stderr and len(done.stderr.splitlines()) == 1
