"""SB3's training diagnostics of a run (explained variance, losses, entropy, std, steps per second) in a CSV file.

SB3's own ``CSVOutputFormat`` opens its file with ``"w+"``, so a resumed run would wipe the rows of its earlier
sessions; :class:`DiagnosticsCSV` appends instead, with fixed columns, and :func:`truncate` drops the rows past a
checkpoint's step before a resume.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from stable_baselines3.common.logger import KVWriter, Logger

from utils.walkers.run_folder import DIAGNOSTICS, RunFolderError, write_atomic

COLUMNS = ("time/total_timesteps", "time/fps", "train/explained_variance", "train/value_loss",
           "train/policy_loss", "train/entropy_loss", "train/std", "train/learning_rate")
"""What A2C's ``learn`` records every ``log_interval`` updates (100 by default)."""


class DiagnosticsCSV(KVWriter):
    """Appends SB3 logger records to ``path`` (the header is written once, when the file is new)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self.file = open(self.path, "a", newline="")
        self.writer = csv.writer(self.file)
        if new:
            self.writer.writerow(COLUMNS)
            self.file.flush()

    def write(self, key_values: dict, key_excluded: dict, step: int = 0) -> None:
        self.writer.writerow([key_values.get(column, "") for column in COLUMNS])
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def logger(logs: Path) -> Logger:
    """An SB3 logger that writes only ``logs/diagnostics.csv`` (give it to ``model.set_logger``)."""
    return Logger(folder=str(logs), output_formats=[DiagnosticsCSV(Path(logs) / DIAGNOSTICS)])


def truncate(logs: Path, steps: int) -> None:
    """Drop the rows recorded after ``steps`` (a resume continues from a checkpoint taken at ``steps``)."""
    path = Path(logs) / DIAGNOSTICS
    if path.exists() and path.stat().st_size > 0:  # empty: killed before anything was written
        try:
            table = read(path.parent)
            kept = table[pd.to_numeric(table["steps"]) <= steps].rename(columns={"steps": COLUMNS[0]})
            text = kept.to_csv(index=False, columns=list(COLUMNS))
        except (ValueError, KeyError, TypeError):  # pandas' parser errors are ValueErrors
            raise RunFolderError(f"{path} is damaged (not the diagnostics table a run writes): move it away "
                                 "to resume.") from None
        write_atomic(path, text)


def read(logs: Path) -> pd.DataFrame:
    """The run's diagnostics, one row per record, with ``steps`` as the first column."""
    return pd.read_csv(Path(logs) / DIAGNOSTICS).rename(columns={COLUMNS[0]: "steps"})
