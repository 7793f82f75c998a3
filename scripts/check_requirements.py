"""Check with pip that the pinned runtime list and the robots resolve for Python 3.11 and 3.12 (Colab).

``make check-requirements`` runs it; it needs PyPI. pip resolves for another Python (``--python-version``) from
wheels only, and pybullet publishes none for 3.12: there pip builds it from its source archive. So for a Python
without a pybullet wheel, this script downloads that archive the way pip would pick it, and lets a wheel holding
nothing but the archive's own metadata (pybullet declares no dependencies) stand in for the build.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("requirements-runtime.txt", "requirements-robots.txt")
PYTHONS = ("3.11", "3.12")


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)


def pinned(name: str) -> str:
    text = (ROOT / "requirements-robots.txt").read_text()
    return re.search(rf"^{name}==(\S+)$", text, re.M).group(1)


def metadata_wheel(sdist: Path, folder: Path) -> Path:
    """A wheel that holds only ``sdist``'s PKG-INFO as its metadata: what pip would build, minus the code."""
    with tarfile.open(sdist) as archive:
        info = next(m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
        metadata = archive.extractfile(info).read().decode()
    name = re.search(r"^Name: (.+)$", metadata, re.M).group(1)
    version = re.search(r"^Version: (.+)$", metadata, re.M).group(1)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    dist_info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as out:
        out.writestr(f"{dist_info}/METADATA", metadata)
        out.writestr(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nGenerator: check_requirements\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        out.writestr(f"{dist_info}/RECORD", "")
    return wheel


def check(python: str, work: Path) -> bool:
    extra, note = [], "pybullet from a wheel"
    version = pinned("pybullet")
    fetched = pip("download", "--no-deps", "--python-version", python, "-d", str(work / python), f"pybullet=={version}")
    if fetched.returncode:
        print(f"Python {python}: pybullet {version} cannot be fetched:\n{fetched.stderr.strip()}")
        return False
    sdists = list((work / python).glob("pybullet-*.tar.gz"))
    if sdists:
        stand_in = work / f"stand-in-{python}"
        stand_in.mkdir()
        metadata_wheel(sdists[0], stand_in)
        extra, note = ["--find-links", str(stand_in)], f"pybullet {version} built from source (no wheel for {python})"
    report = work / f"report-{python}.json"
    requirements = [arg for name in FILES for arg in ("-r", str(ROOT / name))]
    done = pip("install", "--dry-run", "--ignore-installed", "--quiet", "--target", str(work / "target"),
               "--python-version", python, "--only-binary=:all:", "--report", str(report), *extra, *requirements)
    if done.returncode:
        print(f"Python {python}: does NOT resolve:\n{done.stderr.strip()}")
        return False
    installed = json.loads(report.read_text())["install"]
    packages = sorted(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in installed)
    print(f"Python {python}: resolves, {len(packages)} packages in an empty environment; {note}.")
    print("  " + " ".join(packages))
    print("  (an empty environment needs torch for stable-baselines3; where torch is installed, as on Colab, pip keeps it)")
    return True


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="check-requirements-") as folder:
        results = [check(python, Path(folder)) for python in PYTHONS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
