"""The Hub code with the huggingface_hub releases learners have: the lock's (0.36, what the other tests use), Colab's
(1.27, ``reference/colab/pip-freeze.txt``) and the latest major (2.x). The offline round trip of ``tests/test_hub.py``
(package, stand-in Hub, download, verify, load, evaluate, card, push without token or network) runs again with each
newer release installed over this environment's; huggingface_sb3 stays at the lock's 3.0, as the Colab set-up
cell installs it (``--no-deps``). Needs the package index to fetch those releases; skipped without it."""
import os
import subprocess
import sys

import pytest

from utils.course.session import ROOT

RELEASES = ["1.27.0", "2.4.0"]


def install(version: str, target) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target",
                           str(target), f"huggingface-hub=={version}"], capture_output=True, text=True, timeout=600)
    if done.returncode:
        pytest.skip(f"huggingface-hub {version} could not be fetched (no package index?): "
                    f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")


@pytest.mark.parametrize("version", RELEASES)
def test_the_hub_round_trip_with_a_newer_huggingface_hub(version, tmp_path):
    target = tmp_path / f"hub-{version}"
    install(version, target)
    env = {**os.environ, "PYTHONPATH": str(target), "COURSE_SMOKE": "1", "MPLBACKEND": "Agg"}
    probe = subprocess.run([sys.executable, "-c", "import huggingface_hub, huggingface_sb3; "
                            "print(huggingface_hub.__version__)"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert probe.stdout.strip() == version, probe.stderr[-2000:]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_hub.py",
                           "tests/test_loading.py", "-k", "hub or push or download or card"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout.splitlines()[-1] and "failed" not in done.stdout.splitlines()[-1]
