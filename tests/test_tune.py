"""The hyperparameter search (``python -m utils.tune``): runs, prunes, resumes after a kill, shares a journal."""
from __future__ import annotations

import json
import os
from dataclasses import replace
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from utils.walkers.recipes import RECIPES, ZOO_LOW_ALIVE
from utils.walkers.runs import RunConfig
from utils.walkers.search import (COLLAPSE_AT, DONE, EARLY_AT, EVAL_EPISODES, aggregate, early_signs, make_objective,
                                  open_storage, open_study, recipe_params, run_worker, train_seeds, trial_seeds,
                                  walk_score)

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
    logs = sorted((folder / "trials").glob("*/seed-*/logs/train.log"))
    return [p.parts[-4] for p in logs for line in p.read_text().splitlines() if " start: " in line]


def evaluations_of(folder: Path, number: int, seed: int) -> list[dict]:
    path = folder / "trials" / f"{number:04d}" / f"seed-{seed}" / "logs" / "evaluations.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_walk_score_counts_falls_and_the_trial_scores_its_worst_seed():
    late = [{"distance": 15.0, "falls": 1}, {"distance": 12.0, "falls": 0}, {"distance": 30.0, "falls": EVAL_EPISODES}]
    early = [{"distance": 99.0, "falls": 0}] * 5
    assert walk_score(early + late) == pytest.approx((15 * (1 - 1 / EVAL_EPISODES) + 12 + 0) / 3)
    assert aggregate([14.0, 2.5, 9.0]) == 2.5
    assert trial_seeds(0, 2) == [1000, 1001] and trial_seeds(7, 3) == [1021, 1022, 1023]
    assert min(trial_seeds(0, 1)) >= 1000, "seeds 0-999 stay unseen by every search, for re-training its recipe"


def test_two_trials_run_two_seeds_each_and_score_the_worst(tmp_path):
    done = tune("--study", "s", "--trials", 2, "--out", tmp_path, "--seeds", 2, "--enqueue", "zoo-low-alive")
    assert done.returncode == 0, done.stderr
    assert len({line.split()[1] for line in done.stdout.splitlines() if line.startswith("worker ")}) == 1, \
        "two cores, two seeds per trial: one worker"
    study = load(tmp_path / "journal.log")
    trials = study.get_trials(states=DONE)
    assert len(trials) == 2 and study.user_attrs["seeds"] == 2 and study.user_attrs["space"] == "zoo"
    assert trials[0].params == recipe_params(ZOO_LOW_ALIVE) and trials[0].user_attrs["enqueued"] == "zoo-low-alive"
    for trial in trials:
        seeds = trial_seeds(trial.number, 2)
        assert trial.user_attrs["seeds"] == seeds
        runs = [evaluations_of(tmp_path, trial.number, seed) for seed in seeds]
        for evaluations in runs:  # every STEPS // 8 steps; a rollout larger than that can carry training past STEPS
            assert len(evaluations) >= 8 and evaluations[-1]["steps"] >= STEPS
        assert trial.value == pytest.approx(min(walk_score(e) for e in runs))
        assert trial.user_attrs["walk_scores"] == [round(walk_score(e), 2) for e in runs]
        assert trial.user_attrs["returns"] == [pytest.approx(sum(x["mean"] for x in e[-3:]) / 3, abs=0.1) for e in runs]
        assert trial.user_attrs["falls"] == [sum(x["falls"] for x in e[-3:]) for e in runs]
        assert len(trial.intermediate_values) == min(len(e) for e in runs), "one report per round of evaluations"
        logs = [tmp_path / "trials" / f"{trial.number:04d}" / f"seed-{seed}" / "logs" for seed in seeds]
        signs = {"early_lengths": ("length", COLLAPSE_AT), "early_distances": ("distance", EARLY_AT)}
        for name, (column, evaluation) in signs.items():
            expected = [round(early_signs(d, STEPS, evaluation)[column], 2) for d in logs]
            assert trial.user_attrs[name] == pytest.approx(expected, nan_ok=True), \
                "read while the seeds trained: the episode log is written line by line"
        assert any(v == v for name in signs for v in trial.user_attrs[name]), "some episodes ended in the windows"
        assert all((d / "episodes_by_window.csv").is_file() for d in logs), "kept for the repository"
    report = tune("--study", "s", "--out", tmp_path, "--report")
    assert report.returncode == 0, report.stderr
    assert "worst_seed_m" in report.stdout and (tmp_path / "history.png").is_file()
    assert (tmp_path / "reports.png").is_file(), "every trial's reports, pruned ones included"
    assert (tmp_path / "seeds.png").is_file(), "every seed against the parameters"



