"""Early training diagnostics of runs that walked and runs that fell, side by side (issue 17, item 2).

    .venv/bin/python scripts/walk_or_fall.py [RUN_FOLDER ...]

Reads every seed of the walker searches (``studies/walker-*/trials/*/seed-*``), the walker recipe's runs kept beside
them (``studies/walker-seeds/reference-runs/*``) and any run folder given. Each run is labelled by its last 3 periodic
evaluations together (``utils.walkers.scoring.walks``: at least 15 m on average, falls in at most 1 in 10 of their
episodes; a run still training, by the evaluations it has reached). Printed beside the label: SB3's diagnostics at a
few early steps (``logs/diagnostics.csv``): explained variance, the entropy loss (minus the gSDE policy's entropy:
under gSDE it grows when the latent features that scale the noise shrink), and the mean training episode length
(``logs/episodes.csv``, where kept: the search's trials do not commit it). Runs of different trials train different
recipes: compare within a trial (``walker-focused``'s trial 0 is the walker recipe, as notebook 05's run;
``walker-seeds``' trials all trained 8 copies, its README). Writes
``studies/walker-seeds/walk_or_fall.md``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.walkers import diagnostics, run_folder  # noqa: E402
from utils.walkers.early_signs import training_episodes  # noqa: E402
from utils.walkers.scoring import walks  # noqa: E402
from utils.walkers.search import LATE_EVALUATIONS  # noqa: E402

STEPS = (128_000, 192_000, 256_000)
"""Early steps compared (diagnostics are recorded every 100 updates: 3,200 steps for 4 copies x 8 steps)."""
COLUMNS = {"train/explained_variance": "EV", "train/entropy_loss": "ent. loss"}
OUT = ROOT / "studies" / "walker-seeds" / "walk_or_fall.md"


def row(folder: Path) -> dict | None:
    logs = folder / run_folder.LOGS
    evaluations = run_folder.read_jsonl(logs / run_folder.EVALUATIONS)
    if not evaluations or not (logs / run_folder.DIAGNOSTICS).exists():
        return None
    late = evaluations[-LATE_EVALUATIONS:]  # as the search scores a seed
    per_evaluation = run_folder.read_json(logs / run_folder.RUN_JSON).get("eval_episodes", 5)
    late_walk = {"mean_distance": sum(e["distance"] for e in late) / len(late), "falls": sum(e["falls"] for e in late),
                 "episodes": per_evaluation * len(late)}
    kept = (logs / run_folder.EPISODES).exists()  # not committed in the search's trials
    lengths = training_episodes(logs, window=32_000).set_index("steps")["length"] if kept else pd.Series(dtype=float)
    table = diagnostics.read(logs)
    trial = "trials" in folder.parts
    out = {"run": f"{folder.parts[-4]} trial {folder.parts[-2]}/{folder.parts[-1]}" if trial else folder.name,
           f"last {len(late)} evaluations": f"{late_walk['mean_distance']:.1f} m, {late_walk['falls']} falls in "
                                            f"{late_walk['episodes']} by {late[-1]['steps']:,}",
           "walks": walks(late_walk)}
    for step in STEPS:
        near = table.iloc[(table["steps"] - step).abs().argsort()[:1]]
        if abs(int(near["steps"].iloc[0]) - step) > 3_200:
            continue
        for column, name in COLUMNS.items():
            out[f"{name} @{step // 1000}k"] = float(near[column].iloc[0])
        out[f"ep. length @{step // 1000}k"] = float(lengths.get(step, float("nan")))  # episodes ending in the 32k up to it
    return out


def main(extra: list[str]) -> None:
    study = ROOT / "studies" / "walker-seeds"
    folders = sorted(ROOT.glob("studies/walker-*/trials/*/seed-*")) + sorted((study / "reference-runs").glob("*/")) + \
        [Path(p).resolve() for p in extra]
    rows = [r for r in map(row, folders) if r is not None]
    frame = pd.DataFrame(rows).set_index("run")
    counts = frame["walks"].value_counts().to_dict()
    text = (f"# Early diagnostics: runs that walked ({counts.get(True, 0)}) and runs that fell ({counts.get(False, 0)})\n\n"
            f"Written by `scripts/walk_or_fall.py` from the runs' committed logs; a run is labelled by its last "
            f"{LATE_EVALUATIONS} evaluations.\n\n```\n" + frame.round(2).to_string() + "\n```\n")
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
