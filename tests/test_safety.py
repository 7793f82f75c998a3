"""Nothing lost, nothing executed: each careless or hostile input gets one line, deletes nothing that is not a
course run's, writes nothing before it is known to start, and unpickles nothing that was not verified first."""
import json
import os
import shutil
from pathlib import Path

import pytest

from utils import evaluate as evaluate_cli
from utils import train as train_cli
from utils import tune as tune_cli
from utils.walkers import hub, run_folder
from utils.walkers.loading import AgentLoadError, load_agent

ANT = "AntBulletEnv-v0"
TINY = ["--recipe", "zoo", "--eval-every", "0", "--checkpoint-every", "320", "--no-package", "--no-progress"]


def run(main, *argv, capsys):
    """``main(argv)``'s exit code and its stderr, which must be at most one line."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) <= 1, err
    return code, err


@pytest.fixture
def finished_run(tiny_run, tmp_path):
    """A copy of a finished, packaged run."""
    folder = tmp_path / "finished"
    shutil.copytree(tiny_run.out, folder)
    return folder


@pytest.fixture
def agent(tiny_run, tmp_path):
    """A copy of a packaged agent (no checkpoints)."""
    folder = tmp_path / "agent"
    shutil.copytree(tiny_run.out, folder, ignore=shutil.ignore_patterns("checkpoints", "best", "last", "logs"))
    return folder


# --- data loss ----------------------------------------------------------------------------------------------
def test_overwrite_of_the_current_folder_with_other_files_refuses_and_deletes_nothing(tmp_path, monkeypatch, capsys,
                                                                                    file_tree):
    (tmp_path / "thesis.tex").write_text("years of work")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("1,2")
    before = file_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for out in (".", str(tmp_path), ".."):
        code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", out, "--overwrite", *TINY,
                        capsys=capsys)
        assert code == 2 and "never deletes" in err
    assert file_tree(tmp_path) == before


def test_an_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine")
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", "", "--overwrite", *TINY, capsys=capsys)
    assert code == 2 and "empty" in err and (tmp_path / "keep.txt").exists()


def test_overwrite_of_a_folder_that_is_not_a_course_run_refuses(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "me.jpg").write_bytes(b"\xff\xd8")
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", folder, "--overwrite", *TINY,
                    capsys=capsys)
    assert code == 2 and "no course run writes" in err and (folder / "me.jpg").exists()


@pytest.mark.parametrize("bad", [["--set", "lr_schedule=cosine"], ["--seed", "-1"], ["--set", "activation=sigmoid"],
                                 ["--set", "n_steps=0"], ["--eval-every", "320", "--eval-episodes", "0"]])
def test_overwrite_with_a_bad_value_keeps_the_finished_run(finished_run, bad, capsys, file_tree):
    before = file_tree(finished_run)
    code, _ = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", finished_run, "--overwrite", *TINY, *bad,
                  capsys=capsys)
    assert code == 2 and file_tree(finished_run) == before


def test_overwrite_replaces_a_course_run_once_training_starts(finished_run, capsys):
    code, _ = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", finished_run, "--overwrite", *TINY,
                  capsys=capsys)
    assert code == 0 and not (finished_run / "results.json").exists()  # the old package went with the old run
    assert run_folder.read_meta(run_folder.latest_snapshot(finished_run / "last"))["num_timesteps"] == 320


# --- code execution -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("manifest", ["", "only config", "blank line", "outside"])
def test_a_hostile_pickle_behind_a_weak_manifest_is_never_loaded(agent, tmp_path, manifest, capsys, hostile_pickle):
    marker = tmp_path / "pwned"
    (agent / "vec_normalize.pkl").write_bytes(hostile_pickle(marker))
    lines = {"": "", "only config": f"{run_folder.sha256(agent / 'config.json')}  config.json\n",
             "blank line": (agent / "SHA256SUMS").read_text() + "\n",
             "outside": f"{'0' * 64}  ../../etc/passwd\n"}[manifest]
    (agent / "SHA256SUMS").write_text(lines)
    code, err = run(evaluate_cli.main, agent, "--episodes", 1, capsys=capsys)
    assert code == 2 and err.startswith("error: ") and not marker.exists()


def test_a_manifest_that_matches_a_hostile_pickle_is_the_only_way_in(agent, tmp_path, hostile_pickle):
    """The manifest is what is trusted: a hostile file it does not vouch for is refused, by hash."""
    marker = tmp_path / "pwned"
    (agent / "vec_normalize.pkl").write_bytes(hostile_pickle(marker))
    with pytest.raises(AgentLoadError, match="does not match its SHA-256"):
        load_agent(agent)
    assert not marker.exists()


def test_resume_verifies_the_checkpoint_before_unpickling(tmp_path, capsys, hostile_pickle):
    out = tmp_path / "run"
    assert run(train_cli.main, "--env", ANT, "--timesteps", 640, "--out", out, *TINY, capsys=capsys)[0] == 0
    shutil.rmtree(out / "last")  # as if killed before the end
    latest = run_folder.latest_snapshot(out / "checkpoints")
    marker = tmp_path / "pwned"
    (latest / "vec_normalize.pkl").write_bytes(hostile_pickle(marker))
    code, err = run(train_cli.main, "--out", out, "--resume", capsys=capsys)
    assert code == 2 and "SHA-256" in err and not marker.exists()


@pytest.mark.parametrize("pointer", ["../../elsewhere/x", "/etc", "step-1-1/../../..", "step-0000000320-1"])
def test_a_latest_pointer_outside_its_folder_or_to_nothing_is_a_clear_error(tmp_path, pointer, capsys):
    out = tmp_path / "run"
    assert run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", out, *TINY, capsys=capsys)[0] == 0
    shutil.rmtree(out / "last")
    (out / "checkpoints" / "latest").write_text(pointer)
    code, err = run(train_cli.main, "--out", out, "--resume", capsys=capsys)
    assert code == 2 and "Nothing to resume" not in err
    assert ("missing" in err) if pointer.startswith("step-0") else ("not a snapshot" in err)


# --- the Hub download ---------------------------------------------------------------------------------------
@pytest.fixture
def hub_repo(agent, tmp_path, monkeypatch):
    """A repository on a stand-in Hub (``hf_hub_download`` patched), holding ``agent``'s package."""
    import huggingface_hub
    from huggingface_hub.errors import EntryNotFoundError

    root = tmp_path / "hub"
    repo = root / "someone" / "a2c-AntBulletEnv-v0"
    shutil.copytree(agent, repo)

    def hf_hub_download(repo_id, filename, **_):
        path = root / repo_id / filename
        if not path.is_file():
            raise EntryNotFoundError(f"404: {repo_id}/{filename}")
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_hub_download)
    monkeypatch.setattr(hub, "reachable", lambda: True)
    return repo


