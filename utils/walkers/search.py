"""Searching A2C hyperparameters with Optuna: the search space, the objective (metres walked), the storage.

Used by ``python -m utils.tune`` (the command line) and notebook 05. Optuna does the searching (TPE sampler,
median pruner, journal or database storage); this module only says what to search and what "good" means:

* the **objective** is the mean forward distance of deterministic evaluation episodes on the unmodified
  environment, statistics frozen, averaged over the last :data:`LATE_EVALUATIONS` periodic evaluations, so a
  trial scores for a walk that lasts rather than for one lucky evaluation; the return is kept beside it;
* each trial trains with the course's own :func:`utils.walkers.runs.train` (the same code as ``utils.train``), with
  the trial number as its seed: one seed per trial (two would double the cost), but a different one for every
  trial, so that no single seed's luck is tuned; re-train the best recipes on several seeds before trusting them;
* the **storage** is a journal file (one line per event, only ever appended to) by default, or any database
  URL Optuna accepts: several workers, on one machine or many, share a study through it.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from utils.walkers import run_folder
from utils.walkers.recipes import A2CRecipe

OBJECTIVE = "mean forward distance (m), last evaluations, unmodified env"
"""Stored with each study; a study made for another objective is refused."""
LATE_EVALUATIONS = 3
"""The objective averages the distance of this many last periodic evaluations."""
EVALUATIONS = 8
"""Periodic evaluations per trial (every ``timesteps // EVALUATIONS`` steps)."""
EVAL_EPISODES = 3
"""Deterministic episodes per periodic evaluation."""
DONE = (TrialState.COMPLETE, TrialState.PRUNED)
NETS = {"small": (64, 64), "medium": (256, 256)}


class SearchError(ValueError):
    """Bad input to the search: the message is one line and nothing was written."""


def sample_recipe(trial: optuna.Trial, base: A2CRecipe) -> A2CRecipe:
    """Draw an A2C recipe: the batch shape, the estimator, the optimiser, exploration, the network, the reward.

    Ranges follow RL Baselines3 Zoo's ``sample_a2c_params`` (``hyperparams_opt.py``), plus the training
    reward's alive-bonus weight (see :class:`utils.walkers.walking.ScaleAliveBonus`).
    """
    use_sde = trial.suggest_categorical("use_sde", [True, False])
    return replace(
        base,
        n_envs=trial.suggest_categorical("n_envs", [2, 4, 8, 16]),
        n_steps=trial.suggest_categorical("n_steps", [4, 8, 16, 32, 64]),
        gamma=trial.suggest_categorical("gamma", [0.98, 0.99, 0.995, 0.999]),
        gae_lambda=trial.suggest_categorical("gae_lambda", [0.8, 0.9, 0.92, 0.95, 0.98, 1.0]),
        learning_rate=trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        lr_schedule=trial.suggest_categorical("lr_schedule", ["linear", "constant"]),
        use_rms_prop=trial.suggest_categorical("use_rms_prop", [True, False]),
        normalize_advantage=trial.suggest_categorical("normalize_advantage", [False, True]),
        ent_coef=trial.suggest_float("ent_coef", 1e-8, 1e-2, log=True),
        vf_coef=trial.suggest_float("vf_coef", 0.2, 1.0),
        max_grad_norm=trial.suggest_categorical("max_grad_norm", [0.3, 0.5, 0.8, 1.0, 2.0, 5.0]),
        use_sde=use_sde,
        sde_sample_freq=trial.suggest_categorical("sde_sample_freq", [-1, 4, 8, 16]) if use_sde else -1,
        log_std_init=trial.suggest_float("log_std_init", -4.0, 0.0),
        net_arch=NETS[trial.suggest_categorical("net_arch", list(NETS))],
        activation=trial.suggest_categorical("activation", ["tanh", "relu"]),
        ortho_init=trial.suggest_categorical("ortho_init", [False, True]),
        alive_bonus=trial.suggest_categorical("alive_bonus", [0.0, 0.1, 0.25, 0.5, 1.0]),
        parallel=False,  # one core per trial: parallelism comes from running several workers
    )


def recipe_params(recipe: A2CRecipe) -> dict:
    """The search-space parameters of ``recipe``, for ``study.enqueue_trial`` (a known recipe as a trial)."""
    names = ("use_sde", "n_envs", "n_steps", "gamma", "gae_lambda", "learning_rate", "lr_schedule", "use_rms_prop",
             "normalize_advantage", "vf_coef", "max_grad_norm", "log_std_init", "activation", "ortho_init",
             "alive_bonus")
    params = {name: getattr(recipe, name) for name in names}
    params["ent_coef"] = max(recipe.ent_coef, 1e-8)
    params["net_arch"] = next(k for k, v in NETS.items() if v == tuple(recipe.net_arch))
    if recipe.use_sde:
        params["sde_sample_freq"] = recipe.sde_sample_freq
    return params


def open_storage(storage: str | Path):
    """A journal file (created if missing, only appended to) or a database URL such as ``postgresql://...``."""
    text = str(storage)
    try:
        if "://" in text:
            return optuna.storages.RDBStorage(text)
        path = Path(text)
        check_journal(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    except SearchError:
        raise
    except Exception as error:  # any driver or file-system error: one line, nothing written
        raise SearchError(f"Cannot open the study storage {text!r}: {str(error).splitlines()[0]}") from None


def check_journal(path: Path) -> None:
    """Refuse a path that is not an Optuna journal (a folder, or a file whose first line is not a journal record):
    the search never writes to a file that is not its own journal."""
    if path.is_dir():
        raise SearchError(f"--storage {path} is a folder: give the journal file, e.g. {path / 'journal.log'}.")
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb") as f:
        first = f.readline(1 << 16)
    try:
        record = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        record = None
    if not isinstance(record, dict) or "op_code" not in record:
        raise SearchError(f"--storage {path} is a file that is not an Optuna journal: refused, left as it was.")


def make_pruner(kind: str) -> optuna.pruners.BasePruner:
    """``median``: stop a trial whose late distance is below the median of earlier trials at the same step,
    from half the budget on (walking tends to appear suddenly, after 0.5-1M steps); ``halving``: successive
    halving from a quarter of the budget."""
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=EVALUATIONS // 2)
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=EVALUATIONS // 4, reduction_factor=2)
    raise SearchError(f"Unknown pruner {kind!r}: choose median or halving.")


def open_study(name: str, storage, env_id: str, timesteps: int, create: bool = True,
               pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """Load study ``name`` (or create it, when ``create``) and check it was made for this env, budget and objective."""
    expected = {"objective": OBJECTIVE, "env_id": env_id, "timesteps": timesteps}
    names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    if name not in names and not create:
        raise SearchError(f"No study {name!r} in this storage (it holds: {', '.join(names) or 'none'}).")
    pruner = pruner or make_pruner("median")
    sampler = optuna.samplers.TPESampler(n_startup_trials=10, multivariate=True, constant_liar=True)
    if name not in names:
        try:
            study = optuna.create_study(study_name=name, storage=storage, direction="maximize", sampler=sampler,
                                        pruner=pruner)
        except optuna.exceptions.DuplicatedStudyError:  # another worker created it a moment ago
            return open_study(name, storage, env_id, timesteps, create, pruner)
        for key, value in expected.items():
            study.set_user_attr(key, value)
        return study
    # load_study writes nothing; create_study(load_if_exists=True) would append a failed creation to a journal
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    found = {key: study.user_attrs.get(key) for key in expected}
    if study.direction != optuna.study.StudyDirection.MAXIMIZE or found != expected:
        differs = ", ".join(f"{k}={found[k]!r} (asked {v!r})" for k, v in expected.items() if found[k] != v)
        raise SearchError(f"Study {name!r} exists with another set-up: {differs or 'direction'}; choose another --study.")
    return study


def finished(study: optuna.Study) -> int:
    """Trials that count towards ``--trials``: finished or pruned (a killed worker's trial does not)."""
    return len(study.get_trials(deepcopy=False, states=DONE))


CONTINUE = "this trial does not count; the same utils.tune command continues the study"


def make_objective(env_id: str, timesteps: int, folder: Path, base: A2CRecipe):
    """The function Optuna maximises: train a sampled recipe, report late distance to the pruner, return it."""
    from utils.walkers.runs import RunConfig, train

    def objective(trial: optuna.Trial) -> float:
        recipe = sample_recipe(trial, base)
        out = Path(folder) / "trials" / f"{trial.number:04d}"
        state = {"pruned": False}

        def on_eval(evaluations):
            late = evaluations[-LATE_EVALUATIONS:]
            distance = float(np.mean([e["distance"] for e in late]))
            trial.report(distance, len(evaluations))  # the evaluation's index: the same steps for every batch shape
            if trial.should_prune():
                state["pruned"] = True
                return False
            return None

        config = RunConfig(env_id=env_id, timesteps=timesteps, seed=trial.number, out=str(out), recipe=recipe,
                           eval_every=timesteps // EVALUATIONS, eval_episodes=EVAL_EPISODES, checkpoint_every=0,
                           progress=False, package=False)
        result = train(config, mode="overwrite", on_eval=on_eval, how_to_continue=CONTINUE)
        for kept in run_folder.SNAPSHOT_ROOTS:  # a trial keeps its logs, not its policies
            shutil.rmtree(out / kept, ignore_errors=True)
        if result.interrupted:  # Ctrl-C: the trial fails (nan: Optuna's one-line warning) and the worker stops
            trial.set_user_attr("interrupted", True)
            return float("nan")
        late = result.evaluations[-LATE_EVALUATIONS:]
        trial.set_user_attr("seed", trial.number)
        trial.set_user_attr("steps", late[-1]["steps"])
        trial.set_user_attr("mean_return", round(float(np.mean([e["mean"] for e in late])), 1))
        trial.set_user_attr("falls", int(sum(e["falls"] for e in late)))
        trial.set_user_attr("best_distance", max(e["distance"] for e in result.evaluations))
        trial.set_user_attr("train_seconds", late[-1]["wall"])
        if state["pruned"]:
            raise optuna.TrialPruned()
        return float(np.mean([e["distance"] for e in late]))

    return objective


FAILURES_IN_A_ROW = 3
"""A worker stops after this many of its trials failed in a row: a fault that fails every trial is not searched on."""


def run_worker(study: optuna.Study, n_trials: int, objective) -> int:
    """Run trials until ``study`` holds ``n_trials`` finished or pruned ones; return how many this worker ran.
    A trial that fails (e.g. a NaN loss) is recorded and the search goes on, unless :data:`FAILURES_IN_A_ROW` fail
    in a row (a one-line ``SearchError``). A trial interrupted by Ctrl-C fails, and the worker stops."""
    ran, failed = 0, []
    stop = optuna.study.MaxTrialsCallback(n_trials, states=DONE)
    mine = []

    def remember(_study, trial):
        mine.append(trial)

    while finished(study) < n_trials:
        study.optimize(objective, n_trials=1, callbacks=[stop, remember], catch=(ValueError, RuntimeError))
        ran += 1
        last = mine[-1] if mine else None
        if last is not None and last.user_attrs.get("interrupted"):
            raise KeyboardInterrupt
        failed = failed + [last] if last is not None and last.state == TrialState.FAIL else []
        if len(failed) >= FAILURES_IN_A_ROW:
            reason = " ".join(str(last.system_attrs.get("fail_reason", "see the journal")).split())[:200]
            raise SearchError(f"{len(failed)} trials in a row failed, the last with: {reason}; stopping this worker.")
    return ran


def best_table(study: optuna.Study, top: int = 10):
    """The ``top`` completed trials by objective, as a DataFrame (Optuna's ``trials_dataframe``)."""
    frame = study.trials_dataframe(attrs=("number", "value", "state", "params", "user_attrs"))
    if frame.empty:
        return frame
    frame = frame[frame["state"] == "COMPLETE"].sort_values("value", ascending=False).head(top)
    frame.columns = [c.replace("params_", "").replace("user_attrs_", "") for c in frame.columns]
    return frame.rename(columns={"value": "distance_m"}).drop(columns=["state"])
