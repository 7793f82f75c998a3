"""Crash-safe saving of (model, VecNormalize statistics, metadata) snapshots.

A snapshot is written into a fresh folder; only when every file is on disk does a one-line ``latest`` file,
replaced atomically with ``os.replace``, point at it. A crash mid-write leaves the previous snapshot intact.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

MODEL = "model.zip"
STATS = "vec_normalize.pkl"
META = "meta.json"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_snapshot(root: Path, model, vec_normalize, meta: dict) -> Path:
    """Save a snapshot under ``root`` and make it the latest; older snapshots of ``root`` are removed."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"step-{model.num_timesteps:010d}-{time.time_ns()}"
    folder.mkdir()
    model.save(folder / MODEL)
    vec_normalize.save(folder / STATS)
    write_atomic(folder / META, json.dumps({**meta, "num_timesteps": int(model.num_timesteps)}, indent=1))
    write_atomic(root / "latest", folder.name)
    for other in root.iterdir():
        if other.is_dir() and other != folder:
            shutil.rmtree(other, ignore_errors=True)
    return folder


def latest_snapshot(root: Path) -> Path | None:
    """The folder of the latest complete snapshot under ``root``, or None if there is none."""
    pointer = Path(root) / "latest"
    if not pointer.is_file():
        return None
    folder = Path(root) / pointer.read_text().strip()
    return folder if (folder / META).is_file() else None


def read_meta(folder: Path) -> dict:
    return json.loads((Path(folder) / META).read_text())
