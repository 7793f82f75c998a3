"""A run folder's layout, in one place: its paths, its readers and writers, the crash-safe snapshots and their
``latest`` pointer, and the SHA-256 manifests that are checked before any pickle is loaded.

A run folder ``out`` (written by :mod:`utils.walkers.runs`, packaged by :mod:`utils.walkers.hub`)::

    checkpoints/ best/ last/    snapshots: step-<steps>-<ns>/{model.zip, vec_normalize.pkl, meta.json, SHA256SUMS}
                                and a one-line ``latest`` file naming the complete one
    logs/                       evaluations.jsonl, episodes.csv, diagnostics.csv, run.json, train.log
    a2c-<env>.zip vec_normalize.pkl config.json results.json replay.mp4 README.md SHA256SUMS   the Hub package

SB3's model zips and ``vec_normalize.pkl`` hold pickles, and unpickling runs code: every folder the course loads
(a snapshot, an agent) carries a manifest that must list each file loaded from it, and each is checked first.
Every name read from a file (the ``latest`` pointer, a manifest line) must stay inside its folder. Only a folder
made of these names is the course's own, the only kind ``--overwrite`` deletes (:func:`check_deletable`).
Introduced with notebook 05.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

MODEL = "model.zip"
STATS = "vec_normalize.pkl"
META = "meta.json"
MANIFEST = "SHA256SUMS"
LATEST = "latest"
CHECKPOINTS, BEST, LAST, LOGS = "checkpoints", "best", "last", "logs"
SNAPSHOT_ROOTS = (CHECKPOINTS, BEST, LAST)
EVALUATIONS, EPISODES, DIAGNOSTICS = "evaluations.jsonl", "episodes.csv", "diagnostics.csv"
RUN_JSON, TRAIN_LOG = "run.json", "train.log"
CONFIG, RESULTS, VIDEO, CARD = "config.json", "results.json", "replay.mp4", "README.md"
SAVED = "saved"
"""Notebook 05's own ``model.save`` / ``env.save`` of the trained agent."""
OWN_FILES = {STATS, CONFIG, RESULTS, VIDEO, CARD, MANIFEST}
"""The files a course run folder holds at its top, besides its model zip (``a2c-<env id>.zip``)."""
EPISODE_COLUMNS = ("steps", "return", "length", "distance")
"""The columns of ``episodes.csv``: one line per training episode (the step at which it ended, its return, its length
in steps, its forward distance in metres)."""
EPISODES_BY_WINDOW = "episodes_by_window.csv"
"""The training episodes averaged by window of steps, kept where ``episodes.csv`` is not committed
(``utils.walkers.early_signs``)."""
OWN_LOGS = {EVALUATIONS, EPISODES, EPISODES_BY_WINDOW, DIAGNOSTICS, RUN_JSON, TRAIN_LOG}


class RunFolderError(ValueError):
    """A run or agent folder that cannot be used as it is; the message is one line and says what to do."""


# --- files ------------------------------------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> dict:
    """A JSON file, or a one-line error naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path} is damaged (not JSON: {type(error).__name__}).") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path} is damaged (not a JSON object).")
    return data


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSON-lines log (none when the file is missing), or a one-line error naming it."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path} is damaged (a line is not JSON: {type(error).__name__}).") from None
    if not all(isinstance(record, dict) for record in records):
        raise RunFolderError(f"{path} is damaged (a line is not a JSON record).")
    return records


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` for a plain relative ``name`` that stays in ``folder``; a one-line error otherwise."""
    parts = Path(name).parts
    if not name or name != name.strip() or Path(name).is_absolute() or ".." in parts or "\\" in name:
        raise RunFolderError(f"{Path(folder)} names {name!r}, a path outside the folder: refused.")
    return Path(folder) / name


# --- manifests ------------------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, names: list[str]) -> Path:
    """Write ``SHA256SUMS`` (``sha256sum`` format) for the files ``names`` of ``folder``, atomically."""
    folder = Path(folder)
    write_atomic(folder / MANIFEST, "".join(f"{sha256(folder / name)}  {name}\n" for name in sorted(names)))
    return folder / MANIFEST


_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


