"""The hyperparameter search on a real PostgreSQL server: the set-up of workers on several machines.

A throw-away cluster (``initdb``, trust authentication, 127.0.0.1 on a free port) is started for this module and
removed at the end; each test gets its own database, and its workers reach it through
``--storage postgresql+psycopg2://postgres@127.0.0.1:PORT/DB``, as workers on other machines would. Skipped where
no PostgreSQL server binaries are installed (``/usr/lib/postgresql/*/bin`` or ``initdb`` on the PATH).
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest

from utils.walkers.recipes import RECIPES
from utils.walkers.search import DONE, open_storage, open_study, recipe_params

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 (pip install psycopg2-binary) is not installed")

ENV = "Walker2DBulletEnv-v0"
STEPS = 1600  # as in test_tune.py: 8 evaluations of 3 short episodes; a trial takes a few seconds
ROOT = Path(__file__).resolve().parents[1]
USER = "postgres"  # the database superuser initdb creates (and, when the tests run as root, the system user)


def server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: the newest ``/usr/lib/postgresql/*/bin``, else the PATH's."""
    def version(folder):
        name = Path(folder).parent.name
        return int(name) if name.isdigit() else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb")).resolve().parent))
    for folder in map(Path, candidates):
        if all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


BIN = server_binaries()
pytestmark = pytest.mark.skipif(BIN is None, reason="no PostgreSQL server binaries (initdb, pg_ctl, postgres) "
                                                    "in /usr/lib/postgresql/*/bin or on the PATH")


def as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: then run its binaries as the ``postgres`` system user."""
    if os.geteuid() != 0:
        return []
    try:
        import pwd

        pwd.getpwnam(USER)
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' system user to run the PostgreSQL server as")
    if shutil.which("runuser"):
        return ["runuser", "-u", USER, "--"]
    pytest.skip("running as root without runuser: cannot start the PostgreSQL server as the 'postgres' user")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL cluster of its own in a temporary folder: ``(port, folder)``; stopped and removed at the end."""
    prefix = as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))  # not pytest's tmp_path: the postgres user must reach it
    data, sockets, log = folder / "data", folder / "sockets", folder / "server.log"
    sockets.mkdir()
    if prefix:
        for path in (folder, sockets):
            shutil.chown(path, USER, USER)

    def run(*command):
        return subprocess.run([*prefix, *map(str, command)], cwd=folder, capture_output=True, text=True, timeout=120)

    started = False
    try:
        made = run(BIN / "initdb", "-D", data, "-U", USER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        assert made.returncode == 0, f"initdb failed:\n{made.stdout}\n{made.stderr}"
        for _ in range(3):  # another program may take the free port between the look-up and the start: try again
            port = free_port()
            options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            start = run(BIN / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start")
            started = start.returncode == 0
            if started or "already in use" not in (log.read_text() if log.exists() else ""):
                break
        server_log = log.read_text() if log.exists() else ""
        assert started, f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n{server_log}"
        yield port, folder
    finally:
        if started:
            stop = run(BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "stop")
            if stop.returncode != 0:
                run(BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database(server, request):
    """A new, empty database on the module's server (``CREATE DATABASE``, as a learner would with createdb):
    its SQLAlchemy URL, the form ``--storage`` takes."""
    port, _ = server
    name = "optuna_" + request.node.name.removeprefix("test_")[:40].lower()
    admin = psycopg2.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return f"postgresql+psycopg2://{USER}@127.0.0.1:{port}/{name}"


def worker(url: str, folder: Path, trials: int, steps: int = STEPS, *extra) -> list[str]:
    """The command a worker on any machine runs: the same study, the same database, one local process."""
    return [sys.executable, "-m", "utils.tune", "--env", ENV, "--timesteps", str(steps), "--study", "s",
            "--trials", str(trials), "--out", str(folder), "--storage", url, "--workers", "1", "--seeds", "1", *extra]


def trials_of(storage) -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(study_name="s", storage=storage).trials
    except KeyError:  # the worker has not created the study yet
        return []


def started_runs(folder: Path) -> list[str]:
    """Trial folders, and how many times each was started (``start:`` lines in its train.log)."""
    logs = sorted((folder / "trials").glob("*/seed-*/logs/train.log"))
    return [p.parts[-4] for p in logs for line in p.read_text().splitlines() if " start: " in line]


def stop_all(processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_two_workers_share_a_database_and_never_run_a_trial_twice(database, tmp_path):
    # the study is made, and two known recipes queued, once (as on the first machine); then two workers,
    # started at once like two machines, race for the queue and the next trial numbers
    study = open_study("s", open_storage(database), ENV, STEPS, seeds=1)
    for name in ("zoo", "zoo-low-alive"):
        study.enqueue_trial(recipe_params(RECIPES[name]), user_attrs={"enqueued": name})
    workers = [subprocess.Popen(worker(database, tmp_path, 4), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=300) for w in workers]
    finally:
        stop_all(workers)
    for w, (_, err) in zip(workers, outputs):
        assert w.returncode == 0, err
    study = optuna.load_study(study_name="s", storage=database)
    done = study.get_trials(states=DONE)
    for name in ("zoo", "zoo-low-alive"):
        assert sum(t.params == recipe_params(RECIPES[name]) for t in done) == 1, name  # each queued recipe once
    assert len({tuple(sorted(t.params.items())) for t in done}) == len(done)  # no two trials with the same params
    assert len(study.trials) == len(done)  # nothing left running or failed
    assert sorted(started_runs(tmp_path)) == sorted(f"{t.number:04d}" for t in done)  # each trial folder trained once
    # each worker checks the count before it starts a trial: when their trials end at different times, the
    # second may start one more while the last is running (Optuna's MaxTrialsCallback stops a study after a trial)
    assert 4 <= len(done) <= 4 + len(workers) - 1
    ran = [int(out.split(": ran ")[1].split()[0]) for out, _ in outputs]
    assert sum(ran) == len(done) and all(ran)  # both workers took part


def test_a_killed_worker_loses_only_its_trial_and_a_restart_continues(database, tmp_path):
    storage = optuna.storages.RDBStorage(database)  # makes Optuna's tables before the worker starts
    command = worker(database, tmp_path, 3, STEPS * 2)
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:  # kill it while its second trial runs
            trials = trials_of(storage)
            if [t.state in DONE for t in trials] == [True, False]:
                break
            assert first.poll() is None, "the worker ended before it could be killed"
            time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        stop_all([first])
    killed = trials_of(storage)
    assert [t.state for t in killed] == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.RUNNING]
    restarted = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    study = optuna.load_study(study_name="s", storage=database)
    assert len(study.get_trials(states=DONE)) == 3  # the asked number, the killed trial not counted
    lost = study.trials[1]
    assert lost.state in (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.FAIL)  # no heartbeat: RUNNING
    assert [t.state in DONE for t in study.trials] == [True, False, True, True]
    assert study.trials[0].params == killed[0].params and study.trials[0].value == killed[0].value  # kept as it was
    runs = started_runs(tmp_path)  # the killed trial was not run again (it may have died before its first line)
    assert runs.count("0001") <= 1 and sorted(r for r in runs if r != "0001") == ["0000", "0002", "0003"]
