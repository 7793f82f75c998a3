"""The Colab branch of the set-up cell, as far as this machine allows, offline.

A fresh virtual environment plays the Colab runtime: it sees the packages Colab would ship (this environment's,
through a folder of links, without the course and, for a notebook without robots, without pybullet), a stand-in
``google.colab`` module marks it as Colab, and the cell clones a local repository made from this working tree
instead of GitHub. The cell's own code runs in one process and ``utils`` imports right after it, no restart.
pip runs without an index (everything the course needs is installed) and builds the editable course with the
setuptools it finds (``PIP_NO_BUILD_ISOLATION``).
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from utils.course import colab
from utils.course.notebooks import ROOT, course_settings, setup_cell

GITHUB_URL = f"https://github.com/{course_settings()['repository']}.git"
COLAB_HOME = "/content/a2c-course"
COURSE_FILES = ["pyproject.toml", "requirements-robots.txt", "utils"]

RUN_CELL = r'''
import json, sys, types

sys.modules["google.colab"] = types.ModuleType("google.colab")  # the stand-in: this process is "on Colab"
exec(compile(open(sys.argv[1]).read(), "set-up cell", "exec"), {"__name__": "__main__"})
import gymnasium, utils
print(json.dumps({"utils": utils.__file__, "pybullet_imported": "pybullet" in sys.modules,
                  "ant_registered": "AntBulletEnv-v0" in gymnasium.registry}))
'''


def local_remote(tmp_path) -> Path:
    """A git repository holding this working tree's course files: what the cell clones instead of GitHub."""
    remote = tmp_path / "remote"
    remote.mkdir()
    for name in COURSE_FILES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile
        copy(ROOT / name, remote / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}))
    git = ["git", "-C", str(remote), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for args in (["init", "-q", "-b", course_settings()["branch"]], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + args, check=True, capture_output=True)
    return remote


def colab_like_venv(tmp_path, without: tuple[str, ...]) -> Path:
    """A fresh venv that sees this environment's packages (as Colab ships its own), minus ``without`` prefixes."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    shipped = tmp_path / "shipped-by-colab"
    shipped.mkdir()
    hidden = ("a2c_course", "__editable__", *without)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(hidden):
            (shipped / entry.name).symlink_to(entry)
    site_packages = next((venv / "lib").glob("python3.*/site-packages"))
    (site_packages / "shipped_by_colab.pth").write_text(f"{shipped}\n")
    return venv


def run_cell(tmp_path, notebook: str, without=()) -> tuple[dict, str, Path]:
    home = tmp_path / "a2c-course"
    cell = setup_cell(notebook)
    assert GITHUB_URL in cell and COLAB_HOME in cell
    (tmp_path / "cell.py").write_text(cell.replace(GITHUB_URL, str(local_remote(tmp_path))).replace(COLAB_HOME, str(home)))
    venv = colab_like_venv(tmp_path, without)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0"}
    done = subprocess.run([str(venv / "bin" / "python"), "-c", RUN_CELL, str(tmp_path / "cell.py")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    installed = sorted(p.name for p in next((venv / "lib").glob("python3.*/site-packages")).glob("*.dist-info"))
    assert installed == ["a2c_course-0.1.0.dist-info"], f"the cell installed more than the course: {installed}"
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout, home


def test_colab_cell_without_robots_needs_no_pybullet(tmp_path):
    found, out, home = run_cell(tmp_path, "01_variance_of_monte_carlo.ipynb", without=("pybullet",))
    assert Path(found["utils"]).is_relative_to(home), "utils imports from the fresh clone"
    assert not found["pybullet_imported"] and not found["ant_registered"]
    assert "Mode:" in out, "start() ran"


def test_colab_cell_with_robots_registers_them(tmp_path):
    found, out, home = run_cell(tmp_path, "05_bipedal_walker.ipynb")
    assert Path(found["utils"]).is_relative_to(home) and found["ant_registered"]
    assert "Installing the PyBullet robots" not in out, "pybullet was there already: nothing to build"


def test_install_robots_says_first_that_it_builds(monkeypatch, capsys):
    monkeypatch.setattr(colab, "find_spec", lambda name: None)
    ran = []
    monkeypatch.setattr(colab, "run_with_progress", lambda command, what, seconds: ran.append((command, capsys.readouterr().out)))
    colab.install_robots()
    command, said_before = ran[0]
    assert command[-2:] == ["-r", str(ROOT / "requirements-robots.txt")]
    assert "builds it from source" in said_before and "about 11 min" in said_before and "3.13" in said_before


def test_progress_bar_while_waiting(capsys):
    colab.run_with_progress([sys.executable, "-c", "import time; time.sleep(2.5)"], "waiting", 4)
    err = capsys.readouterr().err
    assert "waiting:" in err and "(about 0:04 expected)" in err


def test_failed_install_is_one_line():
    with pytest.raises(RuntimeError) as error:
        colab.run_with_progress([sys.executable, "-c", "print('compiling...'); print('error: no compiler'); raise SystemExit(1)"], "pybullet", 4)
    assert str(error.value) == "Installing pybullet failed (exit 1): error: no compiler"