def read_manifest(folder: Path) -> dict[str, str]:
    """``{name: sha256}`` of ``folder/SHA256SUMS`` (``sha256sum`` lines, text or ``-b`` binary mode); a one-line
    error for a missing or empty manifest, a blank or malformed line, or a name outside the folder."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise RunFolderError(f"{folder} has no {MANIFEST} manifest, so its pickled files cannot be verified before "
                             "loading: refused.")
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError:
        raise RunFolderError(f"{path} is not a text manifest: refused.") from None
    listed = {}
    for number, line in enumerate(lines, 1):
        match = _LINE.fullmatch(line)
        if match is None:
            raise RunFolderError(f"{path}, line {number}: expected '<sha256>  <name>', got {line[:60]!r}: refused.")
        inside(folder, match[2])
        listed[match[2]] = match[1].lower()
    if not listed:
        raise RunFolderError(f"{path} lists no files: nothing can be verified, refused.")
    return listed


def verify_manifest(folder: Path, required: tuple[str, ...] = ()) -> list[str]:
    """Check every file listed in ``folder/SHA256SUMS`` and that each name of ``required`` is listed; return the
    listed names, or raise a one-line error. Call it before loading anything from ``folder``."""
    folder = Path(folder)
    listed = read_manifest(folder)
    for name in required:
        if name not in listed:
            raise RunFolderError(f"{folder / MANIFEST} does not list {name}, which loading needs: refused "
                                 "(an agent's manifest must cover every file that is loaded).")
    for name, expected in listed.items():
        path = folder / name
        if not path.is_file():
            raise RunFolderError(f"{path} is listed in {MANIFEST} but missing.")
        if sha256(path) != expected:
            raise RunFolderError(f"{path} does not match its SHA-256 in {MANIFEST}: the file was changed; not loading it.")
    return list(listed)


# --- snapshots ------------------------------------------------------------------------------------------
SNAPSHOT_FILES = (MODEL, STATS, META)


def save_snapshot(root: Path, model, vec_normalize, meta: dict) -> Path:
    """Save (model, statistics, metadata) and their manifest under ``root`` and make it the latest; older
    snapshots of ``root`` are removed. A crash mid-write leaves the previous snapshot and pointer intact."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"step-{model.num_timesteps:010d}-{time.time_ns()}"
    folder.mkdir()
    model.save(folder / MODEL)
    vec_normalize.save(folder / STATS)
    write_atomic(folder / META, json.dumps({**meta, "num_timesteps": int(model.num_timesteps)}, indent=1))
    write_manifest(folder, list(SNAPSHOT_FILES))
    write_atomic(root / LATEST, folder.name)
    for other in root.iterdir():
        if other.is_dir() and other != folder:
            shutil.rmtree(other, ignore_errors=True)
    return folder


def latest_snapshot(root: Path) -> Path | None:
    """The folder the ``latest`` pointer of ``root`` names, or None when there is no pointer; a pointer that
    leaves ``root`` or names a missing snapshot is a one-line error (it is not "nothing to resume")."""
    root = Path(root)
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    if "/" in name or not re.fullmatch(r"step-\d+-\d+", name):
        raise RunFolderError(f"{pointer} names {name[:60]!r}, not a snapshot of this folder: refused.")
    folder = root / name
    if folder.is_symlink():
        raise RunFolderError(f"{pointer} names {name}, a link to elsewhere, not a snapshot of this folder: refused.")
    if not (folder / META).is_file():
        raise RunFolderError(f"{pointer} names {name}, which is missing or incomplete: the folder was changed by hand.")
    return folder


def verified_snapshot(folder: Path) -> Path:
    """``folder`` after its manifest is checked (model, statistics, metadata): call before loading from it."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise RunFolderError(f"{folder} holds no {MANIFEST}: it was saved by a course version that did not record "
                             "hashes, or changed by hand; it cannot be verified, so it is not loaded.")
    verify_manifest(folder, SNAPSHOT_FILES)
    return folder


def read_meta(folder: Path) -> dict:
    meta = read_json(Path(folder) / META)
    if "num_timesteps" not in meta:
        raise RunFolderError(f"{Path(folder) / META} lacks num_timesteps: the snapshot is damaged.")
    return meta


# --- what is the course's own ---------------------------------------------------------------------------
def is_course_run(folder: Path) -> bool:
    """Whether ``folder`` holds a course run and nothing else: its ``logs/run.json`` written by a run, and every
    file, down to the subfolders, one that a run writes (logs, snapshots, notebook 05's ``saved/``, the package)."""
    folder = Path(folder)
    try:
        setup = read_json(folder / LOGS / RUN_JSON)
    except (OSError, RunFolderError):
        return False
    if not str(setup.get("command", "")).startswith("python -m utils.train") or "config" not in setup:
        return False
    return all(_is_own(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir())


def _is_own(relative: Path) -> bool:
    """Whether a file at ``relative`` inside a run folder is one a course run writes."""
    parts = relative.parts
    if len(parts) == 1:
        return parts[0] in OWN_FILES or re.fullmatch(r"a2c-[A-Za-z0-9]+-v\d+\.zip", parts[0]) is not None
    if parts[0] == LOGS:
        return len(parts) == 2 and parts[1] in OWN_LOGS
    if parts[0] == SAVED:
        return len(parts) == 2 and parts[1] in (MODEL, STATS)
    if parts[0] in SNAPSHOT_ROOTS:
        return parts[1:] == (LATEST,) or (len(parts) == 3 and re.fullmatch(r"step-\d+-\d+", parts[1]) is not None
                                          and parts[2] in (*SNAPSHOT_FILES, MANIFEST))
    return False


def check_deletable(folder: Path) -> None:
    """Raise a one-line error unless ``folder`` may be deleted by ``--overwrite``: a course run's folder, not the
    current folder, one of its parents, the home folder or the file-system root."""
    folder = Path(folder)
    resolved, cwd, home = folder.resolve(), Path.cwd().resolve(), Path.home().resolve()
    protected = {cwd: "the current folder", home: "the home folder", Path(resolved.anchor): "the root folder",
                 **{parent: "a parent of the current folder" for parent in cwd.parents}}
    if resolved in protected:
        raise RunFolderError(f"--out {folder} is {protected[resolved]}: overwrite never deletes it; give the run "
                             "a folder of its own.")
    if folder.is_symlink() or not folder.is_dir():
        raise RunFolderError(f"--out {folder} is not a folder: overwrite deletes only a run's folder.")
    if not is_course_run(folder):
        raise RunFolderError(f"{folder} holds files that no course run writes: overwrite deletes only a course run's "
                             "folder; choose another --out.")