def test_the_best_table_ranks_pruned_trials_as_tpe_does_when_none_completed():
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    from utils.walkers.search import OBJECTIVE, best_table

    study = optuna.create_study(direction="maximize")
    study.set_user_attr("objective", OBJECTIVE)
    x = {"x": FloatDistribution(0, 1)}

    def pruned(reports, **records):
        study.add_trial(create_trial(state=TrialState.PRUNED, params={"x": 0.5}, distributions=x,
                                     intermediate_values=dict(enumerate(reports, 1)), user_attrs=records))

    pruned([0.0, 0.0], steps=250, walk_scores=[0.0, 0.0])  # 0: stopped early
    pruned([0.0] * 6, steps=750, walk_scores=[0.0, 0.0], distances=[1.0, 1.5])  # 1: as far, fell everywhere
    pruned([0.0] * 6, steps=750, walk_scores=[0.0, 0.4], distances=[1.0, 4.0])  # 2: one seed walked a little
    pruned([0.0, 0.0, 0.0, 0.2], steps=500, walk_scores=[0.2, 0.3])  # 3: better last report, stopped sooner
    pruned([0.0] * 6, steps=750, walk_scores=[0.0, 0.0], distances=[1.0, 2.5])  # 4
    table = best_table(study, top=4)
    assert list(table["number"]) == [2, 4, 1, 3], "how far, then the last report, then the seeds' mean"
    assert list(table.columns[:4]) == ["number", "worst_seed_m", "state", "steps"] and table["x"].eq(0.5).all()
    study.add_trial(create_trial(value=0.1, params={"x": 0.2}, distributions=x, intermediate_values={8: 0.1},
                                 user_attrs={"steps": 1000}))
    assert best_table(study, top=1)["number"].tolist() == [5], "a completed trial outranks every pruned one"
    assert best_table(study, top=1)["worst_seed_m"].tolist() == [0.1]


def test_the_seed_table_keeps_every_seed_of_finished_and_pruned_trials():
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    from utils.walkers.search import seed_table

    study = optuna.create_study(direction="maximize")
    x = {"x": FloatDistribution(0, 1)}
    study.add_trial(create_trial(state=TrialState.PRUNED, params={"x": 0.5}, distributions=x,
                                 intermediate_values={1: 0.0}, user_attrs={
                                     "steps": 250, "seeds": [7, 8], "walk_scores": [0.0, 0.1], "distances": [0.2, 3.0],
                                     "falls": [6, 2], "returns": [9.0, 300.0], "early_lengths": [5.0, 90.0]}))
    study.add_trial(create_trial(value=12.0, params={"x": 0.2}, distributions=x,
                                 user_attrs={"steps": 1000, "seeds": [9, 10], "distances": [12.0, 20.0]}))
    study.add_trial(create_trial(state=TrialState.FAIL, params={"x": 0.9}, distributions=x, user_attrs={"seeds": [11]}))
    table = seed_table(study)
    assert table["seed"].tolist() == [7, 8, 9, 10], "failed trials are left out"
    assert table["distance"].tolist() == [0.2, 3.0, 12.0, 20.0] and table["x"].tolist() == [0.5, 0.5, 0.2, 0.2]
    assert table.loc[1, ["falls", "return", "early_length"]].tolist() == [2, 300.0, 90.0]
    assert table["early_distance"].isna().all() and table["falls"][2:].isna().all(), "unrecorded: NaN"


