"""Loading agents safely, with one-line errors for the usual mistakes.

SB3 model zips and ``vec_normalize.pkl`` contain pickles, and unpickling runs code. So a folder is loaded
only after its ``SHA256SUMS`` manifest (:mod:`utils.walkers.run_folder`) is verified and found to list every file
that is loaded, and an agent from the Hub only when the caller names the repository they trust. Introduced in
notebook 05.
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

from stable_baselines3.common.vec_env import VecNormalize

from utils.walkers import run_folder
from utils.walkers.recipes import ALGORITHM, ALGORITHMS
from utils.walkers.run_folder import CARD, MANIFEST, STATS, RunFolderError

AgentLoadError = RunFolderError
"""An agent folder or file that cannot be loaded as it is; the message says why and what to do."""
ENV_ID_SOURCES = (run_folder.RESULTS, run_folder.META, run_folder.CONFIG)
"""The course's files that name an agent's environment, read in this order (then the model card's metadata)."""


def verify_agent(folder: Path) -> list[str]:
    """Check ``folder``'s manifest before anything is loaded: it must list exactly one model zip and the statistics,
    and each listed file must match its hash; return the listed names. Only listed files are ever read."""
    folder = Path(folder)
    listed = run_folder.verify_manifest(folder)
    zips = [name for name in listed if name.endswith(".zip")]
    if len(zips) != 1:
        raise AgentLoadError(f"{folder / MANIFEST} lists {len(zips)} model zips; an agent has exactly one: refused.")
    if STATS not in listed:
        hint = "" if (folder / STATS).is_file() else (f" ({folder / STATS} not found: this agent was trained on "
                                                       "normalised observations and needs its statistics)")
        raise AgentLoadError(f"{folder / MANIFEST} does not list {STATS}, which loading needs: refused{hint}.")
    return listed


def model_file(folder: Path, listed: list[str]) -> Path:
    """The model zip the manifest lists (``a2c-<env>.zip`` in the Hub layout, or ``model.zip`` in a snapshot)."""
    return Path(folder) / next(name for name in listed if name.endswith(".zip"))


def env_id_of(folder: Path, listed: list[str]) -> str:
    """The environment id an agent folder was trained on, from its verified files: ``results.json``, ``meta.json``
    or ``config.json`` (the course's), else the model card's metadata (any huggingface_sb3 package, the zoo's too)."""
    folder = Path(folder)
    for name in ENV_ID_SOURCES:
        if name in listed:
            data = run_folder.read_json(folder / name)
            if "env_id" in data:
                return data["env_id"]
    if CARD in listed:
        from huggingface_hub import ModelCard

        results = ModelCard.load(folder / CARD).data.eval_results or []
        if results:
            return results[0].dataset_type
    raise AgentLoadError(f"Cannot tell which environment {folder} was trained on (none of its verified files names "
                         "it); pass env_id.")


EVALUATION_ONLY = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0}
"""What only training needs, replaced on loading: schedules pickled by other code bases (the zoo's, an older
course's) would otherwise have to be importable here. To train on, load with ``A2C.load`` (as ``train`` resumes)."""


def load_model(path: Path, env_id: str | None = None):
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
            model = ALGORITHMS[ALGORITHM].load(path, device="cpu", custom_objects=EVALUATION_ONLY)
        except ModuleNotFoundError:
            if env_id is None:
                raise
            model = ALGORITHMS[ALGORITHM].load(path, device="cpu", custom_objects={**EVALUATION_ONLY, **spaces(env_id)})
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


def load_agent(folder: Path, env_id: str | None = None, seed: int = 0):
    """Load ``(model, frozen evaluation env)`` from an agent folder or a run's snapshot, its manifest verified first."""
    from utils.walkers.envs import make_vec

    folder = Path(folder)
    if not folder.exists():
        raise AgentLoadError(f"Agent folder {folder} not found.")
    if not folder.is_dir():
        raise AgentLoadError(f"{folder} is a file: give the agent's folder (the one holding {MANIFEST}).")
    if not (folder / MANIFEST).is_file() and (folder / run_folder.LOGS / run_folder.RUN_JSON).is_file():
        raise AgentLoadError(f"{folder} is a run that is not packaged yet (no {MANIFEST}): its training has not "
                             f"finished; python -m utils.train --out {folder} --resume finishes it and its package.")
    listed = verify_agent(folder)
    env_id = env_id or env_id_of(folder, listed)
    model = load_model(model_file(folder, listed), env_id)
    env = load_vec_normalize(folder / STATS, make_vec(env_id, n_envs=1, seed=seed))
    return model, env