@pytest.mark.parametrize("line", ["{hash}  /tmp/evil.zip", "{hash}  ../evil.zip", "", "{hash}  sub/evil.zip"])
def test_download_refuses_names_outside_the_folder_and_blank_lines(hub_repo, tmp_path, line):
    manifest = hub_repo / "SHA256SUMS"
    manifest.write_text(manifest.read_text() + line.format(hash="0" * 64) + "\n")
    dest = tmp_path / "dest"
    with pytest.raises(AgentLoadError) as error:
        hub.download("someone/a2c-AntBulletEnv-v0", trust="someone/a2c-AntBulletEnv-v0", dest=dest)
    assert "\n" not in str(error.value) and not (tmp_path / "evil.zip").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["SHA256SUMS"]  # nothing else fetched


def test_download_accepts_binary_mode_lines(hub_repo, tmp_path):
    manifest = hub_repo / "SHA256SUMS"
    manifest.write_text(manifest.read_text().replace("  ", " *"))  # what `sha256sum -b` writes
    folder = hub.download("someone/a2c-AntBulletEnv-v0", trust="someone/a2c-AntBulletEnv-v0", dest=tmp_path / "d")
    model, env = load_agent(folder)
    env.close()


def test_download_refuses_a_manifest_without_a_model(hub_repo, tmp_path):
    run_folder.write_manifest(hub_repo, ["config.json"])
    with pytest.raises(AgentLoadError, match="no model zip"):
        hub.download("someone/a2c-AntBulletEnv-v0", trust="someone/a2c-AntBulletEnv-v0", dest=tmp_path / "d")


# --- validate first, create second --------------------------------------------------------------------------
@pytest.mark.parametrize("bad, message", [
    (["--set", "lr_schedule=cosine"], "lr_schedule"), (["--set", "n_envs=0"], "n_envs"), (["--seed", "-1"], "seed"),
    (["--set", "activation=sigmoid"], "activation"), (["--set", "n_steps=0"], "n_steps"),
    (["--eval-every", "320", "--eval-episodes", "0"], "eval_episodes"), (["--set", "gamma=2"], "gamma"),
    (["--set", "net_arch=,"], "net_arch"), (["--timesteps", "0"], "timesteps")])
