"""Early training diagnostics of runs that walked and runs that fell, side by side (issue 17, item 2).

    .venv/bin/python scripts/walk_or_fall.py [RUN_FOLDER ...]

Reads every seed of the walker search (``studies/walker-seeds/trials/*/seed-*``) and any run folder given, labels
each run by its last periodic evaluation (``utils.walkers.scoring.walks``: at least 15 m, falls in at most 1 in 10
episodes), and prints SB3's diagnostics at a few early steps (``logs/diagnostics.csv``): explained variance, the
entropy loss (minus the gSDE policy's entropy: under gSDE it grows when the latent features that scale the noise
shrink), the value loss, and the mean training episode length (``logs/episodes.csv``). Writes
``studies/walker-seeds/walk_or_fall.md``. Runs still training are labelled by the evaluation they have reached. Runs of different trials train different recipes:
compare within a trial (trial 0 is the walker recipe, as notebook 05's run).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.walkers import diagnostics, run_folder  # noqa: E402
from utils.walkers.scoring import walks  # noqa: E402

STEPS = (128_000, 192_000, 256_000)
"""Early steps compared (diagnostics are recorded every 100 updates: 3,200 steps for 4 copies x 8 steps)."""
COLUMNS = {"train/explained_variance": "EV", "train/entropy_loss": "ent. loss"}
OUT = ROOT / "studies" / "walker-seeds" / "walk_or_fall.md"


def row(folder: Path) -> dict | None:
    logs = folder / run_folder.LOGS
    evaluations = run_folder.read_jsonl(logs / run_folder.EVALUATIONS)
    if not evaluations or not (logs / run_folder.DIAGNOSTICS).exists():
        return None
    last = evaluations[-1]
    episodes = pd.read_csv(logs / "episodes.csv")
    table = diagnostics.read(logs)
    name = "/".join(folder.parts[-2:]) if "trials" in folder.parts else folder.name
    out = {"run": f"trial {name}" if "trials" in folder.parts else name,
           "last eval": f"{last['distance']:.1f} m, {last['falls']} falls at {last['steps']:,}",
           "walks": walks({"mean_distance": last["distance"], "falls": last["falls"],
                           "episodes": last.get("episodes", 3 if "trials" in folder.parts else 5)})}
    for step in STEPS:
        near = table.iloc[(table["steps"] - step).abs().argsort()[:1]]
        if abs(int(near["steps"].iloc[0]) - step) > 3_200:
            continue
        for column, name in COLUMNS.items():
            out[f"{name} @{step // 1000}k"] = float(near[column].iloc[0])
        window = episodes[(episodes["steps"] > step - 32_000) & (episodes["steps"] <= step)]
        out[f"ep. length @{step // 1000}k"] = float(window["length"].mean()) if len(window) else float("nan")
    return out


def main(extra: list[str]) -> None:
    folders = sorted((ROOT / "studies" / "walker-seeds" / "trials").glob("*/seed-*")) + [Path(p).resolve() for p in extra]
    rows = [r for r in map(row, folders) if r is not None]
    frame = pd.DataFrame(rows).set_index("run")
    counts = frame["walks"].value_counts().to_dict()
    text = (f"# Early diagnostics: runs that walked ({counts.get(True, 0)}) and runs that fell ({counts.get(False, 0)})\n\n"
            f"Written by `scripts/walk_or_fall.py` from the runs' committed logs; a run is labelled by its last "
            f"evaluation.\n\n```\n" + frame.round(2).to_string() + "\n```\n")
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
