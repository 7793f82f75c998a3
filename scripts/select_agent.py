"""Choose the agent to ship among a recipe's training seeds on one set of episodes; report every seed on another.

    .venv/bin/python scripts/select_agent.py --env Walker2DBulletEnv-v0 runs/walker/seed0 runs/walker/seed1 runs/walker/seed2
    .venv/bin/python scripts/select_agent.py --env AntBulletEnv-v0 runs/spider/seed3 runs/spider/seed4 runs/spider/seed5
    .venv/bin/python scripts/select_agent.py --env AntBulletEnv-v0 --table-only   # the table again, from seeds.json
    .venv/bin/python scripts/select_agent.py --env Walker2DBulletEnv-v0 --check DIR runs/walker/seed10 ...  # a candidate
    .venv/bin/python scripts/select_agent.py --env Walker2DBulletEnv-v0 --check DIR --table-only  # its table again

Each run folder already holds its package (the better of its best-evaluated and last policies, chosen by
``utils.train`` on that run's final episodes). Every package is evaluated on SELECTION episodes (10, seed 100) to
choose the seed, by pass score (mean − std of the return); the chosen seed and the agent already shipped in
``agents/a2c-ENV`` then play DECISION episodes (10, seed 200: the selection ones would flatter the seed they chose),
and the shipped agent is replaced only if the chosen seed's pass score there is higher. Every seed is reported on
REPORT episodes (10, seed 7: the README's command) that played no part in any choice. The seeds' logs go to
``agents/a2c-ENV/logs/seeds/`` and the table to ``logs/seeds.md`` / ``logs/seeds.json``. Under the table: how many
seeds walk on the report episodes (``utils.walkers.scoring.walks``) and the report's distance and return over the
seeds, IQM with a 95 % bootstrap interval beside mean ± std (``utils.course.over_seeds``).

``--check DIR`` reports a candidate recipe's seeds the same way (both sets of episodes, the same table, the seeds'
logs) into ``DIR``, and chooses and ships nothing: what a recipe would do over seeds before it becomes the robot's.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from utils.course.over_seeds import describe, summary
from utils.course.session import AGENTS
from utils.walkers import run_folder
from utils.walkers.loading import load_agent
from utils.walkers.scoring import WALKS_MAX_FALLS, WALKS_METRES, evaluate, walks

SELECTION = {"episodes": 10, "seed": 100}
DECISION = {"episodes": 10, "seed": 200}
REPORT = {"episodes": 10, "seed": 7}
LOGS = ("evaluations.jsonl", "run.json", "train.log", "episodes.csv")
ROBOTS = {"Walker2DBulletEnv-v0": "walker", "AntBulletEnv-v0": "spider"}


def score(folder: Path, episodes: int, seed: int) -> dict:
    model, env = load_agent(folder, seed=seed)
    result = evaluate(model, env, episodes=episodes)
    env.close()
    keys = ("mean_reward", "std_reward", "mean_distance", "std_distance", "mean_speed", "falls")
    return {k: round(result[k], 2) for k in keys} | {"episodes": episodes, "seed": seed}


def pass_score(result: dict) -> float:
    """The course's shipping rule: mean − std of the return, which rewards going far and never falling."""
    return result["mean_reward"] - result["std_reward"]


def first_walk(folder: Path, metres: float = 10.0) -> dict | None:
    """The first periodic evaluation that walked ``metres`` on average: steps and seconds of training."""
    for record in run_folder.read_jsonl(folder / run_folder.LOGS / run_folder.EVALUATIONS):
        if record.get("distance", 0) >= metres:
            return {"steps": record["steps"], "train_seconds": record["wall"]}
    return None


