"""Packaging an agent for the Hugging Face Hub, offline first (introduced in notebook 04).

:func:`package_run` turns a training folder into the layout ``huggingface_sb3.package_to_hub`` uploads
(model zip, ``vec_normalize.pkl``, ``config.json``, ``results.json``, ``README.md`` with model-index metadata,
``replay.mp4``), reusing huggingface_sb3's own config and model-card functions. :func:`push` uploads it only
when a token and the network are there, and otherwise says it skipped. A token is never printed or stored.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path

from huggingface_sb3.push_to_hub import _generate_config, _save_model_card, generate_metadata

from utils import snapshots
from utils.evaluation import evaluate
from utils.loading import STATS, load_agent, write_manifest

PACKAGE_FILES = ("config.json", "results.json", "README.md", "replay.mp4", STATS)


def model_name(env_id: str) -> str:
    return f"a2c-{env_id}"


def _evaluate_snapshot(folder: Path, env_id: str, episodes: int, seed: int) -> dict:
    model, env = load_agent(folder, env_id, seed=seed, verify=False)  # this run's own snapshot, written just now
    result = evaluate(model, env, episodes=episodes)
    env.close()
    return {**result, "num_timesteps": int(model.num_timesteps)}


def package_run(out: Path, final_episodes: int = 10, seed: int = 0, video_steps: int = 1000) -> dict:
    """Evaluate the last and the best-evaluated policy of a run, ship the better one, and package it."""
    from utils.video import record_video

    out = Path(out)
    setup = json.loads((out / "logs" / "run.json").read_text())
    env_id = setup["env_id"]
    candidates = {name: snapshots.latest_snapshot(out / name) for name in ("last", "best")}
    scored = {name: _evaluate_snapshot(folder, env_id, final_episodes, seed)
              for name, folder in candidates.items() if folder is not None}
    shipped = max(scored, key=lambda name: scored[name]["pass_score"])
    chosen = candidates[shipped]

    name = model_name(env_id)
    shutil.copyfile(chosen / snapshots.MODEL, out / f"{name}.zip")
    shutil.copyfile(chosen / snapshots.STATS, out / STATS)
    _generate_config(name, out)
    shutil.rmtree(out / name, ignore_errors=True)  # _generate_config leaves the zip's unpacked copy behind

    result = scored[shipped]
    evaluations = [json.loads(line) for line in (out / "logs" / "evaluations.jsonl").read_text().splitlines()] \
        if (out / "logs" / "evaluations.jsonl").exists() else []
    best_periodic = max(evaluations, key=lambda r: r["mean"], default=None)
    results = {
        "mean_reward": result["mean_reward"], "std_reward": result["std_reward"],
        "is_deterministic": True, "n_eval_episodes": final_episodes,
        "eval_datetime": datetime.datetime.now().isoformat(), "env_id": env_id, "eval_seed": seed,
        "shipped": shipped, "shipped_num_timesteps": result["num_timesteps"],
        "pass_score": result["pass_score"], "episode_rewards": result["episode_rewards"],
        "candidates": {k: {f: v[f] for f in ("mean_reward", "std_reward", "pass_score", "num_timesteps")}
                       for k, v in scored.items()},
        "best_periodic_evaluation": best_periodic, "train_seconds": setup.get("train_seconds"),
        "target_timesteps": setup["target_timesteps"], "train_seed": setup["seed"],
    }
    (out / "results.json").write_text(json.dumps(results, indent=1))
    write_manifest(out, [f"{name}.zip", STATS, "config.json", "results.json"])

    model, stats = load_agent(out, env_id, seed=seed)
    record_video(env_id, model, out / "replay.mp4", steps=video_steps, seed=seed, vec_normalize=stats)
    stats.close()

    readme = out / "README.md"
    readme.unlink(missing_ok=True)
    _save_model_card(out, model_card(name, env_id, results, setup), generate_metadata(
        name, env_id, results["mean_reward"], results["std_reward"]))
    return results


def model_card(name: str, env_id: str, results: dict, setup: dict) -> str:
    """The model card text: scores, which policy is shipped and why, how to load it."""
    rows = "\n".join(
        f"| {k} | {v['num_timesteps']:,} | {v['mean_reward']:.2f} ± {v['std_reward']:.2f} | {v['pass_score']:.2f} |"
        for k, v in results["candidates"].items()
    )
    best = results["best_periodic_evaluation"]
    best_line = f"The best periodic evaluation (5 episodes) was {best['mean']:.1f} ± {best['std']:.1f} at {best['steps']:,} steps.\n" if best else ""
    minutes = (setup.get("train_seconds") or 0) / 60
    return f"""
