"""Check with pip that the course's ranges and the robots resolve for Python 3.11, 3.12 and 3.13, and, for Colab
(Python 3.13), with Colab's own versions held fixed: then the set-up cell installs only what Colab lacks.

``make check-requirements`` runs it; it needs PyPI. pip resolves for another Python (``--python-version``) from
wheels only, and pybullet publishes none after 3.11: there pip builds it from its source archive. So for a Python
without a pybullet wheel, this script downloads that archive the way pip would pick it, and lets a wheel holding
nothing but the archive's own metadata (pybullet declares no dependencies) stand in for the build. Colab's versions
come from ``reference/colab/pip-freeze.txt`` (its published list), as pip constraints.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.11", "3.12", "3.13")
COLAB_PYTHON = "3.13"
COLAB_FREEZE = ROOT / "reference" / "colab" / "pip-freeze.txt"


def course_requirements() -> list[str]:
    """What the Colab set-up cell asks pip to resolve: the ranges and the robots' ranges (the no-deps pins are
    installed apart, without their declared dependencies: see :func:`no_deps_fetch`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return project["project"]["dependencies"] + project["project"]["optional-dependencies"]["robots"]


def no_deps_fetch(python: str, work: Path) -> bool:
    """The set-up cell's ``pip install --no-deps`` pins exist for ``python``."""
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["course"]["no_deps"]
    done = pip("download", "--no-deps", "--only-binary=:all:", "--python-version", python, "-d", str(work / "no-deps"),
               *pins)
    print(f"Python {python}: --no-deps {' '.join(pins)}: {'fetched' if done.returncode == 0 else 'NOT found'}")
    return done.returncode == 0


def colab_constraints(folder: Path) -> tuple[Path, set[str], Path]:
    """A pip constraints file holding Colab's versions, the names Colab ships, and a folder with a stand-in for
    Colab's torch: its CPU build comes from PyTorch's own index, and PyPI's build of the same version would bring
    CUDA packages that Colab's CPU runtime does not have; the stand-in holds only its metadata."""
    pins, names = [], set()
    links = folder / "colab-torch"
    links.mkdir(exist_ok=True)
    for line in COLAB_FREEZE.read_text().splitlines():
        if match := re.match(r"^([\w.-]+)==(\S+)$", line):
            pins.append(line)
            names.add(canonical(match[1]))
        elif match := re.match(r"^torch @ .*/torch-([\d.]+)%2Bcpu", line):
            version = f"{match[1]}+cpu"
            metadata = (f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\nRequires-Dist: filelock\n"
                        "Requires-Dist: typing-extensions\nRequires-Dist: sympy\nRequires-Dist: networkx\n"
                        "Requires-Dist: jinja2\nRequires-Dist: fsspec\n")
            stand_in_wheel(links, "torch", version, metadata)
            pins.append(f"torch=={version}")
            names.add("torch")
    path = folder / "colab-constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path, names, links


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


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
    return stand_in_wheel(folder, name, version, metadata)


def stand_in_wheel(folder: Path, name: str, version: str, metadata: str) -> Path:
    """A wheel of ``name`` ``version`` holding ``metadata`` and no code: enough for pip to resolve against."""
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    dist_info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as out:
        out.writestr(f"{dist_info}/METADATA", metadata)
        out.writestr(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nGenerator: check_requirements\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        out.writestr(f"{dist_info}/RECORD", "")
    return wheel


def check(python: str, work: Path, colab: bool = False) -> bool:
    extra, note = [], "pybullet from a wheel"
    version = pinned("pybullet")
    fetched = pip("download", "--no-deps", "--python-version", python, "-d", str(work / python), f"pybullet=={version}")
    if fetched.returncode:
        print(f"Python {python}: pybullet {version} cannot be fetched:\n{fetched.stderr.strip()}")
        return False
    sdists = list((work / python).glob("pybullet-*.tar.gz"))
    if sdists:
        stand_in = work / f"stand-in-{python}"
        stand_in.mkdir(exist_ok=True)
        metadata_wheel(sdists[0], stand_in)
        extra, note = ["--find-links", str(stand_in)], f"pybullet {version} built from source (no wheel for {python})"
    shipped = set()
    if colab:
        constraints, shipped, links = colab_constraints(work)
        extra += ["-c", str(constraints), "--find-links", str(links)]
    label = f"Python {python}" + (" with Colab's versions held" if colab else "")
    report = work / f"report-{python}-{colab}.json"
    done = pip("install", "--dry-run", "--ignore-installed", "--quiet", "--target", str(work / "target"),
               "--python-version", python, "--only-binary=:all:", "--report", str(report), *extra,
               *course_requirements())
    if done.returncode:
        print(f"{label}: does NOT resolve:\n{done.stderr.strip()}")
        return False
    installed = json.loads(report.read_text())["install"]
    packages = sorted(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in installed)
    if colab:
        added = [p for p in packages if canonical(p.split("==")[0]) not in shipped]
        print(f"{label}: resolves; the set-up cell adds {len(added)} packages and keeps every one Colab ships; "
              f"{note}.")
        print("  adds: " + " ".join(added))
    else:
        print(f"{label}: resolves, {len(packages)} packages in an empty environment; {note}.")
        print("  " + " ".join(packages))
    return True


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="check-requirements-") as folder:
        results = [check(python, Path(folder)) for python in PYTHONS]
        results.append(check(COLAB_PYTHON, Path(folder), colab=True))
        results.append(no_deps_fetch(COLAB_PYTHON, Path(folder)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
