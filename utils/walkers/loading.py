"""Loading agents safely, with one-line errors for the usual mistakes.

SB3 model zips and ``vec_normalize.pkl`` contain pickles, and unpickling runs code. So a folder is loaded
only after its ``SHA256SUMS`` manifest is verified, and an agent from the Hub only when the caller names
the repository they trust. Introduced in notebook 05.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import zipfile
from pathlib import Path

from stable_baselines3 import A2C
from stable_baselines3.common.vec_env import VecNormalize

MANIFEST = "SHA256SUMS"
STATS = "vec_normalize.pkl"


class AgentLoadError(ValueError):
    """An agent folder or file that cannot be loaded as it is; the message says why and what to do."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, names: list[str]) -> Path:
    """Write ``SHA256SUMS`` (``sha256sum`` format) for the files ``names`` of ``folder``."""
    folder = Path(folder)
    lines = [f"{sha256(folder / name)}  {name}" for name in sorted(names)]
    (folder / MANIFEST).write_text("\n".join(lines) + "\n")
    return folder / MANIFEST


def verify_manifest(folder: Path) -> list[str]:
    """Check every file listed in ``folder/SHA256SUMS``; return the names, or raise a one-line error."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise AgentLoadError(
            f"{folder} has no {MANIFEST} manifest, so its pickled files cannot be verified before loading; "
            "load it with verify=False only if you made it yourself."
        )
    names = []
    for line in manifest.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        path = folder / name
        if not path.is_file():
            raise AgentLoadError(f"{path} is listed in {MANIFEST} but missing.")
        if sha256(path) != expected:
            raise AgentLoadError(f"{path} does not match its SHA-256 in {MANIFEST}: the file was changed; not loading it.")
        names.append(name)
    return names


def model_file(folder: Path) -> Path:
    """The model zip of an agent folder (``a2c-<env>.zip`` in the Hub layout, or ``model.zip``)."""
    folder = Path(folder)
    zips = sorted(p for p in folder.glob("*.zip"))
    if len(zips) != 1:
        raise AgentLoadError(f"Expected exactly one model .zip in {folder}, found {len(zips)}.")
    return zips[0]


def env_id_of(folder: Path) -> str:
    """The environment id an agent folder was trained on: from ``results.json``, ``meta.json`` or ``config.json``
    (the course's), else from its model card's metadata (any huggingface_sb3 package, the zoo's included)."""
    folder = Path(folder)
    for name in ("results.json", "meta.json", "config.json"):
        if (folder / name).is_file():
            data = json.loads((folder / name).read_text())
            if "env_id" in data:
                return data["env_id"]
    if (folder / "README.md").is_file():
        from huggingface_hub import ModelCard

        results = ModelCard.load(folder / "README.md").data.eval_results or []
        if results:
            return results[0].dataset_type
    raise AgentLoadError(f"Cannot tell which environment {folder} was trained on; pass env_id.")


EVALUATION_ONLY = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0}
"""What only training needs, replaced on loading: schedules pickled by other code bases (the zoo's, an older
course's) would otherwise have to be importable here. To train on, load with ``A2C.load`` (as ``train`` resumes)."""


def load_model(path: Path, env_id: str | None = None) -> A2C:
    """Load an A2C zip on the CPU for evaluation; a damaged file or a model of another environment gets a clear error.

    Spaces pickled with a package missing here (old zips pickle ``gym``'s) are replaced by ``env_id``'s, whose
    shapes the weights must then fit.
    """
    path = Path(path)
    if not path.is_file():
        raise AgentLoadError(f"Model file {path} not found.")
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise AgentLoadError(f"{path} is corrupted or truncated (not a valid zip: {error}); re-download or retrain.") from None
    if bad is not None:
        raise AgentLoadError(f"{path} is corrupted: member {bad!r} fails its checksum; re-download or retrain.")
    try:
        try:
            model = A2C.load(path, device="cpu", custom_objects=EVALUATION_ONLY)
        except ModuleNotFoundError:
            if env_id is None:
                raise
            model = A2C.load(path, device="cpu", custom_objects={**EVALUATION_ONLY, **spaces(env_id)})
    except Exception as error:  # SB3 raises many types on a damaged or foreign archive
        raise AgentLoadError(f"{path} could not be loaded as an A2C model ({type(error).__name__}: {error}).") from None
    if env_id is not None:
        check_spaces(model, env_id)
    return model


def spaces(env_id: str) -> dict:
    """The observation and action spaces of ``env_id``."""
    from utils.walkers.envs import make_env

    env = make_env(env_id)
    env.close()
    return {"observation_space": env.observation_space, "action_space": env.action_space}


def check_spaces(model, env_id: str) -> None:
    """Raise a one-line error if ``model`` was trained on an environment with other observation/action shapes."""
    expected = spaces(env_id)
    obs, act = expected["observation_space"].shape, expected["action_space"].shape
    if model.observation_space.shape != obs or model.action_space.shape != act:
        raise AgentLoadError(
            f"This model was trained on another environment: it expects observations {model.observation_space.shape} "
            f"and actions {model.action_space.shape}, but {env_id} has {obs} and {act}."
        )


def load_vec_normalize(path: Path, venv) -> VecNormalize:
    """Load saved normalisation statistics onto ``venv``, frozen for evaluation, with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise AgentLoadError(
            f"{path} not found: this agent was trained on normalised observations and needs its statistics "
            f"({STATS}) saved beside the model."
        )
    try:
        env = VecNormalize.load(str(path), venv)
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as error:
        raise AgentLoadError(f"{path} is not a readable VecNormalize file ({type(error).__name__}).") from None
    except AssertionError:
        raise AgentLoadError(f"{path} holds statistics for another environment (observation shapes differ).") from None
    if env.obs_rms is not None and env.obs_rms.mean.shape != venv.observation_space.shape:
        raise AgentLoadError(
            f"{path} holds statistics of shape {env.obs_rms.mean.shape}, but the environment observes "
            f"{venv.observation_space.shape}: they belong to another environment."
        )
    env.training = False
    env.norm_reward = False
    return env


def load_agent(folder: Path, env_id: str | None = None, seed: int = 0, verify: bool = True):
    """Load ``(model, frozen evaluation env)`` from an agent folder, verifying its manifest first."""
    from utils.walkers.envs import make_vec

    folder = Path(folder)
    if not folder.is_dir():
        raise AgentLoadError(f"Agent folder {folder} not found.")
    if verify:
        verify_manifest(folder)
    env_id = env_id or env_id_of(folder)
    model = load_model(model_file(folder), env_id)
    env = load_vec_normalize(folder / STATS, make_vec(env_id, n_envs=1, seed=seed))
    return model, env
