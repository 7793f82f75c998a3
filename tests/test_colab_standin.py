"""A stand-in for Colab built from Colab's own versions: the set-up cell changes none of them, and notebooks 00 and 05
run on what it leaves (smoke mode).

A fresh virtual environment is seeded with the versions Colab ships (``reference/colab/pip-freeze.txt``) of the
packages the course touches; where this machine cannot install Colab's build, it says so: Colab's torch is
2.11.0+cpu from PyTorch's own index, which is out of reach here, so the stand-in takes the CPU wheel this machine
has. The stand-in runs the machine's Python 3.11 (pybullet publishes wheels up to 3.11; Colab's 3.13 builds it
from source in ~10 min, measured apart: ``benchmarks/results/pybullet_build_py313.log``). Then the set-up cell's
Colab branch runs (a stand-in ``google.colab`` module, a local clone instead of GitHub, the real package index),
the seeded versions are compared, and the two notebooks are executed with the stand-in's kernel. Needs the package
index; skipped without it.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils.course.notebooks import course_settings, setup_cell
from utils.course.session import ROOT

COLAB_FREEZE = ROOT / "reference" / "colab" / "pip-freeze.txt"
SEEDED = ["huggingface-hub", "gymnasium", "numpy", "scipy", "matplotlib", "tqdm", "imageio", "imageio-ffmpeg", "pandas",
          "ipywidgets", "ipykernel", "ipython", "PyYAML", "SQLAlchemy", "cloudpickle", "wasabi", "requests", "nbformat"]
"""What the course touches of Colab's packages, installed at Colab's versions."""
TORCH_HERE = "torch==2.13.0"
"""The CPU build this machine installs (requirements.txt's); Colab's 2.11.0+cpu comes from an index out of reach."""
OFFLINE = re.compile(r"Failed to establish|Temporary failure in name resolution|Network is unreachable|"
                     r"Could not fetch URL|ConnectionError|timed out")
GITHUB_URL = f"https://github.com/{course_settings()['repository']}.git"
COLAB_HOME = "/content/a2c-course"


def colab_pins() -> dict[str, str]:
    pins = {}
    for line in COLAB_FREEZE.read_text().splitlines():
        if match := re.match(r"^([\w.-]+)==(\S+)$", line):
            pins[canonical(match[1])] = match[2]
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip(venv: Path, *args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=1200, **kwargs)


def versions(venv: Path) -> dict[str, str]:
    listed = json.loads(pip(venv, "list", "--format=json").stdout)
    return {canonical(p["name"]): p["version"] for p in listed}


def clone_source(tmp_path: Path) -> Path:
    """A git repository of this working tree's tracked files: what the set-up cell clones instead of GitHub."""
    remote = tmp_path / "remote"
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, text=True, check=True)
    for name in filter(None, files.stdout.split("\0")):
        if (ROOT / name).is_file():
            (remote / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, remote / name)
    git = ["git", "-C", str(remote), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for args in (["init", "-q", "-b", course_settings()["branch"]], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + args, check=True, capture_output=True)
    return remote


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """``(venv, clone)``: the seeded stand-in after the set-up cell of notebook 05 ran its Colab branch."""
    tmp_path = tmp_path_factory.mktemp("colab")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = colab_pins()
    seeded = [f"{name}=={pins[canonical(name)]}" for name in SEEDED]
    constraints = tmp_path / "colab-constraints.txt"
    constraints.write_text("\n".join(f"{k}=={v}" for k, v in pins.items()) + "\n")
    for args in ([TORCH_HERE], [*seeded, "-c", str(constraints)]):  # torch apart: Colab's setuptools pin is too old for it
        done = pip(venv, "install", "-q", *args)
        if done.returncode and OFFLINE.search(done.stderr):
            pytest.skip(f"the package index cannot be reached: {done.stderr.strip().splitlines()[-1]}")
        assert done.returncode == 0, f"Colab's versions do not install here: {done.stderr[-2000:]}"
    before = versions(venv)
    home = tmp_path / "a2c-course"
    cell = setup_cell("05_bipedal_walker.ipynb").replace(GITHUB_URL, str(clone_source(tmp_path)))
    (tmp_path / "cell.py").write_text(cell.replace(COLAB_HOME, str(home)))
    run_cell = ('import sys, types; sys.modules["google.colab"] = types.ModuleType("google.colab"); '
                'exec(compile(open(sys.argv[1]).read(), "set-up cell", "exec"), {"__name__": "__main__"})')
    done = subprocess.run([str(venv / "bin" / "python"), "-c", run_cell, str(tmp_path / "cell.py")],
                          capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return venv, home, before, versions(venv)


def test_the_set_up_cell_keeps_every_seeded_colab_version(standin):
    venv, home, before, after = standin
    changed = {name: (before[name], after.get(name)) for name in map(canonical, SEEDED) if after.get(name) != before[name]}
    assert not changed, f"the set-up cell replaced Colab's versions: {changed}"
    assert after["torch"] == before["torch"], "torch was replaced"
    added = sorted(set(after) - set(before))
    for needed in ("stable-baselines3", "optuna", "huggingface-sb3", "pybullet", "pybullet-envs-gymnasium", "a2c-course"):
        assert needed in added, f"{needed} was not installed by the set-up cell"
    print("the set-up cell added:", " ".join(f"{name}=={after[name]}" for name in added))


@pytest.mark.parametrize("notebook", ["00_meet_the_walkers.ipynb", "05_bipedal_walker.ipynb"])
def test_notebooks_run_on_the_standin(standin, notebook, tmp_path):
    venv, home, _, _ = standin
    jupyter = tmp_path / "jupyter"
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "ipykernel", "install", "--prefix", str(jupyter),
                           "--name", "colab-standin"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    env = {**os.environ, "JUPYTER_PATH": str(jupyter / "share" / "jupyter"), "COURSE_SMOKE": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.kernel_name=colab-standin", "--ExecutePreprocessor.timeout=600",
                           "--output-dir", str(tmp_path), str(home / "notebooks" / notebook)],
                          capture_output=True, text=True, timeout=1200, env=env, cwd=home / "notebooks")
    assert done.returncode == 0, done.stderr[-4000:]
