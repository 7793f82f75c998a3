"""The hyperparameter search (``python -m utils.tune``): runs, prunes, resumes after a kill, shares a journal."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from utils.walkers.recipes import RECIPES, ZOO_LOW_ALIVE
from utils.walkers.search import DONE, make_objective, open_storage, open_study, recipe_params, run_worker

ENV = "Walker2DBulletEnv-v0"
STEPS = 1600  # 8 evaluations of 3 short episodes; a trial takes a few seconds
ROOT = Path(__file__).resolve().parents[1]


def tune(*args, **kwargs):
    command = [sys.executable, "-m", "utils.tune", "--env", ENV, "--timesteps", str(STEPS), *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, **kwargs)


def load(journal: Path, name: str = "s") -> optuna.Study:
    return optuna.load_study(study_name=name, storage=open_storage(journal))


def started_runs(folder: Path) -> list[str]:
    """Trial folders, and how many times each was started (``start:`` lines in its train.log)."""
    logs = sorted((folder / "trials").glob("*/logs/train.log"))
    return [p.parts[-3] for p in logs for line in p.read_text().splitlines() if " start: " in line]


def test_two_trials_run_and_record_distance_and_return(tmp_path):
    done = tune("--study", "s", "--trials", 2, "--out", tmp_path, "--workers", 1, "--enqueue", "zoo-low-alive")
    assert done.returncode == 0, done.stderr
    study = load(tmp_path / "journal.log")
    trials = study.get_trials(states=DONE)
    assert len(trials) == 2
    assert trials[0].params == recipe_params(ZOO_LOW_ALIVE) and trials[0].user_attrs["enqueued"] == "zoo-low-alive"
    for trial in trials:
        evaluations = [json.loads(line) for line in
                       (tmp_path / "trials" / f"{trial.number:04d}" / "logs" / "evaluations.jsonl").read_text().splitlines()]
        # every STEPS // 8 steps; a rollout larger than that (up to 16 x 64 samples) can carry training past STEPS
        assert len(evaluations) >= 8 and evaluations[-1]["steps"] >= STEPS
        late = [e["distance"] for e in evaluations[-3:]]
        assert trial.value == pytest.approx(sum(late) / 3)
        assert trial.user_attrs["mean_return"] == pytest.approx(sum(e["mean"] for e in evaluations[-3:]) / 3, abs=0.1)
        assert trial.user_attrs["seed"] == trial.number
    report = tune("--study", "s", "--out", tmp_path, "--report")
    assert report.returncode == 0, report.stderr
    assert "distance_m" in report.stdout and (tmp_path / "history.png").is_file()


def test_a_database_url_works_as_the_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"  # the same code path as postgresql://... on a cluster
    done = tune("--study", "s", "--trials", 1, "--out", tmp_path, "--workers", 1, "--storage", url)
    assert done.returncode == 0, done.stderr
    assert len(optuna.load_study(study_name="s", storage=url).get_trials(states=DONE)) == 1
    assert not (tmp_path / "journal.log").exists()


def test_a_hopeless_trial_is_pruned_and_stops_training(tmp_path):
    storage = open_storage(tmp_path / "journal.log")
    always = optuna.pruners.ThresholdPruner(lower=1e9)  # no walk reaches a kilometre: prune at the first report
    study = open_study("s", storage, ENV, STEPS, pruner=always)
    run_worker(study, 1, make_objective(ENV, STEPS, tmp_path, ZOO_LOW_ALIVE))
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert trial.user_attrs["steps"] < STEPS and len(trial.intermediate_values) == 1


def test_killed_worker_loses_only_its_trial_and_a_restart_continues(tmp_path):
    journal = tmp_path / "journal.log"
    command = [sys.executable, "-m", "utils.tune", "--env", ENV, "--timesteps", str(STEPS * 4), "--study", "s",
               "--trials", "3", "--out", str(tmp_path), "--workers", "1"]
    worker = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it while its second trial runs
        if journal.exists() and len(load(journal).get_trials(states=DONE)) == 1 and len(load(journal).trials) == 2:
            break
        time.sleep(0.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    before = journal.read_bytes()
    killed = load(journal)
    assert len(killed.get_trials(states=DONE)) == 1
    restarted = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert restarted.returncode == 0, restarted.stderr
    assert journal.read_bytes().startswith(before)  # only appended to
    study = load(journal)
    assert len(study.get_trials(states=DONE)) == 3
    assert [t.state for t in study.trials].count(optuna.trial.TrialState.RUNNING) == 1  # the killed one, lost


def test_two_workers_share_a_journal_and_never_run_a_trial_twice(tmp_path):
    # two known recipes queued: both workers start at once and race for the queue; each must run exactly once
    done = tune("--study", "s", "--trials", 4, "--out", tmp_path, "--workers", 2, "--enqueue", "zoo", "--enqueue", "zoo-low-alive")
    assert done.returncode == 0, done.stderr
    study = load(tmp_path / "journal.log")
    trials = study.get_trials(states=DONE)
    for name, recipe in RECIPES.items():
        if name in ("zoo", "zoo-low-alive"):
            assert sum(t.params == recipe_params(recipe) for t in trials) == 1, name
    assert len(study.trials) == len(trials)  # nothing left running or failed
    runs = started_runs(tmp_path)
    assert sorted(runs) == sorted(f"{t.number:04d}" for t in trials)  # each trial folder trained once
    pids = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("worker ")}
    assert len(pids) == 2


@pytest.mark.parametrize("args, message", [
    (("--env", "Walker2DBulletEnv-v9"), "Unknown environment id"),
    (("--trials", "0"), "--trials must be a positive"),
    (("--timesteps", "10"), "--timesteps must be at least"),
    (("--storage", "/dev/null/journal.log"), "Cannot open the study storage"),
    (("--storage", "nosuchdriver://x"), "Cannot open the study storage"),
])
def test_bad_input_is_one_line_and_touches_nothing(tmp_path, args, message):
    base = {"--env": ENV, "--study": "s", "--trials": "2", "--timesteps": str(STEPS), "--out": str(tmp_path / "out")}
    flags = dict(zip(args[::2], args[1::2]))
    command = [sys.executable, "-m", "utils.tune", *[x for k, v in {**base, **flags}.items() for x in (k, v)]]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_study_made_for_another_budget_is_refused_and_left_as_it_was(tmp_path):
    journal = tmp_path / "journal.log"
    open_study("s", open_storage(journal), ENV, STEPS)
    before = journal.read_bytes()
    result = tune("--study", "s", "--trials", 1, "--out", tmp_path, "--timesteps", STEPS * 2)
    assert result.returncode == 2 and "exists with another set-up" in result.stderr
    assert journal.read_bytes() == before and not (tmp_path / "trials").exists()


def test_default_workers_is_one_per_core():
    from utils.tune import parse

    assert parse(["--env", ENV, "--study", "s", "--trials", "1", "--timesteps", "1000"]).workers == os.cpu_count()
