"""Notebook plumbing: the canonical set-up cell, Colab badges from one repository slug, executed outputs.

``python -m utils.course.notebooks --execute notebooks/*.ipynb`` (``make executed-notebooks``) runs notebooks in
full mode and stores their outputs, with the hash of the code cells that made them, so that they read as a
tutorial on GitHub and Colab (``--times`` prints how long each took); ``--strip`` removes outputs (while editing); ``--badges`` rewrites every badge and
set-up cell from ``[tool.course]`` in ``pyproject.toml``. The tests check that notebooks agree with all three.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import time
import tomllib
from datetime import datetime, timezone
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
    nb.metadata.pop("course", None)
    after = nbformat.writes(nb)
    if after != before:
        Path(path).write_text(after + "\n" if not after.endswith("\n") else after)
    return after != before


def code_sha256(nb) -> str:
    """The SHA-256 of a notebook's code cells, in order: what its stored outputs were made from."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    return digest.hexdigest()


def _bar_text(model_id: str, state: dict) -> str | None:
    """The last text of a tqdm notebook bar (an HBox of HTML, FloatProgress, HTML) from the stored widget state;
    None for a bar that was hidden when it closed (``leave=False``) or whose state is gone."""
    import html

    def model(reference: str) -> dict:
        return state.get(str(reference).removeprefix("IPY_MODEL_"), {}).get("state", {})

    box = model(model_id)
    if not box or model(box.get("layout", "")).get("visibility") == "hidden":
        return None
    texts = [model(child).get("value") for child in box.get("children", [])]
    text = " ".join(html.unescape(v) for v in texts if isinstance(v, str) and v)
    return text.replace("\u2007", " ").strip() or None


def widgets_to_text(nb) -> None:
    """Replace widget outputs (tqdm's notebook bars) by the text of their last state, drop hidden ones and the
    widget state: GitHub and Colab show a stored widget as nothing or as ``HBox(children=...)``."""
    state = nb.metadata.pop("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
            if view is not None:
                text = _bar_text(view.get("model_id", ""), state)
                if text is None:
                    continue
                output["data"] = {"text/plain": text}
            kept.append(output)
        if cell.cell_type == "code":
            cell.outputs = kept


def execute(path: Path) -> float:
    """Run ``path`` in full mode in a fresh kernel, store its outputs and ``metadata.course``; return the seconds.

    The stored metadata says the mode, the hash of the code cells (:func:`code_sha256`), the wall-clock, the date,
    the machine's cores and its load when the run ended; each cell's own timing stays in its ``execution`` metadata.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    env = {"COURSE_SMOKE": "0", "MPLBACKEND": None}
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    start = time.monotonic()
    try:
        NotebookClient(nb, timeout=None, kernel_name="python3", record_timing=True,
                       resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    seconds = time.monotonic() - start
    widgets_to_text(nb)
    nb.metadata["course"] = {"mode": "full", "code_sha256": code_sha256(nb), "seconds": round(seconds),
                             "executed": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                             "cores": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)}
    nbformat.write(nb, path)
    return seconds


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
    parser.add_argument("--execute", action="store_true", help="run in full mode and store the outputs (minutes each)")
    parser.add_argument("--strip", action="store_true", help="remove outputs and execution counts (while editing)")
    parser.add_argument("--times", action="store_true", help="print each notebook's stored full-mode time, date and load")
    parser.add_argument("--badges", action="store_true", help="rewrite badges and set-up cells from pyproject.toml")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    paths = args.paths or sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.execute:
        for path in paths:
            print(f"executing {path} in full mode ...", flush=True)
            try:
                print(f"{path}: {execute(path) / 60:.1f} min", flush=True)
            except (CellExecutionError, DeadKernelError) as error:
                last = (str(error).strip().splitlines() or [type(error).__name__])[-1]
                raise SystemExit(f"{path}: a cell failed, outputs not stored: {last}")
    if args.times:
        for path in paths:
            course = nbformat.read(path, as_version=4).metadata.get("course")
            print(f"{Path(path).name}: " + (f"{course['seconds'] / 60:.1f} min full mode, {course['executed']}, "
                                            f"{course['cores']} cores, load {course['load_1min']} at the end"
                                            if course else "no stored full-mode run"))
    if args.strip:
        for path in paths:
            if strip(path):
                print(f"stripped {path}")
    if args.badges:
        sync_badges(paths)


if __name__ == "__main__":
    main()
