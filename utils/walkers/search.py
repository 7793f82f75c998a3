"""Searching A2C hyperparameters with Optuna: the search space, the objective (metres walked), the storage.

Used by ``python -m utils.tune`` (the command line) and notebook 05. Optuna does the searching (TPE sampler,
median pruner, journal or database storage); this module only says what to search and what "good" means:

* a trial trains the sampled recipe on ``seeds`` training seeds at once, one process per seed (one core each),
  with the course's own :func:`utils.walkers.runs.train` (the same code as ``utils.train``); the seeds come from
  :func:`trial_seeds`, 1000 and up, so that seeds 0-999 stay unseen by every search;
* each seed's **walk score** (:func:`walk_score`) is the forward distance of deterministic evaluation episodes on the
  unmodified environment, statistics frozen, times the share of those episodes that did not fall, averaged over
  the last :data:`LATE_EVALUATIONS` periodic evaluations: a walk that lasts, without falls, scores; the
  **objective** is the *minimum* over the seeds (:func:`aggregate`), reported to the pruner after each evaluation;
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
from utils.walkers.early_signs import keep_summary, read_episodes
from utils.walkers.recipes import A2CRecipe

OBJECTIVE = "min over seeds of late distance x share of episodes upright (m), unmodified env"
"""Stored with each study; a study made for another objective is refused."""
SEED_BASE = 1000
"""Trial ``n`` trains seeds ``SEED_BASE + k*n ... SEED_BASE + k*n + k - 1``: no search ever uses seeds below it,
so the recipe a search finds can be re-trained on seeds it never saw."""
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
        parallel=False,  # one core per seed: a trial's seeds run side by side
    )


def sample_focused(trial: optuna.Trial, base: A2CRecipe) -> A2CRecipe:
    """Draw a recipe near what is known to walk: only the values the walker probes found to decide between walking
    and falling are searched (the rollout length, λ, the step size and its schedule, the exploration noise and how
    often it is redrawn, the entropy bonus) and the training reward: the alive bonus, its curriculum (from 1 down to
    it over a fraction of training: first stay up, then walk) and the progress term's weight; the rest, the number of
    copies included, stays ``base``'s (``utils.tune`` gives it the walker's recipe: the zoo's values, 4 copies,
    gSDE)."""
    return replace(
        base,
        n_steps=trial.suggest_categorical("n_steps", [8, 16, 32]),
        gae_lambda=trial.suggest_categorical("gae_lambda", [0.9, 0.92, 0.95, 0.98]),
        learning_rate=trial.suggest_float("learning_rate", 3e-4, 3e-3, log=True),
        lr_schedule=trial.suggest_categorical("lr_schedule", ["linear", "constant"]),
        ent_coef=trial.suggest_float("ent_coef", 1e-8, 1e-3, log=True),
        log_std_init=trial.suggest_float("log_std_init", -3.0, -0.5),
        sde_sample_freq=trial.suggest_categorical("sde_sample_freq", [-1, 4, 8, 16]),
        alive_bonus=trial.suggest_categorical("alive_bonus", [0.1, 0.25, 0.5, 1.0]),
        alive_anneal=trial.suggest_categorical("alive_anneal", [0.0, 0.1, 0.25, 0.5]),
        progress_weight=trial.suggest_categorical("progress_weight", [1.0, 1.5, 2.0, 3.0]),
        parallel=False,  # one core per seed: a trial's seeds run side by side
    )


SPACES = {"zoo": sample_recipe, "focused": sample_focused}
"""``--space``: the zoo's whole A2C space, or the focused one around the walker's recipe."""


FOCUSED = ("n_steps", "gae_lambda", "learning_rate", "lr_schedule", "ent_coef", "log_std_init", "sde_sample_freq",
           "alive_bonus", "alive_anneal", "progress_weight")
"""The parameters :func:`sample_focused` draws."""


def recipe_params(recipe: A2CRecipe, space: str = "zoo") -> dict:
    """The parameters of ``recipe`` in search space ``space``, for ``study.enqueue_trial`` (a known recipe as a trial)."""
    if space == "focused":
        params = {name: getattr(recipe, name) for name in FOCUSED}
        params["ent_coef"] = max(recipe.ent_coef, 1e-8)
        return params
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


FLOOR_M = 1.0
"""``median+floor``: a trial whose worst seed scores less than this (metres walked upright, :func:`walk_score`)
at its :data:`FLOOR_AT`-th evaluation is stopped."""
FLOOR_AT = 6
"""6 of :data:`EVALUATIONS`: 750k steps of a 1M-step trial, checked there only. Measured on the walker recipe's three
seeds (``agents/a2c-Walker2DBulletEnv-v0/logs/seeds/``, 5 episodes every 50k steps), the walk score over the
evaluations nearest to the search's 500k, 625k and 750k (625k: 600k or 650k): the seeds that went on to walk
scored 4.8-9.5, the seed that never walked 0.0. At the 5th evaluation (375k-625k) a walking seed could still score
0.0 (seed 0 over 350k, 500k and 600k), so the floor waits one more. The search plays 3 episodes per evaluation, not
5: its scores are noisier than these."""


EARLY_M = 1.0
"""``median+floor+early``: a trial one of whose seeds' *training* episodes that ended in the last
``timesteps // EARLY_PARTS`` steps before its :data:`EARLY_AT`-th evaluation went less than this far on average
(metres) is stopped there."""
EARLY_AT = 4
"""4 of :data:`EVALUATIONS`: 500k steps of a 1M-step trial, checked there only. Measured on every walker run with its
training episodes in the repository (``scripts/early_signs_table.py``, ``studies/walker-focused/early_signs.md``):
the 3 runs that walked (10 m without a fall at some evaluation) went 1.38-2.15 m per training episode in the 50k
steps up to 500k; the 7 that trained 1M steps or more and never walked 0.23-1.01 m (the highest, ``walker-seeds``
trial 2's seed 1005, just above :data:`EARLY_M`; its trial's other seed went 0.69 m). :data:`EARLY_M` sits below the
slowest walker: doubtful trials go on. Thin evidence: of the walkers, only ``walker-seeds`` trial 6's seed 1012 (1.38 m)
trained on the search's 1M budget; the recipe's seeds 0 and 1 trained 2M steps, their learning rate less decayed at
500k. At 400k seed 1012 still went 0.92 m, so the check waits until 500k. Of the 9 two-seed trials in the repository
before it, the early signs stop 8: ``walker-seeds`` trial 5 and ``walker-focused`` trial 2 at 250k (collapsed,
:data:`COLLAPSE_AT`), ``walker-focused`` trial 0 and ``walker-seeds`` trials 0, 2, 3, 4 and 6 at 500k, each for a seed
that never walked (trial 6's other seed, 1012, walked at 750k); ``walker-focused`` trial 1 goes on."""
COLLAPSE_AT = 2
"""``median+floor+early`` also stops, at its 2nd evaluation (250k of 1M), a trial one of whose seeds has collapsed:
its training episodes of the last ``timesteps // EARLY_PARTS`` steps lasted fewer than :data:`COLLAPSE_LENGTH`
steps on average. Measured on the same runs as :data:`EARLY_AT`: two trials' seeds had collapsed by 250k (5-6 steps
per episode, a policy that throws the robot down at once, and still so when their trials stopped at 750k:
``walker-focused`` trial 2's seed 1005, ``walker-seeds`` trial 5's seeds), every other run lasted 58 steps or more
there, the walkers 98-395."""
COLLAPSE_LENGTH = 20.0
"""Steps per training episode under which a seed has collapsed (see :data:`COLLAPSE_AT`)."""
EARLY_PARTS = 20
"""The early signs read the training episodes that ended in the last ``timesteps // EARLY_PARTS`` steps before an
evaluation (50k of 1M)."""
EARLY_SIGNS = {COLLAPSE_AT: ("early_lengths", "length"), EARLY_AT: ("early_distances", "distance")}
"""Where the objective records the early signs: at each of these evaluations, a trial record (a list over the seeds)
and the column of the training episodes it averages."""


def early_signs(logs: Path, timesteps: int, evaluation: int) -> dict:
    """Mean ``length`` (steps) and ``distance`` (metres) of the training episodes that ended in the last
    ``timesteps // EARLY_PARTS`` steps up to periodic evaluation ``evaluation``. NaN, which prunes nothing, when no
    such episode was logged (a robot without a distance logs none) or none ended there (at the search's 1M steps
    the 1000-step time limit ends dozens in every window)."""
    episodes = read_episodes(logs)
    at = evaluation * (timesteps // EVALUATIONS)
    ended = episodes[(episodes["steps"] > at - timesteps // EARLY_PARTS) & (episodes["steps"] <= at)]
    return {column: float(ended[column].mean()) if len(ended) else float("nan") for column in ("length", "distance")}


class EarlySignsPruner(optuna.pruners.BasePruner):
    """Prune at evaluation :data:`COLLAPSE_AT` when a seed's training episodes lasted fewer than
    :data:`COLLAPSE_LENGTH` steps, and at :data:`EARLY_AT` when they went less than :data:`EARLY_M` metres (the
    trial's ``early_lengths`` and ``early_distances``, which the objective records there). Optuna's pruners judge only
    the reported values; the early signs are in the training episodes, which the evaluations do not see."""

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        lengths = trial.user_attrs.get("early_lengths") or []
        distances = trial.user_attrs.get("early_distances") or []  # NaN is below neither
        return (trial.last_step == COLLAPSE_AT and any(n < COLLAPSE_LENGTH for n in lengths)) or \
            (trial.last_step == EARLY_AT and any(d < EARLY_M for d in distances))


class AnyPruner(optuna.pruners.BasePruner):
    """Prune when any of ``pruners`` says so. Optuna takes one pruner per study and has no such combination."""

    def __init__(self, *pruners: optuna.pruners.BasePruner):
        self.pruners = pruners

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return any(p.prune(study, trial) for p in self.pruners)


def make_pruner(kind: str) -> optuna.pruners.BasePruner:
    """``median``: stop a trial whose late distance is below the median of earlier trials at the same step,
    from half the budget on (walking tends to appear suddenly, after 0.5-1M steps); ``median+floor``: the same, and
    stop a trial whose worst seed has not walked :data:`FLOOR_M` upright at its :data:`FLOOR_AT`-th evaluation (the
    median cannot stop it when most trials score 0: a tie is not below the median); ``median+floor+early``: also
    stop a trial whose worst seed's training episodes had collapsed at evaluation :data:`COLLAPSE_AT` or went less
    than :data:`EARLY_M` at :data:`EARLY_AT` (:class:`EarlySignsPruner`); ``halving``: successive halving from a
    quarter of the budget."""
    median = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=EVALUATIONS // 2)
    if kind == "median":
        return median
    if kind == "median+floor":
        floor = optuna.pruners.ThresholdPruner(lower=FLOOR_M, n_warmup_steps=FLOOR_AT, interval_steps=EVALUATIONS)
        return AnyPruner(median, floor)
    if kind == "median+floor+early":
        return AnyPruner(make_pruner("median+floor"), EarlySignsPruner())
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=EVALUATIONS // 4, reduction_factor=2)
    raise SearchError(f"Unknown pruner {kind!r}: choose median, median+floor, median+floor+early or halving.")


def open_study(name: str, storage, env_id: str, timesteps: int, create: bool = True,
               pruner: optuna.pruners.BasePruner | None = None, seeds: int = 2, space: str = "zoo",
               base: str = "course") -> optuna.Study:
    """Load study ``name`` to read it (``create=False``), or to add trials to it: then create it if missing, or
    check that it was made for this env, budget, objective, number of seeds per trial, search space and base recipe
    (the values a space does not draw come from it; a study that does not record its base was made from ``course``)."""
    expected = {"objective": OBJECTIVE, "env_id": env_id, "timesteps": timesteps, "seeds": seeds, "space": space,
                "base": base}
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
            return open_study(name, storage, env_id, timesteps, create, pruner, seeds, space, base)
        for key, value in expected.items():
            study.set_user_attr(key, value)
        return study
    # load_study writes nothing; create_study(load_if_exists=True) would append a failed creation to a journal
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    if not create:  # only read (--report): any set-up will do
        return study
    found = {key: study.user_attrs.get(key, "course" if key == "base" else None) for key in expected}
    if study.direction != optuna.study.StudyDirection.MAXIMIZE or found != expected:
        differs = ", ".join(f"{k}={found[k]!r} (asked {v!r})" for k, v in expected.items() if found[k] != v)
        raise SearchError(f"Study {name!r} exists with another set-up: {differs or 'direction'}; choose another --study.")
    return study


def finished(study: optuna.Study) -> int:
    """Trials that count towards ``--trials``: finished or pruned (a killed worker's trial does not)."""
    return len(study.get_trials(deepcopy=False, states=DONE))


CONTINUE = "this trial does not count; the same utils.tune command continues the study"


def trial_folder(folder: Path, number: int) -> Path:
    """Where trial ``number`` of the study in ``folder`` keeps its seeds' logs."""
    return Path(folder) / "trials" / f"{number:04d}"


def trial_seeds(number: int, seeds: int) -> list[int]:
    """The training seeds of trial ``number`` when each trial trains ``seeds`` of them (see :data:`SEED_BASE`)."""
    return [SEED_BASE + seeds * number + i for i in range(seeds)]


def walk_score(evaluations: list[dict], episodes: int = EVAL_EPISODES) -> float:
    """One seed's score: over its last :data:`LATE_EVALUATIONS` evaluations, the mean of distance (m) × the share
    of the ``episodes`` episodes that did not fall. 15 m with 1 fall in 3 scores 10; a robot that falls every time
    scores 0 however far it dived."""
    late = evaluations[-LATE_EVALUATIONS:]
    return float(np.mean([e["distance"] * (1 - e["falls"] / episodes) for e in late]))


def aggregate(scores: list[float]) -> float:
    """The trial's objective: the worst seed's walk score.

    The minimum, not the mean minus the spread: the target is that *every* seed walks, the minimum says exactly
    that, and with two or three seeds a standard deviation is too noisy to subtract (from two values it is the
    half-gap times √2)."""
    return float(min(scores))


def _train_seed(config, stop, reports, parent: int) -> None:
    """A child process: train one seed, send each evaluation to the parent, stop as soon as the parent says so or is
    gone (on Linux the kernel also kills it with its parent: ``PR_SET_PDEATHSIG``)."""
    import ctypes
    import os
    import signal

    from utils.course.threads import torch_threads
    from utils.walkers.runs import train

    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def report(evaluations):
        reports.put((config.seed, evaluations[-1]))

    def stopped() -> bool:  # polled while training
        return stop.is_set() or os.getppid() != parent

    try:
        with torch_threads(1):
            result = train(config, mode="overwrite", on_eval=report, how_to_continue=CONTINUE, should_stop=stopped)
        reports.put((config.seed, {"done": True, "interrupted": result.interrupted}))
    except BaseException as error:  # the parent turns it into this trial's failure, one line
        reports.put((config.seed, {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}))


def train_seeds(configs: list, on_round) -> tuple[dict[int, list[dict]], bool]:
    """Train ``configs`` (one per seed) in parallel processes. Whenever every seed has its ``i``-th evaluation,
    ``on_round(i, {seed: evaluations})`` is called; if it returns False, every seed stops at once and ``on_round``
    is not called again.
    Returns the evaluations by seed and whether a seed was interrupted (Ctrl-C). A seed that fails raises
    ``RuntimeError`` with its one-line reason, after the other seeds were stopped."""
    import multiprocessing as mp
    import os
    import queue

    context = mp.get_context("spawn")  # fresh interpreters: no forked PyBullet or torch state
    stop, reports = context.Event(), context.Queue()
    children = [context.Process(target=_train_seed, args=(c, stop, reports, os.getpid()), daemon=True) for c in configs]
    for child in children:
        child.start()
    evaluations = {c.seed: [] for c in configs}
    ended, interrupted, error, rounds = set(), False, None, 0
    try:
        while len(ended) < len(configs):
            try:
                seed, record = reports.get(timeout=1.0)
            except queue.Empty:  # check that nobody died without a word
                dead = [c for c, child in zip(configs, children) if not child.is_alive() and c.seed not in ended]
                if dead and reports.empty():
                    error = error or f"seed {dead[0].seed}'s process died (exit code {children[configs.index(dead[0])].exitcode})"
                    stop.set()
                    ended |= {c.seed for c in dead}
                continue
            if "error" in record:
                error = error or f"seed {seed}: {record['error']}"
                stop.set()
                ended.add(seed)
            elif record.get("done"):
                interrupted |= record["interrupted"]
                ended.add(seed)
            else:
                evaluations[seed].append(record)
                while not stop.is_set() and all(len(e) > rounds for e in evaluations.values()):
                    rounds += 1
                    if on_round(rounds, {s: e[:rounds] for s, e in evaluations.items()}) is False:
                        stop.set()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stop.set()  # whatever ended the loop (on_round may raise), the seeds stop now
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()
    if error:
        raise RuntimeError(error)
    return evaluations, interrupted


def make_objective(env_id: str, timesteps: int, folder: Path, base: A2CRecipe, seeds: int = 2,
                   space: str = "zoo"):
    """The function Optuna maximises: train a sampled recipe on ``seeds`` seeds at once (:func:`train_seeds`),
    report the aggregate walk score after each round of evaluations to the pruner, return it."""
    from utils.walkers.runs import RunConfig

    sample = SPACES[space]

    def objective(trial: optuna.Trial) -> float:
        import socket

        trial.set_user_attr("host", socket.gethostname())  # fail_stale judges only this machine's trials
        recipe = sample(trial, base)
        out = trial_folder(folder, trial.number)
        state = {"pruned": False, "rounds": 0}

        def on_round(index, by_seed):
            if index in EARLY_SIGNS:  # the training episodes' early signs, for the pruner and the journal
                signs = [early_signs(Path(c.out) / run_folder.LOGS, timesteps, index) for c in configs]
                name, column = EARLY_SIGNS[index]
                trial.set_user_attr(name, [round(sign[column], 2) for sign in signs])
            trial.report(aggregate([walk_score(e) for e in by_seed.values()]), index)  # the same steps for every shape
            state["rounds"] = index
            if trial.should_prune():
                state["pruned"] = True
                return False
            return None

        configs = [RunConfig(env_id=env_id, timesteps=timesteps, seed=seed, out=str(out / f"seed-{seed}"),
                             recipe=recipe, eval_every=timesteps // EVALUATIONS, eval_episodes=EVAL_EPISODES,
                             checkpoint_every=0, progress=False, package=False)
                   for seed in trial_seeds(trial.number, seeds)]
        try:
            by_seed, interrupted = train_seeds(configs, on_round)
        finally:
            for config in configs:  # a trial keeps its logs (its training episodes by window), not its policies
                for kept in run_folder.SNAPSHOT_ROOTS:
                    shutil.rmtree(Path(config.out) / kept, ignore_errors=True)
                keep_summary(Path(config.out) / run_folder.LOGS)
        if interrupted:  # Ctrl-C: the trial fails (nan: Optuna's one-line warning) and the worker stops
            trial.set_user_attr("interrupted", True)
            return float("nan")
        if state["pruned"]:  # a seed may have logged one more evaluation before it stopped: judge what the pruner saw
            by_seed = {seed: e[:state["rounds"]] for seed, e in by_seed.items()}
        scores = {seed: walk_score(e) for seed, e in by_seed.items()}
        late = {seed: e[-LATE_EVALUATIONS:] for seed, e in by_seed.items()}
        trial.set_user_attr("seeds", sorted(scores))
        trial.set_user_attr("walk_scores", [round(scores[s], 2) for s in sorted(scores)])
        trial.set_user_attr("distances", [round(float(np.mean([e["distance"] for e in late[s]])), 2) for s in sorted(late)])
        trial.set_user_attr("returns", [round(float(np.mean([e["mean"] for e in late[s]])), 1) for s in sorted(late)])
        trial.set_user_attr("falls", [int(sum(e["falls"] for e in late[s])) for s in sorted(late)])
        trial.set_user_attr("steps", min(late[s][-1]["steps"] for s in late))
        trial.set_user_attr("train_seconds", max(late[s][-1]["wall"] for s in late))
        if state["pruned"]:
            raise optuna.TrialPruned()
        return aggregate(list(scores.values()))

    return objective


FAILURES_IN_A_ROW = 3
"""A worker stops after this many of its trials failed in a row: a fault that fails every trial is not searched on."""


STOP_FILE = "STOP"
"""A file of this name in the study's folder makes every worker stop after its running trial."""


def fail_stale(study: optuna.Study, folder: Path, idle_seconds: float) -> list[int]:
    """Mark as failed the running trials of this machine whose worker is gone: nothing in their trial folder was
    written for ``idle_seconds`` (a running trial's seeds write their episodes every few seconds). A journal file has
    no heartbeat (Optuna's ``fail_stale_trials`` needs a database), so a killed worker's trial would stay RUNNING for
    ever. A trial started on another machine (its ``host`` attribute) is left alone: its folder is not here. Returns
    the numbers of the trials failed."""
    import socket
    import time

    now, host, failed = time.time(), socket.gethostname(), []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        out = trial_folder(folder, trial.number)
        if trial.user_attrs.get("host", host if out.is_dir() else None) != host:
            continue
        written = []
        for path in out.rglob("*") if out.is_dir() else []:
            try:
                if path.is_file():
                    written.append(path.stat().st_mtime)
            except OSError:  # deleted meanwhile by the live trial
                pass
        last = max(written, default=trial.datetime_start.timestamp() if trial.datetime_start else now)
        if now - last <= idle_seconds:
            continue
        try:
            done = study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
        except optuna.exceptions.UpdateFinishedTrialError:  # another process finished it a moment ago
            continue
        if done.state == TrialState.FAIL:
            failed.append(trial.number)
    return failed


def run_worker(study: optuna.Study, n_trials: int, objective, stop_file: Path | None = None) -> int:
    """Run trials until ``study`` holds ``n_trials`` finished or pruned ones, or ``stop_file`` exists; return how
    many this worker ran. A trial that fails (e.g. a NaN loss) is recorded and the search goes on, unless
    :data:`FAILURES_IN_A_ROW` fail in a row (a one-line ``SearchError``). A trial interrupted by Ctrl-C fails, and
    the worker stops."""
    ran, failed = 0, []
    stop = optuna.study.MaxTrialsCallback(n_trials, states=DONE)
    mine = []

    def remember(_study, trial):
        mine.append(trial)

    while finished(study) < n_trials:
        if stop_file is not None and stop_file.exists():
            print(f"{stop_file} exists: this worker stops (remove the file to let the study go on).", flush=True)
            break
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


TRIAL_RECORDS = ("steps", "seeds", "walk_scores", "distances", "falls", "returns", "early_lengths", "early_distances")
"""What the objective records of each trial, per seed (``steps``: its last evaluation's step, the stop of a pruned one)."""


def best_table(study: optuna.Study, top: int = 10):
    """The ``top`` finished or pruned trials as a DataFrame (Optuna's ``trials_dataframe``), best first in the order
    Optuna's TPE sampler ranks them: completed trials by their objective, then pruned ones by how far they got and
    the last value they reported (a search whose trials are all pruned still has a best); ties (every seed of many
    trials fell, 0 m) are broken by the mean of the seeds' walk scores, then of their distances. ``worst_seed_m`` is the
    objective, or a pruned trial's last report (``distance_m`` for a study of the earlier one-seed objective);
    ``steps`` is how far the trial trained; then the per-seed records (:data:`TRIAL_RECORDS`) and the parameters."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False, states=DONE)}
    if not trials:
        return study.trials_dataframe()

    def last(t):
        return t.value if t.state == TrialState.COMPLETE else t.intermediate_values.get(t.last_step, float("nan"))

    def rank(t):
        reported = last(t)
        seeds = [float(np.mean(t.user_attrs.get(name) or [0.0])) for name in ("walk_scores", "distances")]
        return (t.state == TrialState.COMPLETE, t.last_step or 0, -np.inf if reported != reported else reported, *seeds)

    chosen = [t.number for t in sorted(trials.values(), key=rank, reverse=True)[:top]]
    frame = study.trials_dataframe(attrs=("number", "state", "user_attrs", "params")).set_index("number").loc[chosen]
    frame.columns = [c.replace("params_", "").replace("user_attrs_", "") for c in frame.columns]
    value = "worst_seed_m" if study.user_attrs.get("objective") == OBJECTIVE else "distance_m"  # older studies: one seed
    frame.insert(0, value, [last(trials[n]) for n in chosen])
    if "steps" in frame.columns:
        frame["steps"] = frame["steps"].astype("Int64")
    params = sorted({name for t in trials.values() for name in t.params})
    lead = [c for c in (value, "state", *TRIAL_RECORDS) if c in frame.columns]
    return frame[lead + params + [c for c in frame.columns if c not in lead + params]].reset_index()


SEED_RECORDS = {"walk_score": "walk_scores", "distance": "distances", "falls": "falls", "return": "returns",
                "early_length": "early_lengths", "early_distance": "early_distances"}
"""One seed's column, and the :data:`TRIAL_RECORDS` list (over the trial's seeds) it comes from."""


def seed_table(study: optuna.Study, folder: Path | None = None):
    """Every seed of every finished or pruned trial, one row each: its trial, how far the trial trained (``steps``),
    the seed's records (:data:`SEED_RECORDS`: ``distance``, ``falls`` and ``walk_score`` over its last evaluations;
    the early signs where the trial reached them, else NaN) and the trial's parameters. A trial's objective hides
    its better seed; this table keeps it, so that what the seeds that walked share can be read even when no trial's
    worst seed walked. With the study's ``folder``, early signs a trial did not record (it ran before they were)
    are read from its seeds' committed training episodes, so that every seed is counted."""
    import pandas as pd

    timesteps = study.user_attrs.get("timesteps", 0)
    column_of = {record: name for name, record in SEED_RECORDS.items()}
    rows = []
    for t in study.get_trials(deepcopy=False, states=DONE):
        seeds = t.user_attrs.get("seeds", [])
        records = {name: t.user_attrs.get(record) or [float("nan")] * len(seeds)
                   for name, record in SEED_RECORDS.items()}
        for k, seed in enumerate(seeds):
            row = {"number": t.number, "seed": seed, "steps": t.user_attrs.get("steps"),
                   **{name: values[k] for name, values in records.items()}, **t.params}
            missing = [record for record, _ in EARLY_SIGNS.values() if pd.isna(row[column_of[record]])]
            logs = trial_folder(folder, t.number) / f"seed-{seed}" / run_folder.LOGS if folder is not None else None
            if missing and logs is not None and (logs / run_folder.EPISODES_BY_WINDOW).is_file():
                logged = _logged_signs(logs, timesteps, row["steps"] or 0)
                row.update({column_of[record]: logged[record] for record in missing})
            rows.append(row)
    return pd.DataFrame(rows)


def _logged_signs(logs: Path, timesteps: int, reached: int) -> dict:
    """A seed's early signs (by :data:`EARLY_SIGNS` record) read from its training episodes by window
    (``timesteps // EARLY_PARTS`` steps), at the evaluations its trial reached (``reached`` steps)."""
    from utils.walkers.early_signs import training_episodes

    windows = training_episodes(logs, window=timesteps // EARLY_PARTS).set_index("steps")
    signs = {}
    for evaluation, (record, column) in EARLY_SIGNS.items():
        at = evaluation * timesteps // EVALUATIONS
        signs[record] = float(windows[column].get(at, float("nan"))) if reached >= at else float("nan")
    return signs