# **A2C** agent playing **{env_id}**

A trained [stable-baselines3](https://github.com/DLR-RM/stable-baselines3) A2C agent for `{env_id}` (PyBullet),
made by the A2C course's own command:

```
{setup['command']}
```

Seed {setup['seed']}, {setup['target_timesteps']:,} steps, {minutes:.0f} min of training on a 2-core CPU.

## Evaluation ({results['n_eval_episodes']} deterministic episodes, normalisation statistics frozen, seed {results['eval_seed']})

| policy | steps | mean ± std | pass score (mean − std) |
|---|---|---|---|
{rows}

Shipped here: the **{results['shipped']}** policy (the higher pass score).
{best_line}
## Usage

```python
from huggingface_sb3 import load_from_hub
from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize
import pybullet_envs_gymnasium  # registers the Bullet ids

# Both files are pickles: loading them runs code. Only load repositories you trust.
model = A2C.load(load_from_hub("REPO_ID", "{name}.zip"))
env = VecNormalize.load(load_from_hub("REPO_ID", "vec_normalize.pkl"), make_vec_env("{env_id}", n_envs=1))
env.training, env.norm_reward = False, False
```
"""


class HubSkipped(RuntimeError):
    """The push was not attempted or did not reach the Hub; the local package is kept."""


def _token(token: str | None) -> str | None:
    if token:
        return token
    from huggingface_hub import get_token

    return os.environ.get("HF_TOKEN") or get_token()


def push(folder: Path, repo_id: str, token: str | None = None) -> str | None:
    """Upload a packaged agent folder to ``repo_id``; return its URL, or None after saying why it skipped."""
    folder = Path(folder)
    if not (folder / "results.json").is_file():
        raise FileNotFoundError(f"{folder} is not a packaged agent (no results.json); train or package it first.")
    token = _token(token)
    if not token:
        print(f"Push skipped: no Hugging Face token (set HF_TOKEN or run `huggingface-cli login`). "
              f"The package is complete in {folder}.")
        return None
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message="A2C course agent",
                                 ignore_patterns=["checkpoints/*", "best/*", "last/*", ".*"])
    except Exception as error:  # no network, bad token, ...: never show the token, keep the package
        print(f"Push skipped: the Hub could not be reached or refused the upload ({type(error).__name__}). "
              f"The package is kept in {folder}.")
        return None
    return str(getattr(info, "commit_url", f"https://huggingface.co/{repo_id}"))


def download(repo_id: str, trust: str | None, dest: Path) -> Path:
    """Download an agent from the Hub into ``dest``; ``trust`` must name ``repo_id`` (its files are pickles)."""
    if trust != repo_id:
        raise PermissionError(
            f"Loading {repo_id!r} runs pickled code from that repository: pass trust={repo_id!r} to opt in."
        )
    from huggingface_sb3 import load_from_hub

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    env_id = repo_id.split("/")[-1].removeprefix("a2c-")
    for filename in (f"{model_name(env_id)}.zip", STATS, "results.json", "SHA256SUMS"):
        shutil.copyfile(load_from_hub(repo_id, filename), dest / filename)
    return dest
