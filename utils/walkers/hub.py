"""Packaging an agent for the Hugging Face Hub, pushing it, and loading one back (introduced in notebook 05).

:func:`package_run` turns a training folder into the layout ``huggingface_sb3.package_to_hub`` uploads: the model
zip, ``vec_normalize.pkl``, ``config.json``, ``results.json`` (return, and for the walkers distance, speed and
falls), ``replay.mp4``, a ``README.md`` model card whose metadata is huggingface_sb3's ``generate_metadata``
saved with ``huggingface_hub.metadata_save``, and a ``SHA256SUMS`` manifest. :func:`push` writes the repository id
into the card and uploads, only with a token and the network. :func:`download` fetches an agent you name as
trusted and verifies it. Everything but the upload and the download works offline; a token is never printed.
"""
from __future__ import annotations

import datetime
import importlib
import json
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import stable_baselines3
from huggingface_hub import metadata_save
from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError
from huggingface_sb3 import EnvironmentName, ModelName, load_from_hub
from huggingface_sb3.push_to_hub import generate_metadata

from utils.walkers import run_folder
from utils.walkers.loading import AgentLoadError, env_id_of, load_agent, verify_agent
from utils.walkers.recipes import ALGORITHM
from utils.walkers.run_folder import CARD, CONFIG, MANIFEST, RESULTS, STATS, VIDEO
from utils.walkers.scoring import evaluate

WALKING = ("mean_distance", "std_distance", "mean_speed", "falls", "episode_distances", "episode_falls")
"""What :func:`utils.walkers.scoring.evaluate` adds for the Bullet walkers, kept in ``results.json`` beside the return."""
PACKAGE_FILES = (CONFIG, RESULTS, STATS)
"""What the manifest lists beside the model zip: every file the loader reads."""


def model_name(env_id: str) -> str:
    """huggingface_sb3's name for an A2C agent of ``env_id``: its repository name and, with ``.zip``, its file."""
    return str(ModelName(ALGORITHM, EnvironmentName(env_id)))


def _evaluate_snapshot(folder: Path, env_id: str, episodes: int, seed: int) -> dict:
    model, env = load_agent(folder, env_id, seed=seed)  # the snapshot's own manifest, written with it, is checked
    result = evaluate(model, env, episodes=episodes)
    env.close()
    return {**result, "num_timesteps": int(model.num_timesteps)}


def packaged(out: Path) -> bool:
    """Whether ``out`` holds a complete package: its manifest is written last, once everything else is there."""
    out = Path(out)
    return all((out / name).is_file() for name in (MANIFEST, RESULTS, VIDEO, CARD))


def write_config(model_zip: Path, path: Path, env_id: str) -> None:
    """``config.json``: the model's saved parameters (the zip's ``data``), the system info and the env id."""
    with zipfile.ZipFile(model_zip) as archive:
        data = json.loads(archive.read("data"))
    data["system_info"] = stable_baselines3.get_system_info(print_info=False)[0]
    data["env_id"] = env_id
    path.write_text(json.dumps(data))


REPORT_SEED_OFFSET = 1000
"""The published score's episodes are seeded ``seed + REPORT_SEED_OFFSET``: fresh, never used to choose."""


