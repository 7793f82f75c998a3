"""Random flags and random bytes at ``train``, ``evaluate`` and ``tune`` (Hypothesis): whatever comes in, the exit
code is 0 or 2, no traceback escapes, no file outside ``--out`` changes, no file of an existing run is lost, and
nothing is unpickled before it is verified (a pickle that creates a marker file when loaded proves it)."""
import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utils import evaluate as evaluate_cli
from utils import train as train_cli
from utils import tune as tune_cli
from utils.walkers.recipes import ZOO
from utils.walkers.runs import RunConfig, train


def examples(n: int) -> settings:
    """``n`` examples, the same on every run (no example database), no time limit per example."""
    return settings(max_examples=n, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
                    database=None)


BASE = ["--env", "AntBulletEnv-v0", "--recipe", "zoo", "--timesteps", "64", "--eval-episodes", "1",
        "--final-episodes", "1", "--video-steps", "5", "--no-progress"]
FLAGS = [("--seed", "-1"), ("--seed", "3"), ("--seed", "x"), ("--timesteps", "0"), ("--timesteps", "-5"),
         ("--timesteps", "1e3"), ("--set", "n_envs=0"), ("--set", "n_envs=2"), ("--set", "n_steps=0"),
         ("--set", "activation=sigmoid"), ("--set", "lr_schedule=cosine"), ("--set", "gamma=2"),
         ("--set", "use_sde=maybe"), ("--set", "net_arch=,"), ("--set", "nope=1"), ("--eval-every", "0"),
         ("--eval-every", "32"), ("--eval-every", "-1"), ("--eval-episodes", "0"), ("--checkpoint-every", "-3"),
         ("--checkpoint-every", "32"), ("--final-episodes", "0"), ("--video-steps", "0"), ("--overwrite",),
         ("--resume",), ("--no-package",), ("--stop-at-score", "nan"), ("--recipe", "nope"), ("--env", "Nope-v0")]
OUTS = ["run", ".", "", "notes.txt", "..", "new", "run/logs", "other"]


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """A packaged run and a resumable one (its checkpoint at the end, no last policy), made once."""
    root = tmp_path_factory.mktemp("templates")
    tiny = RunConfig(env_id="AntBulletEnv-v0", timesteps=64, recipe=ZOO, eval_every=32,
                     eval_episodes=1, checkpoint_every=32, final_episodes=1, video_steps=5, progress=False)
    train(replace(tiny, out=str(root / "packaged")))
    train(replace(tiny, out=str(root / "resumable"), package=False))
    shutil.rmtree(root / "resumable" / "last")
    return root


@contextlib.contextmanager
def sandbox(templates, run_template):
    """A fresh folder holding a course run (``run``), a user's file and folder; the working directory inside it."""
    box = Path(tempfile.mkdtemp(prefix="safety-"))
    shutil.copytree(templates / run_template, box / "run")
    (box / "notes.txt").write_text("my notes\n")
    (box / "other").mkdir()
    (box / "other" / "data.csv").write_text("1,2\n")
    cwd = os.getcwd()
    os.chdir(box)
    try:
        yield box
    finally:
        os.chdir(cwd)
        shutil.rmtree(box, ignore_errors=True)


def call(main, argv) -> tuple[int, str]:
    """Exit code and stderr of ``main(argv)`` in this process; any exception other than SystemExit fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code
    return code, err.getvalue()


@examples(60)
@given(flags=st.lists(st.sampled_from(FLAGS), max_size=4), out=st.sampled_from(OUTS))
def test_random_train_flags(templates, file_tree, flags, out):
    with sandbox(templates, "packaged") as box:
        target = (box / out) if out else None
        outside = file_tree(box, skip=target if out not in (".", "..", "") else None)
        run_before = set(file_tree(box / "run"))
        argv = BASE + [part for flag in flags for part in flag] + ["--out", out]
        code, err = call(train_cli.main, argv)
        assert code in (0, 2) and "Traceback" not in err, (argv, err)
        assert file_tree(box, skip=target if out not in (".", "..", "") else None) == outside, argv
        replaced = code == 0 and ("--overwrite",) in flags and out == "run"
        assert replaced or run_before <= set(file_tree(box / "run")), argv


RUN_FILES = ["checkpoints/latest", "checkpoints/*/model.zip", "checkpoints/*/vec_normalize.pkl",
             "checkpoints/*/meta.json", "checkpoints/*/SHA256SUMS", "best/*/vec_normalize.pkl", "logs/run.json",
             "logs/evaluations.jsonl", "logs/episodes.csv", "logs/diagnostics.csv", "logs/train.log"]


@examples(50)
@given(name=st.sampled_from(RUN_FILES), content=st.one_of(st.binary(max_size=80), st.just(b"hostile")))
def test_random_bytes_in_a_run_folder_at_resume(templates, file_tree, hostile_pickle, name, content):
    with sandbox(templates, "resumable") as box:
        marker = box / "pwned"
        path = next((box / "run").glob(name))
        path.write_bytes(hostile_pickle(marker) if content == b"hostile" else content)
        outside = file_tree(box, skip=box / "run")
        run_before = set(file_tree(box / "run"))
        code, err = call(train_cli.main, ["--out", "run", "--resume"])
        assert code in (0, 2) and "Traceback" not in err and len(err.strip().splitlines()) <= 1, (name, err)
        assert not marker.exists(), name
        assert file_tree(box, skip=box / "run") == outside and run_before <= set(file_tree(box / "run")), name


AGENT_FILES = ["a2c-AntBulletEnv-v0.zip", "vec_normalize.pkl", "config.json", "results.json", "SHA256SUMS",
               "README.md", "replay.mp4"]


@examples(50)
@given(name=st.sampled_from(AGENT_FILES), content=st.one_of(st.binary(max_size=80), st.just(b"hostile")),
       seed=st.sampled_from(["0", "-1", "7"]))
def test_random_bytes_in_an_agent_folder_at_evaluate(templates, file_tree, hostile_pickle, name, content, seed):
    with sandbox(templates, "packaged") as box:
        marker = box / "pwned"
        (box / "run" / name).write_bytes(hostile_pickle(marker) if content == b"hostile" else content)
        before = file_tree(box)
        code, err = call(evaluate_cli.main, ["run", "--episodes", "1", "--seed", seed])
        assert code in (0, 2) and "Traceback" not in err and len(err.strip().splitlines()) <= 1, (name, err)
        assert not marker.exists() and file_tree(box) == before, name
        assert code == 2 or (name in ("README.md", "replay.mp4") and seed != "-1"), (name, seed, code)


@examples(30)
@given(content=st.binary(min_size=1, max_size=80), out=st.sampled_from(["notes.txt", "study", "other"]),
       flags=st.lists(st.sampled_from([("--trials", "0"), ("--timesteps", "10"), ("--workers", "0"), ("--report",),
                                       ("--pruner", "nope")]), max_size=3))
def test_random_bytes_as_the_tune_journal(templates, file_tree, content, out, flags):
    with sandbox(templates, "packaged") as box:
        (box / "journal.log").write_bytes(content)
        before = file_tree(box)
        argv = ["--env", "AntBulletEnv-v0", "--study", "s", "--trials", "1", "--timesteps", "1000", "--out", out,
                "--storage", "journal.log"] + [part for flag in flags for part in flag]
        code, err = call(tune_cli.main, argv)
        assert code == 2 and "Traceback" not in err, (argv, err)
        assert file_tree(box) == before, argv
