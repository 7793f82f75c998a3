"""Notebook plumbing: the canonical set-up cell, Colab badges from one repository slug, output stripping.

``python -m utils.course.notebooks --strip notebooks/*.ipynb`` removes outputs and execution counts;
``python -m utils.course.notebooks --badges`` rewrites every badge and set-up cell from ``[tool.course]`` in
``pyproject.toml``. The tests check that notebooks agree with both.
"""
from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import nbformat

from utils.course.colab import BUILD_SECONDS
from utils.course.session import NOTEBOOKS, ROOT

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def course_settings() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["course"]


def badge(notebook_name: str) -> str:
    """Markdown for the "Open in Colab" badge of ``notebooks/<notebook_name>``."""
    s = course_settings()
    url = f"https://colab.research.google.com/github/{s['repository']}/blob/{s['branch']}/notebooks/{notebook_name}"
    return f"[![Open In Colab]({BADGE_IMAGE})]({url})"


BADGE_PATTERN = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*/notebooks/([\w.-]+\.ipynb)\)")


def setup_cell(notebook_name: str) -> str:
    """The set-up cell of ``notebooks/<notebook_name>``: the same in every notebook, except that those listed in
    ``[tool.course] robots`` also install pybullet on Colab (:func:`utils.course.colab.install_robots`)."""
    s = course_settings()
    robots = notebook_name in s["robots"]
    then = ", then the PyBullet robots" if robots else ""
    install_robots = f"""
    from utils.course.colab import install_robots

    install_robots()  # built from source on Colab the first time: about {round(BUILD_SECONDS / 60)} min, with a progress bar""" if robots else ""
    no_deps = ", ".join(f'"{pin}"' for pin in s["no_deps"])
    return f'''# Set-up (the same in every notebook). Locally, `make lab` has installed everything already.
# On Colab it clones the course and installs only what Colab lacks (pyproject.toml's ranges, which Colab's own
# versions satisfy: nothing Colab ships is replaced){then}. No restart needed.
import sys

if "google.colab" in sys.modules:
    import os, site, subprocess

    if not os.path.isdir("/content/a2c-course"):
        subprocess.run(["git", "clone", "-q", "--depth=1", "-b", "{s['branch']}",
                        "https://github.com/{s['repository']}.git", "/content/a2c-course"], check=True)
    os.chdir("/content/a2c-course")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "."], check=True)
    # huggingface-sb3 without its declared huggingface-hub~=0.8, which would downgrade Colab's
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", {no_deps}],
                   check=True)
    site.addsitedir(site.getsitepackages()[0])  # activate the editable install of `utils` without a restart{install_robots}

from utils.course.session import start

start()'''


def is_setup_cell(cell) -> bool:
    return cell.cell_type == "code" and cell.source.startswith("# Set-up (the same in every notebook)")


def strip(path: Path) -> bool:
    """Remove outputs, execution counts and volatile metadata; return True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    after = nbformat.writes(nb)
    if after != before:
        Path(path).write_text(after + "\n" if not after.endswith("\n") else after)
    return after != before


def sync_badges(paths) -> None:
    """Rewrite badges and set-up cells of notebooks, and badges of README.md, from ``pyproject.toml``."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = BADGE_PATTERN.sub(lambda m: badge(m.group(1)), cell.source)
            elif is_setup_cell(cell):
                cell.source = setup_cell(Path(path).name)
        nbformat.write(nb, path)
    readme = ROOT / "README.md"
    if readme.exists():
        readme.write_text(BADGE_PATTERN.sub(lambda m: badge(m.group(1)), readme.read_text()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m utils.course.notebooks")
    parser.add_argument("--strip", action="store_true", help="remove outputs and execution counts")
    parser.add_argument("--badges", action="store_true", help="rewrite badges and set-up cells from pyproject.toml")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.strip:
        for path in paths:
            if strip(path):
                print(f"stripped {path}")
    if args.badges:
        sync_badges(paths)


if __name__ == "__main__":
    main()