def package_run(out: Path, final_episodes: int = 10, seed: int = 0, video_steps: int = 1000) -> dict:
    """Evaluate the last and the best-evaluated policy of a run on episodes seeded ``seed``, ship the better one,
    and publish its score on fresh episodes (seeded ``seed + REPORT_SEED_OFFSET``): choosing and reporting on the
    same episodes would flatter it (the winner's curse)."""
    from utils.walkers.video import record_video

    out = Path(out)
    (out / MANIFEST).unlink(missing_ok=True)  # the package is complete again only when its manifest is rewritten
    setup = run_folder.read_json(out / run_folder.LOGS / run_folder.RUN_JSON)
    env_id = setup["env_id"]
    candidates = {name: run_folder.latest_snapshot(out / name) for name in (run_folder.LAST, run_folder.BEST)}
    scored = {name: _evaluate_snapshot(folder, env_id, final_episodes, seed)
              for name, folder in candidates.items() if folder is not None}
    shipped = max(scored, key=lambda name: scored[name]["pass_score"])
    chosen = candidates[shipped]

    name = model_name(env_id)
    shutil.copyfile(chosen / run_folder.MODEL, out / f"{name}.zip")
    shutil.copyfile(chosen / run_folder.STATS, out / STATS)
    write_config(out / f"{name}.zip", out / CONFIG, env_id)

    report_seed = seed + REPORT_SEED_OFFSET
    result = {**_evaluate_snapshot(chosen, env_id, final_episodes, report_seed)}
    evaluations = run_folder.read_jsonl(out / run_folder.LOGS / run_folder.EVALUATIONS)
    summary = ("mean_reward", "std_reward", "pass_score", "num_timesteps", "mean_distance", "std_distance", "falls")
    results = {
        "env_id": env_id, "mean_reward": result["mean_reward"], "std_reward": result["std_reward"],
        "pass_score": result["pass_score"], "is_deterministic": True, "n_eval_episodes": final_episodes,
        "eval_seed": report_seed, "choice_seed": seed, "eval_datetime": datetime.datetime.now().isoformat(),
        **{key: result[key] for key in WALKING if key in result},
        "episode_rewards": result["episode_rewards"], "episode_lengths": result["episode_lengths"],
        "shipped": shipped, "shipped_num_timesteps": result["num_timesteps"],
        "candidates": {k: {f: v[f] for f in summary if f in v} for k, v in scored.items()},
        "best_periodic_evaluation": max(evaluations, key=lambda r: r["mean"], default=None),
        "periodic_eval_every": setup["eval_every"], "periodic_eval_episodes": setup["eval_episodes"],
        "train_seconds": setup.get("train_seconds"), "target_timesteps": setup["target_timesteps"],
        "train_seed": setup["seed"],
    }
    run_folder.write_atomic(out / RESULTS, json.dumps(results, indent=1))

    model, stats = load_agent(chosen, env_id, seed=report_seed)
    record_video(env_id, model, out / VIDEO, steps=video_steps, seed=report_seed, vec_normalize=stats)
    stats.close()
    write_card(out)
    run_folder.write_manifest(out, [f"{name}.zip", *PACKAGE_FILES])
    return results


def card_metadata(results: dict) -> dict:
    """The card's metadata: huggingface_sb3's (the Hub's leaderboards read ``mean_reward``), plus, for the walkers,
    the distance walked, the speed and the falls over the same episodes."""
    env_id = results["env_id"]
    metadata = generate_metadata(model_name(env_id), env_id, results["mean_reward"], results["std_reward"])
    if "mean_distance" in results:
        metadata["model-index"][0]["results"][0]["metrics"] += [
            {"type": "mean_distance", "value": f"{results['mean_distance']:.2f} +/- {results['std_distance']:.2f}",
             "name": "distance walked (m)", "verified": False},
            {"type": "mean_speed", "value": round(results["mean_speed"], 3), "name": "mean speed (m/s)", "verified": False},
            {"type": "falls", "value": results["falls"], "name": f"falls in {results['n_eval_episodes']} episodes",
             "verified": False},
        ]
    return metadata


def _walked(row: dict) -> str:
    if "mean_distance" not in row:
        return " | – | –"  # evaluated before the course measured walking
    return f" | {row['mean_distance']:.1f} ± {row['std_distance']:.1f} | {row['falls']}"