def test_a_bad_value_is_one_line_and_the_folder_is_not_created(tmp_path, bad, message, capsys):
    out = tmp_path / "new"
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", out, *TINY, *bad, capsys=capsys)
    assert code == 2 and message in err and not out.exists()
    assert run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", out, *TINY, capsys=capsys)[0] == 0


def test_ctrl_c_before_training_starts_leaves_nothing(tmp_path, monkeypatch, capsys):
    from utils.walkers import runs

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "new_model", interrupted)
    out = tmp_path / "new"
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", out, *TINY, capsys=capsys)
    assert code == 130 and "nothing was written" in err and not out.exists()


def test_evaluation_and_checkpoint_cadence_may_change_on_resume(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--env", ANT, "--timesteps", 960, "--out", out, "--recipe", "zoo", "--no-package", "--no-progress",
            "--eval-every", 320, "--eval-episodes", 1, "--checkpoint-every", 320]
    assert run(train_cli.main, *args, capsys=capsys)[0] == 0
    shutil.rmtree(out / "last")
    code, _ = run(train_cli.main, "--out", out, "--resume", "--eval-every", 480, "--eval-episodes", 2,
                  "--checkpoint-every", 0, capsys=capsys)
    assert code == 0


# --- one line for every bad input ----------------------------------------------------------------------------
def test_out_naming_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", tmp_path / "notes.txt", *TINY,
                    capsys=capsys)
    assert code == 2 and "is a file" in err and (tmp_path / "notes.txt").read_text() == "mine"


def test_evaluate_with_a_negative_seed_or_a_file_or_an_unpackaged_run(agent, tmp_path, capsys):
    assert run(evaluate_cli.main, agent, "--seed", -1, capsys=capsys)[0] == 2
    code, err = run(evaluate_cli.main, agent / "config.json", capsys=capsys)
    assert code == 2 and "is a file" in err and "not found" not in err
    out = tmp_path / "unpackaged"
    assert run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", out, *TINY, capsys=capsys)[0] == 0
    code, err = run(evaluate_cli.main, out, capsys=capsys)
    assert code == 2 and "--resume" in err and "verify=False" not in err


def test_a_truncated_checkpoint_or_a_corrupt_meta_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(train_cli.main, "--env", ANT, "--timesteps", 640, "--out", out, *TINY, capsys=capsys)[0] == 0
    shutil.rmtree(out / "last")
    latest = run_folder.latest_snapshot(out / "checkpoints")
    model = latest / "model.zip"
    model.write_bytes(model.read_bytes()[:100])
    code, err = run(train_cli.main, "--out", out, "--resume", capsys=capsys)
    assert code == 2 and "model.zip" in err
    (latest / "meta.json").write_text("{not json")
    run_folder.write_manifest(latest, ["model.zip", "vec_normalize.pkl", "meta.json"])  # even when its hash matches
    code, err = run(train_cli.main, "--out", out, "--resume", capsys=capsys)
    assert code == 2 and "meta.json is damaged" in err


def test_an_unreadable_file_is_one_line_naming_it(agent, monkeypatch, capsys):
    real = run_folder.sha256

    def denied(path):
        if Path(path).name == "vec_normalize.pkl":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(run_folder, "sha256", denied)
    code, err = run(evaluate_cli.main, agent, capsys=capsys)
    assert code == 2 and "vec_normalize.pkl: Permission denied" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes whatever the permissions say")
def test_chmod_000_is_one_line(agent, tmp_path, capsys):
    (agent / "vec_normalize.pkl").chmod(0)
    assert run(evaluate_cli.main, agent, capsys=capsys)[0] == 2
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", locked / "run", *TINY, capsys=capsys)[0] == 2


def test_out_under_a_folder_without_write_permission_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 320, "--out", tmp_path / "run", *TINY, capsys=capsys)
    assert code == 2 and "no permission" in err and not (tmp_path / "run").exists()


def test_ctrl_c_while_packaging_keeps_the_run_and_resume_finishes_the_package(tmp_path, monkeypatch, capsys):
    import utils.walkers.video

    out = tmp_path / "run"
    args = ["--env", ANT, "--timesteps", 320, "--out", out, "--recipe", "zoo", "--eval-every", 0, "--no-progress",
            "--final-episodes", 1, "--video-steps", 5]
    real = utils.walkers.video.record_video

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(utils.walkers.video, "record_video", interrupted)
    assert train_cli.main([str(a) for a in args]) == 130
    said = capsys.readouterr().out
    assert "Interrupted while packaging" in said and f"--out {out} --resume" in said and not hub.packaged(out)
    monkeypatch.setattr(utils.walkers.video, "record_video", real)
    assert train_cli.main(["--out", str(out), "--resume"]) == 0
    assert hub.packaged(out) and load_agent(out)