def main(env_id: str, runs: list[Path], check: Path | None = None) -> None:
    dest = AGENTS / f"a2c-{env_id}"
    rows = []
    for run in runs:
        results = json.loads((run / "results.json").read_text())
        rows.append({"run": run.name, "training_seed": json.loads((run / "logs" / "run.json").read_text())["seed"],
                     "policy": results["shipped"], "policy_steps": results["shipped_num_timesteps"],
                     "selection": score(run, **SELECTION), "report": score(run, **REPORT),
                     "first_10m": first_walk(run)})
        print(rows[-1], flush=True)
    if check is not None:  # a candidate: every seed reported, nothing chosen or shipped
        copy_logs(runs, check / "seeds")
        command = json.loads((runs[0] / "logs" / "run.json").read_text())["command"]
        write_table(env_id, None, rows, dest=check, command=command)
        return
    chosen = max(rows, key=lambda r: pass_score(r["selection"]))
    source = runs[[r["run"] for r in rows].index(chosen["run"])]
    incumbent = None
    if (dest / "SHA256SUMS").is_file():  # the head-to-head on its own episodes: the selection ones flatter the chosen
        incumbent = {"decision": score(dest, **DECISION), "report": score(dest, **REPORT)}
        chosen["decision"] = score(source, **DECISION)
        print("shipped until now:", incumbent, flush=True)
    ship = incumbent is None or pass_score(chosen["decision"]) > pass_score(incumbent["decision"])
    if ship:
        # the previous agent's snapshots, logs and GIF describe it, not the new one (scripts/readme_gifs.sh and
        # scripts/reevaluate_agents.sh make them again)
        for stale in (*run_folder.SNAPSHOT_ROOTS, "logs"):
            shutil.rmtree(dest / stale, ignore_errors=True)
        (dest / "walking.gif").unlink(missing_ok=True)
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("checkpoints", "best", "last", "logs"),
                        dirs_exist_ok=True)
        (dest / "logs").mkdir(parents=True, exist_ok=True)
        for name in LOGS:
            shutil.copy2(source / "logs" / name, dest / "logs" / name)
    copy_logs(runs, dest / "logs" / "seeds")
    write_table(env_id, chosen["run"] if ship else None, rows, incumbent)


def copy_logs(runs: list[Path], into: Path) -> None:
    """Each run's logs (:data:`LOGS`, those it has: a run without periodic evaluations has no evaluations.jsonl) into
    ``into/<run name>``."""
    for run in runs:
        (into / run.name).mkdir(parents=True, exist_ok=True)
        for name in LOGS:
            if (run / "logs" / name).is_file():
                shutil.copy2(run / "logs" / name, into / run.name / name)


def write_table(env_id: str, shipped: str | None, rows: list[dict], incumbent: dict | None = None,
                dest: Path | None = None, command: str | None = None) -> None:
    """``logs/seeds.md`` and ``logs/seeds.json``: every seed on both sets of episodes, then the result over seeds.
    With ``dest`` (``--check``: a candidate recipe, trained by ``command``), ``dest/seeds.md`` and ``dest/seeds.json``."""
    logs = AGENTS / f"a2c-{env_id}" / "logs" if dest is None else dest
    if command is not None:
        decision = f"A candidate recipe, nothing chosen or shipped; the first seed's command: `{command}`."
    elif incumbent is None:
        decision = f"Shipped: {shipped}."
    else:
        best = next(r for r in rows if "decision" in r)
        verdict = (f"{shipped} replaced it" if shipped else "it was kept")
        decision = (f"Against the agent shipped before, on {DECISION['episodes']} other episodes (seed "
                    f"{DECISION['seed']}), pass score {pass_score(best['decision']):.1f} for {best['run']} and "
                    f"{pass_score(incumbent['decision']):.1f} for the previous agent: {verdict}. The previous agent's "
                    f"report: {incumbent['report']['mean_reward']:.1f} ± {incumbent['report']['std_reward']:.1f}, "
                    f"{incumbent['report']['mean_distance']:.1f} m, {incumbent['report']['falls']} falls.")
    recipe = f"the {ROBOTS[env_id]} recipe" if command is None else "a candidate recipe"
    chose = "used to choose" if command is None else "those the shipping rule would choose on"
    lines = [f"Training seeds of {recipe}, each package evaluated on {SELECTION['episodes']} "
             f"deterministic episodes with seed {SELECTION['seed']} ({chose}) and {REPORT['episodes']} with "
             f"seed {REPORT['seed']} (used for nothing else). {decision}", "",
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
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "seeds.md").write_text("\n".join(lines) + "\n")
    record = ({"shipped": shipped, "runs": rows} | ({"incumbent": incumbent} if incumbent else {})
              | ({"command": command} if command else {}))
    (logs / "seeds.json").write_text(json.dumps(record, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=sorted(ROBOTS))
    parser.add_argument("--table-only", action="store_true", help="rewrite the table from the committed seeds.json")
    parser.add_argument("--check", type=Path, metavar="DIR",
                        help="a candidate recipe: report its seeds into DIR, choose and ship nothing")
    parser.add_argument("runs", nargs="*", type=Path, help="run folders of utils.train, one per training seed")
    args = parser.parse_args()
    if args.table_only:
        committed = json.loads(((args.check or AGENTS / f"a2c-{args.env}" / "logs") / "seeds.json").read_text())
        write_table(args.env, committed["shipped"], committed["runs"], committed.get("incumbent"), dest=args.check,
                    command=committed.get("command"))
    elif not args.runs:
        parser.error("give the run folders, or --table-only")
    else:
        main(args.env, args.runs, check=args.check)