def card_text(results: dict, setup: dict, repo_id: str | None) -> str:
    """The model card's text: the set-up, the evaluation, which policy is shipped and why, how to load it."""
    env_id, n = results["env_id"], results["n_eval_episodes"]
    name = model_name(env_id)
    walker = "mean_distance" in results
    rows = "\n".join(f"| {k} | {v['num_timesteps']:,} | {v['mean_reward']:.1f} ± {v['std_reward']:.1f} | "
                     f"{v['pass_score']:.1f}{_walked(v) if walker else ''} |" for k, v in results["candidates"].items())
    walked_header = (" | distance walked, m (mean ± std) | falls", "|---|---") if walker else ("", "")
    walked = (f"It walked {results['mean_distance']:.1f} ± {results['std_distance']:.1f} m forward per episode at "
              f"{results['mean_speed']:.2f} m/s on average, and fell in {results['falls']} of {n} episodes.\n") if walker else ""
    best = results["best_periodic_evaluation"]
    periodic = (f"During training, {results['periodic_eval_episodes']} deterministic episodes every "
                f"{results['periodic_eval_every']:,} steps; the best mean was {best['mean']:.1f} ± {best['std']:.1f} "
                f"at {best['steps']:,} steps.\n") if best else ""
    minutes = (results.get("train_seconds") or 0) / 60
    alive = setup.get("recipe", {}).get("alive_bonus", 1.0)
    reward = (f"\nTraining used a changed reward: the +1-per-step alive bonus counted {alive} (a training-only wrapper that "
              f"makes standing still pay less than walking). Every score here comes from the unmodified environment.\n"
              if alive != 1.0 else "")
    score = f"**{results['mean_reward']:.1f} ± {results['std_reward']:.1f}** (pass score {results['pass_score']:.1f})"
    published = (f"Its published score comes from {n}\n**fresh** episodes seeded {results['eval_seed']}, used for no "
                 f"choice: {score}." if "choice_seed" in results else  # packaged before the course published fresh ones
                 f"Its score, {score}, comes from these same\nepisodes, so it is slightly optimistic (the winner's curse).")
    return f"""
# **A2C** agent playing **{env_id}**

A [stable-baselines3](https://github.com/DLR-RM/stable-baselines3) A2C agent for `{env_id}` (PyBullet), trained by the
A2C course's own command:

```
{setup['command']}
```

Seed {results['train_seed']}, {results['target_timesteps']:,} steps, {minutes:.0f} min of training ({setup['versions']['machine']}).
{reward}
## Evaluation

Deterministic actions, normalisation statistics frozen (`training=False`, `norm_reward=False`), the
environment's own reward. Pass score: mean − std of the episode returns. The last and the best-evaluated policy
were compared on {n} episodes seeded {results.get('choice_seed', results['eval_seed'])}:

| policy | steps | return (mean ± std) | pass score{walked_header[0]} |
|---|---|---|---{walked_header[1]}|
{rows}

Shipped here: the **{results['shipped']}** policy, the higher pass score. {published}
{walked}{periodic}
## Usage

{_usage(repo_id, name, env_id, results['eval_seed'], n)}"""


def _usage(repo_id: str | None, name: str, env_id: str, seed: int, episodes: int) -> str:
    """The card's loading snippet: from the agent's real repository once pushed; before that, from this folder
    (a placeholder id would load whatever its owner serves to anyone who pastes it)."""
    if repo_id:
        intro, loader = "", 'load_from_hub(repo_id, "{}")'
        head = "from huggingface_sb3 import load_from_hub\n"
        setup = f'repo_id = "{repo_id}"\n'
    else:
        intro = ("Not on the Hub yet: when this folder is pushed (`utils.walkers.hub.push`), its repository id is "
                 "written here. Until then, load the files of this folder, after `sha256sum -c SHA256SUMS`:\n\n")
        loader, head, setup = '"{}"', "", ""
    return f"""{intro}```python
{head}from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecNormalize
import pybullet_envs_gymnasium  # registers the Bullet ids: pip install pybullet-envs-gymnasium

{setup}# Both files are pickles: loading them runs code. Only load agents you trust.
model = A2C.load({loader.format(name + ".zip")}, device="cpu")
env = VecNormalize.load({loader.format(STATS)}, make_vec_env("{env_id}", n_envs=1, seed={seed}))
env.training, env.norm_reward = False, False  # frozen statistics, the environment's own rewards
mean, std = evaluate_policy(model, env, n_eval_episodes={episodes}, deterministic=True)
print(f"{{mean:.1f}} ± {{std:.1f}}")
```
"""


def write_card(folder: Path, repo_id: str | None = None) -> Path:
    """Write ``README.md`` from ``results.json`` and ``logs/run.json``; ``repo_id`` (once pushed) goes into the
    usage snippet."""
    folder = Path(folder)
    results = run_folder.read_json(folder / RESULTS)
    setup = run_folder.read_json(folder / run_folder.LOGS / run_folder.RUN_JSON)
    readme = folder / CARD
    readme.write_text(card_text(results, setup, repo_id))
    metadata_save(readme, card_metadata(results))
    return readme


class HubUnreachable(ConnectionError):
    """The Hub could not be reached; nothing was loaded."""