def test_the_seed_table_reads_early_signs_a_trial_did_not_record_from_its_logs(tmp_path):
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    from utils.walkers.search import seed_table, trial_folder

    study = optuna.create_study(direction="maximize")
    study.set_user_attr("timesteps", 1_000_000)
    study.add_trial(create_trial(state=TrialState.PRUNED, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)},
                                 intermediate_values={6: 0.0}, user_attrs={"steps": 750_000, "seeds": [7, 8]}))
    logs = trial_folder(tmp_path, 0) / "seed-7" / "logs"  # an early trial: its seeds' episodes by window only
    logs.mkdir(parents=True)
    (logs / "episodes_by_window.csv").write_text("steps,length,distance,episodes\n"
                                                 "250000,5.0,0.2,900\n500000,61.0,0.9,700\n")
    table = seed_table(study, tmp_path)
    assert table.loc[0, ["early_length", "early_distance"]].tolist() == [5.0, 0.9], "at 250k and 500k, as recorded"
    assert table.loc[1, ["early_length", "early_distance"]].isna().all(), "no logs: NaN"
    assert seed_table(study)["early_length"].isna().all(), "without the folder, only what the trial recorded"


def test_the_focused_space_draws_the_walker_recipe_back_when_it_is_enqueued():
    from utils.walkers.recipes import WALKER
    from utils.walkers.search import FOCUSED, sample_focused

    study = optuna.create_study()
    study.enqueue_trial(recipe_params(WALKER, "focused"))
    trial = study.ask()
    drawn = sample_focused(trial, WALKER)  # ent_coef 0 is drawn as 1e-8, the bottom of its log range
    assert drawn == replace(WALKER, parallel=False, ent_coef=1e-8) and sorted(trial.params) == sorted(FOCUSED)

def test_a_focused_search_keeps_the_walker_recipe_and_a_study_its_base(tmp_path):
    from utils.tune import parse
    from utils.walkers.search import SearchError

    args = ["--env", ENV, "--study", "s", "--trials", "1", "--timesteps", "1000"]
    assert parse(args + ["--space", "focused"]).base == "walker", "4 copies x 8 steps, as the walker that walks"
    assert parse(args).base == "course"
    storage = open_storage(tmp_path / "journal.log")
    open_study("s", storage, ENV, STEPS, space="focused", base="walker")
    with pytest.raises(SearchError, match="base='walker'"):
        open_study("s", storage, ENV, STEPS, space="focused", base="course")


def test_a_seed_that_fails_fails_the_trial_in_one_line_and_stops_the_other(tmp_path):
    (tmp_path / "blocked").write_text("a file where the run folder should go")
    configs = [RunConfig(env_id=ENV, timesteps=STEPS * 50, seed=s, out=str(tmp_path / name), recipe=ZOO_LOW_ALIVE,
                         eval_every=STEPS, eval_episodes=1, checkpoint_every=0, progress=False, package=False)
               for s, name in ((1, "fine"), (2, "blocked"))]
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^seed 2: ") as failure:
        train_seeds(configs, lambda i, by_seed: None)
    assert "\n" not in str(failure.value)
    fine = (tmp_path / "fine" / "logs" / "train.log").read_text()
    assert "stop: asked from outside" in fine and time.monotonic() - started < 240, "the other seed stopped at once"


def test_a_database_url_works_as_the_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"  # the same code path as postgresql://... on a cluster
    done = tune("--study", "s", "--trials", 1, "--out", tmp_path, "--workers", 1, "--seeds", 1, "--storage", url)
    assert done.returncode == 0, done.stderr
    assert len(optuna.load_study(study_name="s", storage=url).get_trials(states=DONE)) == 1
    assert not (tmp_path / "journal.log").exists()


def test_a_hopeless_trial_is_pruned_and_stops_training(tmp_path):
    storage = open_storage(tmp_path / "journal.log")
    always = optuna.pruners.ThresholdPruner(lower=1e9)  # no walk reaches a kilometre: prune at the first report
    budget = STEPS * 10  # evaluations 2,000 steps apart: a loaded machine's pruning decision lands before the next
    study = open_study("s", storage, ENV, budget, pruner=always)
    run_worker(study, 1, make_objective(ENV, budget, tmp_path, ZOO_LOW_ALIVE, seeds=2))
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert trial.user_attrs["steps"] < budget and len(trial.intermediate_values) == 1
    assert min(trial.user_attrs["walk_scores"]) == pytest.approx(trial.intermediate_values[1], abs=0.01), \
        "the scores the pruner saw, not a later evaluation's"
    # the round is complete when the slower seed (the later to start) reports: it stops right there; the faster one
    # stops at its next evaluation, unless it had already finished its short budget
    counts = sorted(len(evaluations_of(tmp_path, 0, seed)) for seed in trial_seeds(0, 2))
    assert counts[0] <= 2, counts


