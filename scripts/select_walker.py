"""Choose the walker to ship among the training seeds, on one set of episodes; report all seeds on another.

    .venv/bin/python scripts/select_walker.py runs/walker/seed0 runs/walker/seed1 runs/walker/seed2
    .venv/bin/python scripts/select_walker.py --table-only   # the table again, from the committed seeds.json

Each run folder already holds its package (the better of its best-evaluated and last policies, chosen by
``utils.train`` on that run's final episodes). Here every package is evaluated on SELECTION episodes (10, seed
100) to choose the seed to ship, by pass score (mean − std of the return), and on REPORT episodes (10, seed 7: the issue's
command) that played no part in any choice. The chosen package is copied to ``agents/a2c-Walker2DBulletEnv-v0``
with every seed's logs under ``logs/seeds/`` and the table in ``logs/seeds.md`` / ``logs/seeds.json``. Under the
table: how many seeds walk on the report episodes (``utils.walkers.scoring.walks``) and the report's distance and
return over the seeds, IQM with a 95 % bootstrap interval beside mean ± std (``utils.course.over_seeds``).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from utils.course.over_seeds import describe, summary
from utils.course.session import AGENTS
from utils.walkers.scoring import WALKS_MAX_FALLS, WALKS_METRES, evaluate, walks
from utils.walkers.loading import load_agent
from utils.walkers import run_folder

SELECTION = {"episodes": 10, "seed": 100}
REPORT = {"episodes": 10, "seed": 7}
DEST = AGENTS / "a2c-Walker2DBulletEnv-v0"
LOGS = ("evaluations.jsonl", "run.json", "train.log", "episodes.csv")


def score(folder: Path, episodes: int, seed: int) -> dict:
    model, env = load_agent(folder, seed=seed)
    result = evaluate(model, env, episodes=episodes)
    env.close()
    keys = ("mean_reward", "std_reward", "mean_distance", "std_distance", "mean_speed", "falls")
    return {k: round(result[k], 2) for k in keys} | {"episodes": episodes, "seed": seed}


def first_walk(folder: Path, metres: float = 10.0) -> dict | None:
    """The first periodic evaluation that walked ``metres`` on average: steps and seconds of training."""
    for record in run_folder.read_jsonl(folder / run_folder.LOGS / run_folder.EVALUATIONS):
        if record.get("distance", 0) >= metres:
            return {"steps": record["steps"], "train_seconds": record["wall"]}
    return None


def main(runs: list[str]) -> None:
    rows = []
    for run in map(Path, runs):
        results = json.loads((run / "results.json").read_text())
        rows.append({"run": run.name, "training_seed": json.loads((run / "logs" / "run.json").read_text())["seed"],
                     "policy": results["shipped"], "policy_steps": results["shipped_num_timesteps"],
                     "selection": score(run, **SELECTION), "report": score(run, **REPORT),
                     "first_10m": first_walk(run)})
        print(rows[-1], flush=True)
    # the course's shipping rule: the pass score (mean - std of the return), which rewards walking far and never falling
    chosen = max(rows, key=lambda r: r["selection"]["mean_reward"] - r["selection"]["std_reward"])
    source = Path(runs[[r["run"] for r in rows].index(chosen["run"])])

    shutil.copytree(source, DEST, ignore=shutil.ignore_patterns("checkpoints", "best", "last", "logs"), dirs_exist_ok=True)
    for row, run in zip(rows, map(Path, runs)):
        (DEST / "logs" / "seeds" / run.name).mkdir(parents=True, exist_ok=True)
        for name in LOGS:
            shutil.copy2(run / "logs" / name, DEST / "logs" / "seeds" / run.name / name)
    for name in LOGS:
        shutil.copy2(source / "logs" / name, DEST / "logs" / name)

    write_table(chosen["run"], rows)


def write_table(shipped: str, rows: list[dict]) -> None:
    """``logs/seeds.md`` and ``logs/seeds.json``: every seed on both sets of episodes, then the result over seeds."""
    lines = [f"Training seeds of the walker recipe, each package evaluated on {SELECTION['episodes']} deterministic "
             f"episodes with seed {SELECTION['seed']} (used to choose) and {REPORT['episodes']} with seed "
             f"{REPORT['seed']} (used for nothing else). Shipped: {shipped}.", "",
             "| run | policy | selection: return | selection: distance (m) | falls | report: return | "
             "report: distance (m) | falls | walks | first eval ≥ 10 m |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, p, w = r["selection"], r["report"], r["first_10m"]
        walk = f"{w['steps']:,} steps, {w['train_seconds'] / 60:.1f} min" if w else "never"
        mark = " (shipped)" if r["run"] == shipped else ""
        lines.append(f"| {r['run']}{mark} | {r['policy']} at {r['policy_steps']:,} | {s['mean_reward']:.1f} ± "
                     f"{s['std_reward']:.1f} | {s['mean_distance']:.1f} ± {s['std_distance']:.1f} | {s['falls']} | "
                     f"{p['mean_reward']:.1f} ± {p['std_reward']:.1f} | {p['mean_distance']:.1f} ± "
                     f"{p['std_distance']:.1f} | {p['falls']} | {'yes' if walks(p) else 'no'} | {walk} |")
    report = [r["report"] for r in rows]
    lines += ["", f"Walks (report episodes: at least {WALKS_METRES:g} m on average, falls in at most "
                  f"{WALKS_MAX_FALLS * 10:g} in 10 episodes): **{sum(map(walks, report))} of {len(rows)} seeds**.",
              "", "Over the seeds, report episodes (each seed's mean; interquartile mean with a 95 % percentile-bootstrap "
                  "interval over seeds, beside mean ± std):", "",
              f"- distance: {describe(summary([p['mean_distance'] for p in report]), unit=' m')}",
              f"- return: {describe(summary([p['mean_reward'] for p in report]))}"]
    (DEST / "logs" / "seeds.md").write_text("\n".join(lines) + "\n")
    (DEST / "logs" / "seeds.json").write_text(json.dumps({"shipped": shipped, "runs": rows}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] == ["--table-only"]:
        committed = json.loads((DEST / "logs" / "seeds.json").read_text())
        write_table(committed["shipped"], committed["runs"])
    else:
        main(sys.argv[1:])
