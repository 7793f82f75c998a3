"""What the search's early-signs pruner stands on: each walker run's training episodes at 250k and 500k steps,
beside whether it went on to walk (issue 17, item 2; ``utils.walkers.search.COLLAPSE_LENGTH`` and ``EARLY_M``).

    .venv/bin/python scripts/early_signs_table.py

Reads every walker run whose training episodes are committed: the walker recipe's three seeds
(``agents/a2c-Walker2DBulletEnv-v0/logs/seeds/``, ``logs/episodes.csv``), the walker searches' trials
(``studies/walker-*/trials/*/seed-*``, which keep them by window of 50k steps: ``logs/episodes_by_window.csv``) and
the candidate recipes checked on unseen seeds (``studies/walker-*/candidates/*/seeds/seed*``, ``episodes.csv``).
Left out: ``agents/standing-walker`` (its log predates the distance column) and ``studies/walker-seeds/reference-runs``
(a copy of the recipe's seed 0). For each run: steps per training episode over the 50k steps up to 250k, metres per
training episode over the 50k steps up to 400k and up to 500k (the episodes that ended there), the first periodic
evaluation that walked 10 m or more without a fall (the course's "time to walk"; deterministic episodes, statistics
frozen), and the last evaluation. Writes ``studies/walker-focused/early_signs.md``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.walkers import run_folder  # noqa: E402
from utils.walkers.early_signs import WALKED_M, first_walk, training_episodes  # noqa: E402
from utils.walkers.search import (COLLAPSE_AT, COLLAPSE_LENGTH, EARLY_AT, EARLY_M, EARLY_PARTS,  # noqa: E402
                                  EVALUATIONS)

TIMESTEPS = 1_000_000
"""The search's budget per trial: the pruner looks at evaluations COLLAPSE_AT (250k) and EARLY_AT (500k) of it."""
WINDOW = TIMESTEPS // EARLY_PARTS
COLLAPSE_STEP, EARLY_STEP = COLLAPSE_AT * TIMESTEPS // EVALUATIONS, EARLY_AT * TIMESTEPS // EVALUATIONS
LENGTH, DISTANCE = f"steps per episode @{COLLAPSE_STEP // 1000}k", f"m per episode @{EARLY_STEP // 1000}k"
OUT = ROOT / "studies" / "walker-focused" / "early_signs.md"


def row(logs: Path) -> dict:
    frame = training_episodes(logs, window=WINDOW).set_index("steps")
    evaluations = run_folder.read_jsonl(logs / run_folder.EVALUATIONS)
    walked = first_walk(logs)
    parts = logs.relative_to(ROOT).parts
    name = (f"{parts[1]} trial {parts[3]}/{parts[4]}" if "trials" in parts
            else f"{parts[1]} candidate {parts[3]}/{parts[5]}" if "candidates" in parts else "/".join(parts[-3:]))
    last = evaluations[-1]
    return {"run": name, LENGTH: float(frame["length"].get(COLLAPSE_STEP, float("nan"))),
            "m per episode @400k": float(frame["distance"].get(400_000, float("nan"))),
            DISTANCE: float(frame["distance"].get(EARLY_STEP, float("nan"))),
            f"first walk ({WALKED_M:.0f} m, no fall)": f"{walked:,}" if walked is not None else "never",
            "last evaluation": f"{last['distance']:.1f} m, {last['falls']} falls, {last['steps']:,}",
            "outcome": ("walked" if walked is not None else "no walk in 1M" if last["steps"] >= TIMESTEPS
                        else "stopped before 1M")}


def spread(values: pd.Series, unit: str) -> str:
    values = values.dropna()
    digits = 0 if unit.startswith("steps") else 2
    return f"{len(values)}, {values.min():.{digits}f}-{values.max():.{digits}f} {unit}" if len(values) else "0"


def main() -> None:
    seeds = [f for f in sorted(ROOT.glob("agents/a2c-Walker2DBulletEnv-v0/logs/seeds/seed*"))
             if (f / run_folder.EPISODES).exists()]
    trials = [f for f in sorted(ROOT.glob("studies/walker-*/trials/*/seed-*/logs"))
              if (f / run_folder.EPISODES_BY_WINDOW).exists()]  # written when a trial ends: not the running ones
    candidates = sorted(ROOT.glob("studies/walker-*/candidates/*/seeds/seed*"))  # a recipe on unseen seeds
    rows = [row(f) for f in seeds + trials + candidates]
    frame = pd.DataFrame(rows).set_index("run")
    frame = frame[frame[LENGTH].notna()]  # runs that reached the first check
    outcome = frame["outcome"]
    collapsed = frame[frame[LENGTH] < COLLAPSE_LENGTH]
    walked, others = frame[outcome == "walked"], frame.drop(collapsed.index)
    at_collapse, at_early = f"at {COLLAPSE_STEP // 1000}k", f"at {EARLY_STEP // 1000}k"
    lines = [f"- runs that walked (10 m without a fall at some evaluation): "
             f"{spread(walked[DISTANCE], 'm')} {at_early}; "
             f"{spread(walked[LENGTH], 'steps per episode')} {at_collapse}",
             f"- runs that trained 1M steps or more and never walked: "
             f"{spread(frame[DISTANCE][outcome == 'no walk in 1M'], 'm')} {at_early}",
             f"- runs stopped before 1M steps (a pruned or interrupted trial), not walking yet: "
             f"{spread(frame[DISTANCE][outcome == 'stopped before 1M'], 'm')} {at_early}",
             f"- collapsed {at_collapse} (under {COLLAPSE_LENGTH:g} steps per episode): "
             f"{', '.join(collapsed.index) or 'none'}; every other run {spread(others[LENGTH], 'steps per episode')}"]
    text = (f"# Early signs: training episodes {at_collapse} and {at_early} steps, and whether the run walked\n\n"
            f"Written by `scripts/early_signs_table.py` from the runs' committed logs (training episodes that ended in "
            f"the {WINDOW // 1000}k steps up to each step). The search's `median+floor+early` pruner stops a trial one "
            f"of whose seeds lasted under {COLLAPSE_LENGTH:g} steps per episode {at_collapse}, or went under "
            f"{EARLY_M:g} m per episode {at_early}.\n\n" + "\n".join(lines) + "\n\n"
            "```\n" + frame.round(2).to_string() + "\n```\n")
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
