"""What the search's early-signs pruner stands on: each walker run's training episodes before 500k steps, beside
whether it went on to walk (issue 17, item 2; ``utils.walkers.search.EARLY_M``).

    .venv/bin/python scripts/early_signs_table.py

Reads every walker run whose training episodes are committed: the walker recipe's three seeds
(``agents/a2c-Walker2DBulletEnv-v0/logs/seeds/``, ``logs/episodes.csv``) and the walker searches' trials
(``studies/walker-*/trials/*/seed-*``, which keep them by window of 50k steps: ``logs/episodes_by_window.csv``). For each: metres per training episode over the 50k steps up to 400k and up to 500k
steps (the episodes that ended there), the first periodic evaluation that walked 10 m or more without a fall (the
course's "time to walk"; deterministic episodes, statistics frozen), and the last evaluation. Writes
``studies/walker-focused/early_signs.md``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.walkers import run_folder  # noqa: E402
from utils.walkers.early_signs import training_episodes  # noqa: E402
from utils.walkers.search import EARLY_AT, EARLY_M, EARLY_WINDOW, EVALUATIONS  # noqa: E402

TIMESTEPS = 1_000_000
"""The search's budget per trial: the pruner looks at evaluation EARLY_AT of it (500k)."""
WINDOW = TIMESTEPS // EARLY_WINDOW
AT = (400_000, EARLY_AT * TIMESTEPS // EVALUATIONS)
WALKED_M = 10.0
OUT = ROOT / "studies" / "walker-focused" / "early_signs.md"


def row(logs: Path) -> dict:
    frame = training_episodes(logs, window=WINDOW).set_index("steps")["distance"]
    evaluations = run_folder.read_jsonl(logs / run_folder.EVALUATIONS)
    walked = [e for e in evaluations if e["distance"] >= WALKED_M and e["falls"] == 0]
    parts = logs.relative_to(ROOT).parts
    name = f"{parts[1]} trial {parts[3]}/{parts[4]}" if "trials" in parts else "/".join(parts[-3:])
    out = {"run": name}
    for step in AT:
        out[f"m per training episode @{step // 1000}k"] = float(frame.get(step, float("nan")))
    last = evaluations[-1]
    out["first walk (10 m, no fall)"] = f"{walked[0]['steps']:,}" if walked else "never"
    out["last evaluation"] = f"{last['distance']:.1f} m, {last['falls']} falls, {last['steps']:,}"
    out["outcome"] = "walked" if walked else "no walk in 1M" if last["steps"] >= TIMESTEPS else "stopped before 1M"
    return out


def main() -> None:
    folders = sorted(ROOT.glob("agents/a2c-Walker2DBulletEnv-v0/logs/seeds/seed*")) + \
        sorted(ROOT.glob("studies/walker-*/trials/*/seed-*/logs"))
    kept = (run_folder.EPISODES, run_folder.EPISODES_BY_WINDOW)
    rows = [row(f) for f in folders if any((f / k).exists() for k in kept) and (f / run_folder.EVALUATIONS).exists()]
    frame = pd.DataFrame(rows).set_index("run")
    early = frame[f"m per training episode @{AT[1] // 1000}k"]
    frame = frame[early.notna()]  # runs that reached the pruner's step
    early = early[early.notna()]

    def spread(outcome: str) -> str:
        chosen = early[frame["outcome"] == outcome]
        return f"{len(chosen)}, going {chosen.min():.2f}-{chosen.max():.2f} m per training episode" if len(chosen) else "0"
    text = (f"# Early signs: metres per training episode before {AT[1] // 1000}k steps, and whether the run walked\n\n"
            f"Written by `scripts/early_signs_table.py` from the runs' committed logs. The search's `median+floor+early` "
            f"pruner stops a trial whose worst seed went less than {EARLY_M:g} m per training episode over the "
            f"{WINDOW // 1000}k steps up to {AT[1] // 1000}k.\n\n"
            f"- runs that walked (10 m without a fall at some evaluation): {spread('walked')}\n"
            f"- runs that trained 1M steps or more and never walked: {spread('no walk in 1M')}\n"
            f"- runs stopped before 1M steps (a pruned or interrupted trial), not walking yet: {spread('stopped before 1M')}\n\n"
            "```\n" + frame.round(2).to_string() + "\n```\n")
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