def test_the_floor_prunes_a_trial_that_has_not_walked_where_the_median_cannot():
    from utils.walkers.search import EVALUATIONS, FLOOR_AT, FLOOR_M, make_pruner

    def pruned_at(pruner, scores, earlier=()):
        study = optuna.create_study(direction="maximize", pruner=pruner)
        for values in earlier:  # finished trials that never walked: the median at every step is 0
            trial = study.ask()
            for step, value in enumerate(values, 1):
                trial.report(value, step)
            study.tell(trial, values[-1])
        trial = study.ask()
        for step, value in enumerate(scores, 1):
            trial.report(value, step)
            if trial.should_prune():
                return step
        return None

    never = [[0.0] * EVALUATIONS] * 5
    assert pruned_at(make_pruner("median"), [0.0] * EVALUATIONS, never) is None, "a tie is not below the median"
    assert pruned_at(make_pruner("median+floor"), [0.0] * EVALUATIONS, never) == FLOOR_AT
    late_walker = [0.0] * (FLOOR_AT - 1) + [FLOOR_M, 5.0, 9.0]  # walks by the floor's evaluation: kept
    assert len(late_walker) == EVALUATIONS and pruned_at(make_pruner("median+floor"), late_walker, never) is None
    dips = [0.0] * (FLOOR_AT - 1) + [2.0, 0.5, 0.5]  # the floor is checked at its evaluation only
    assert pruned_at(make_pruner("median+floor"), dips, never) is None
    assert pruned_at(make_pruner("median+floor"), [0.0] * EVALUATIONS) == FLOOR_AT, "also in a study's first trials"


def test_the_early_signs_prune_a_trial_that_collapsed_or_barely_moves_in_training(tmp_path):
    from utils.walkers.search import COLLAPSE_LENGTH, EARLY_M, EVALUATIONS, FLOOR_AT, make_pruner

    timesteps = 1_000_000  # the episodes ending in (450k, 500k], up to evaluation EARLY_AT
    (tmp_path / "episodes.csv").write_text("steps,return,length,distance\n450000,9,60,9.0\n450001,9,60,0.5\n"
                                           "500000,9,70,0.7\n500001,9,300,9.0\n500123,3.1,61,-")  # being written
    assert early_signs(tmp_path, timesteps, EARLY_AT) == pytest.approx({"length": 65, "distance": 0.6})
    nothing = early_signs(tmp_path, timesteps, COLLAPSE_AT)  # no episode ended in (200k, 250k]
    assert nothing == pytest.approx({"length": float("nan"), "distance": float("nan")}, nan_ok=True)

    def pruned_at(lengths, distances, scores=(5.0,) * EVALUATIONS):
        study = optuna.create_study(direction="maximize", pruner=make_pruner("median+floor+early"))
        trial = study.ask()  # (the objective sets them at COLLAPSE_AT and EARLY_AT)
        trial.set_user_attr("early_lengths", lengths)
        trial.set_user_attr("early_distances", distances)
        for step, score in enumerate(scores, 1):  # 5.0: walks in every evaluation, only the early signs can stop it
            trial.report(score, step)
            if trial.should_prune():
                return step
        return None

    walking = [COLLAPSE_LENGTH, 100.0]
    assert pruned_at([5.0, 100.0], [2.0, 2.0]) == COLLAPSE_AT
    assert pruned_at([float("nan"), 6.0], [2.0, 2.0]) == COLLAPSE_AT
    assert pruned_at(walking, [0.7, 2.0]) == EARLY_AT and pruned_at(walking, [float("nan"), 0.5]) == EARLY_AT, \
        "the worst seed, in any order"
    assert pruned_at(walking, [EARLY_M, 1.4]) is None and pruned_at([float("nan")] * 2, [float("nan"), 1.4]) is None
    assert pruned_at(walking, [2.0, 2.0], [0.0] * EVALUATIONS) == FLOOR_AT, "the floor still applies"