def reachable(timeout: float = 5.0) -> bool:
    """Whether the Hub answers within ``timeout`` seconds: one request, where a download retries for a minute.
    The standard library's, because huggingface_hub's own client changed (requests in 0.x, httpx in 1.x and 2.x)."""
    from huggingface_hub import constants

    try:
        urllib.request.urlopen(urllib.request.Request(constants.ENDPOINT, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return True  # it answered
    except (OSError, ValueError):  # URLError is an OSError; a timeout too
        return False
    return True


def _transport_errors() -> tuple[type[Exception], ...]:
    """The network errors of whichever HTTP client this huggingface_hub uses (requests, httpx or httpx2)."""
    errors = []
    for module, names in (("requests", ("ConnectionError", "Timeout")), ("httpx", ("TransportError",)),
                          ("httpx2", ("TransportError",))):  # not requests' HTTPError: 0.x's Hub errors subclass it
        try:
            errors += [getattr(importlib.import_module(module), name) for name in names]
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


def _token(token: str | None) -> str | None:
    if token:
        return token
    from huggingface_hub import get_token

    return os.environ.get("HF_TOKEN") or get_token()


def push(folder: Path, repo_id: str, token: str | None = None) -> str | None:
    """Write ``repo_id`` into the card and upload a packaged agent folder; return its URL, or None after saying why."""
    folder = Path(folder)
    if not packaged(folder):
        raise FileNotFoundError(f"{folder} is not a complete package; finish its training (python -m utils.train --out {folder} --resume) first.")
    token = _token(token)
    if not token:
        print(f"Push skipped: no Hugging Face token (set HF_TOKEN or run `huggingface-cli login`). "
              f"The package is complete in {folder}.")
        return None
    from huggingface_hub import HfApi

    write_card(folder, repo_id)
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message="A2C course agent",
                                 ignore_patterns=["checkpoints/*", "best/*", "last/*", ".*"])
    except Exception as error:  # no network, bad token, ...: never show the token, keep the package
        write_card(folder)  # not on the Hub after all: the card says so again
        print(f"Push skipped: the Hub could not be reached or refused the upload ({type(error).__name__}). "
              f"The package is kept in {folder}.")
        return None
    return str(getattr(info, "commit_url", f"https://huggingface.co/{repo_id}"))


def download(repo_id: str, trust: str | None, dest: Path) -> Path:
    """Fetch an agent from the Hub into ``dest`` and verify it; ``trust`` must name ``repo_id`` (its files are pickles).

    A course package lists its files in ``SHA256SUMS``: each is fetched and checked. A repository without one (the
    zoo's, for instance) is fetched as huggingface_sb3 names its files (``<repository name>.zip``,
    ``vec_normalize.pkl``), and the manifest is written here over the files as fetched, under the trust you named.
    The model card comes too; the environment id is read from the verified files (``config.json``, or the card of a
    repository without a manifest). Manifest names must be plain file names: no blank line, absolute or ``..`` name.
    """
    if trust != repo_id:
        raise PermissionError(
            f"Loading {repo_id!r} runs pickled code from that repository: pass trust={repo_id!r} to opt in."
        )
    if not reachable():
        raise HubUnreachable(f"The Hub could not be reached (no network?): {repo_id} was not downloaded.")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)

    def fetch(filename: str) -> None:
        try:
            shutil.copyfile(load_from_hub(repo_id, filename), dest / filename)
        except (LocalEntryNotFoundError, *_transport_errors()) as error:
            raise HubUnreachable(f"The Hub could not be reached to fetch {repo_id}/{filename} "
                                 f"({type(error).__name__}); nothing was loaded.") from None
        except RepositoryNotFoundError:
            raise FileNotFoundError(f"No repository {repo_id!r} on the Hub (or it is private: log in first).") from None

    try:
        fetch(MANIFEST)
    except EntryNotFoundError:
        names = [f"{repo_id.split('/')[-1]}.zip", STATS, CARD]
        for filename in names:
            fetch(filename)
        run_folder.write_manifest(dest, names)
    else:
        names = list(run_folder.read_manifest(dest))  # blank lines, absolute and '..' names refused here
        nested = [name for name in names if "/" in name]
        if nested:
            raise AgentLoadError(f"{repo_id}'s {MANIFEST} names {nested[0]!r}: an agent's files sit at the top of its "
                                 "repository; refused.")
        if not any(name.endswith(".zip") for name in names) or STATS not in names:
            raise AgentLoadError(f"{repo_id}'s {MANIFEST} lists no model zip or no {STATS}: not an agent; refused.")
        for filename in names + ([CARD] if CARD not in names else []):
            fetch(filename)
    listed = verify_agent(dest)
    env_id_of(dest, listed)  # a one-line error now if no verified file names the environment
    return dest