def test_tune_refuses_an_out_file_before_writing_its_journal(tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    journal = tmp_path / "j.log"
    code, err = run(tune_cli.main, "--env", ANT, "--study", "s", "--trials", 1, "--timesteps", 1000,
                    "--out", tmp_path / "file", "--storage", journal, capsys=capsys)
    assert code == 2 and "is a file" in err and not journal.exists()


def test_tune_never_writes_to_a_file_that_is_not_its_journal(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("my notes\n")
    code, err = run(tune_cli.main, "--env", ANT, "--study", "s", "--trials", 1, "--timesteps", 1000,
                    "--out", tmp_path / "study", "--storage", text, capsys=capsys)
    assert code == 2 and "not an Optuna journal" in err and text.read_text() == "my notes\n"


def test_help_reads_as_english(capsys):
    from utils.walkers.run_config import parser

    text = " ".join(parser().format_help().split())
    assert "no the" not in text and "no a " not in text
    assert "--package, --no-package make the final evaluation and the Hub package (default); --no-package: skip them" in text


# --- found by review: each failed before its fix ------------------------------------------------------------
@pytest.mark.parametrize("layout", [
    {"README.md": "mine", "config.json": "{}", "logs/train.log": "x", "logs/my_notes.txt": "mine",
     "saved/weights_I_spent_a_week_on.bin": "w"},
    {"family-photos.zip": "p", "README.md": "mine", "logs/train.log": "x"}])
def test_overwrite_refuses_a_folder_that_only_looks_like_a_run(tmp_path, layout, capsys, file_tree):
    folder = tmp_path / "proj"
    for name, text in layout.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    before = file_tree(folder)
    code, err = run(train_cli.main, "--env", ANT, "--timesteps", 64, "--out", folder, "--overwrite", *TINY,
                    capsys=capsys)
    assert code == 2 and "no course run writes" in err and file_tree(folder) == before


def test_overwrite_refuses_a_run_with_a_foreign_file_inside(finished_run, capsys, file_tree):
    (finished_run / "logs" / "my_notes.txt").write_text("mine")
    before = file_tree(finished_run)
    code, _ = run(train_cli.main, "--env", ANT, "--timesteps", 64, "--out", finished_run, "--overwrite", *TINY,
                  capsys=capsys)
    assert code == 2 and file_tree(finished_run) == before


def test_ctrl_c_while_the_run_starts_leaves_a_run_that_resumes(tmp_path, monkeypatch, capsys):
    from utils.walkers.runs import Run

    real, calls = Run.write_setup, []

    def interrupted_once(self):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real(self)

    monkeypatch.setattr(Run, "write_setup", interrupted_once)
    out = tmp_path / "run"
    code = train_cli.main([str(a) for a in ("--env", ANT, "--timesteps", 64, "--out", out, *TINY)])
    said = capsys.readouterr()
    assert code == 130 and "--resume" in said.err and "nothing was written" not in said.err
    monkeypatch.setattr(Run, "write_setup", real)
    assert train_cli.main(["--out", str(out), "--resume"]) == 0


def test_tune_stops_on_a_fault_that_fails_every_trial(tmp_path, capsys):
    from utils.walkers import search

    study = search.open_study("s", search.open_storage(tmp_path / "j.log"), ANT, 1000)
    with pytest.raises(search.SearchError, match="in a row failed"):
        search.run_worker(study, 5, lambda trial: (_ for _ in ()).throw(ValueError("always")))
    assert len(study.trials) == search.FAILURES_IN_A_ROW


def test_tune_refuses_a_trials_file_in_its_folder(tmp_path, capsys):
    (tmp_path / "trials").write_text("mine")
    code, err = run(tune_cli.main, "--env", ANT, "--study", "s", "--trials", 1, "--timesteps", 1000,
                    "--out", tmp_path, "--workers", 1, capsys=capsys)
    assert code == 2 and "is a file" in err and (tmp_path / "trials").read_text() == "mine"


def test_package_and_progress_can_be_switched_back_on_at_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(train_cli.main, "--env", ANT, "--timesteps", 64, "--out", out, *TINY, capsys=capsys)[0] == 0
    assert not hub.packaged(out)
    code = train_cli.main(["--out", str(out), "--resume", "--package", "--final-episodes", "1", "--video-steps", "5"])
    assert code == 0 and hub.packaged(out)