def test_the_calibration_table_reads_what_the_pruner_reads():
    from utils.course.session import AGENTS
    from utils.walkers.early_signs import training_episodes

    logs = AGENTS / "a2c-Walker2DBulletEnv-v0" / "logs" / "seeds" / "seed2"  # a committed 2M-step walker seed
    windows = training_episodes(logs).set_index("steps")  # what scripts/early_signs_table.py reads
    for column, evaluation in (("length", COLLAPSE_AT), ("distance", EARLY_AT)):
        seen = early_signs(logs, 1_000_000, evaluation)[column]  # what the search's pruner reads at 1M steps
        assert seen == pytest.approx(windows.loc[evaluation * 125_000, column])


def test_a_round_that_raises_stops_the_seeds_through_their_flag(tmp_path):
    configs = [RunConfig(env_id=ENV, timesteps=STEPS * 50, seed=s, out=str(tmp_path / f"seed-{s}"),
                         recipe=ZOO_LOW_ALIVE, eval_every=STEPS, eval_episodes=1, checkpoint_every=0, progress=False,
                         package=False) for s in (1, 2)]

    def broken(index, by_seed):
        raise OSError("the journal's disk is full")

    with pytest.raises(OSError):
        train_seeds(configs, broken)
    for config in configs:  # stopped by the flag, not killed after the join's timeout
        assert "stop: asked from outside" in (Path(config.out) / "logs" / "train.log").read_text()


def test_killed_worker_loses_only_its_trial_and_a_restart_continues(tmp_path):
    journal = tmp_path / "journal.log"
    command = [sys.executable, "-m", "utils.tune", "--env", ENV, "--timesteps", str(STEPS * 4), "--study", "s",
               "--trials", "3", "--out", str(tmp_path), "--workers", "1", "--seeds", "2"]
    worker = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it while its second trial runs
        if journal.exists() and len(load(journal).get_trials(states=DONE)) == 1 and len(load(journal).trials) == 2:
            break
        time.sleep(0.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    logs = sorted((tmp_path / "trials" / "0001").glob("seed-*/logs/evaluations.jsonl"))
    sizes = [p.stat().st_size for p in logs]
    time.sleep(10)  # a seed's process outliving its worker would write an evaluation within seconds
    assert [p.stat().st_size for p in logs] == sizes, "the killed worker's seeds died with it"
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
    done = tune("--study", "s", "--trials", 4, "--out", tmp_path, "--workers", 2, "--seeds", 1, "--enqueue", "zoo",
                "--enqueue", "zoo-low-alive")
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
    (("--seeds", "0"), "--seeds must be at least 1"),
    (("--stale-after", "0"), "--stale-after must be a positive"),
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


def test_default_workers_share_the_cores_between_the_seeds_of_a_trial():
    from utils.tune import parse

    args = ["--env", ENV, "--study", "s", "--trials", "1", "--timesteps", "1000"]
    assert parse(args).workers == max(1, os.cpu_count() // 2) and parse(args).seeds == 2
    assert parse(args + ["--seeds", "1"]).workers == os.cpu_count()
    assert parse(args + ["--seeds", "64"]).workers == 1


def test_an_abandoned_running_trial_is_failed_and_a_stop_file_stops_the_worker(tmp_path):
    study = open_study("s", open_storage(tmp_path / "journal.log"), ENV, STEPS, seeds=1)
    abandoned = study.ask()  # a worker that was killed: RUNNING, its folder written long ago
    old = tmp_path / "trials" / f"{abandoned.number:04d}" / "seed-1000" / "logs" / "train.log"
    old.parent.mkdir(parents=True)
    old.write_text("start\n")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    alive = study.ask()  # a live worker's trial: written a moment ago
    (tmp_path / "trials" / f"{alive.number:04d}").mkdir(parents=True)
    (tmp_path / "trials" / f"{alive.number:04d}" / "episodes.csv").write_text("r\n")
    (tmp_path / "STOP").write_text("")
    done = tune("--study", "s", "--trials", 5, "--out", tmp_path, "--seeds", 1, "--workers", 1, "--stale-after", 30)
    assert done.returncode == 0, done.stderr
    assert f"trial {abandoned.number}: nothing written for over 30 min" in done.stdout
    assert "STOP exists: this worker stops" in done.stdout and "ran 0 trial(s)" in done.stdout
    states = {t.number: t.state for t in load(tmp_path / "journal.log").trials}
    assert states == {abandoned.number: optuna.trial.TrialState.FAIL, alive.number: optuna.trial.TrialState.RUNNING}
