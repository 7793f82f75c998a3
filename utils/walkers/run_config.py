"""The options of a training run (:class:`RunConfig`), checked before anything is written, and the command line
made from them: ``python -m utils.train``'s flags, the parsed flags back to a configuration, and the command
that rebuilds a configuration are all generated here, from the fields and their real types
(``typing.get_type_hints``), so a new field needs no other edit. argparse stays the parser: the flags are few,
flat and typed, and a dependency such as tyro would add nothing the 30 lines below do not. Introduced in notebook 05.
"""
from __future__ import annotations

import argparse
import math
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from utils.course.session import RUNS
from utils.walkers.envs import check_env_id
from utils.walkers.recipes import COURSE, DEFAULT_RECIPE, RECIPES, A2CRecipe, as_flags, with_settings


@dataclass(frozen=True)
class RunConfig:
    """The options of a training run, with their defaults: the command line's flags are made from these fields."""

    env_id: str = field(default="AntBulletEnv-v0", metadata={"flag": "--env", "help": "environment id"})
    timesteps: int = field(default=2_000_000, metadata={"help": "total environment steps"})
    seed: int = field(default=0, metadata={"help": "seeds the environments and the networks (0 or more)"})
    out: str = field(default=str(RUNS / "a2c"), metadata={"help": "run folder (model, statistics, logs, package)"})
    recipe: A2CRecipe = field(default=COURSE, metadata={"help": "hyperparameters: --recipe NAME [--set FIELD=VALUE]"})
    eval_every: int = field(default=100_000, metadata={"help": "steps between evaluations (0: none)"})
    eval_episodes: int = field(default=5, metadata={"help": "deterministic episodes per periodic evaluation"})
    checkpoint_every: int = field(default=100_000, metadata={"help": "steps between checkpoints (0: only at the end)"})
    final_episodes: int = field(default=10, metadata={"help": "episodes of the final evaluation"})
    video_steps: int = field(default=1000, metadata={"help": "length of replay.mp4"})
    stop_at_score: float | None = field(default=None, metadata={"help": "stop once an evaluation mean reaches it"})
    package: bool = field(default=True, metadata={"help": "make the final evaluation and the Hub package",
                                                  "off": "skip them"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar", "off": "hide it"})

    IDENTITY = ("env_id", "timesteps", "seed", "recipe")
    """What a resumed run must keep, because it changes learning (``timesteps`` sets the learning-rate schedule).
    Evaluation and checkpoint cadence, episodes, video, package and progress bar may change on resume."""

    def check(self) -> "RunConfig":
        """Raise a one-line ``ValueError`` for the first bad value; return ``self`` when every value is usable."""
        check_env_id(self.env_id)
        counts = [("timesteps", 1), ("seed", 0), ("eval_every", 0), ("checkpoint_every", 0)]
        counts += [("eval_episodes", 1)] if self.eval_every else []
        counts += [("final_episodes", 1), ("video_steps", 1)] if self.package else []
        for name, low in counts:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                kind = "a positive integer" if low else "0 or a positive integer"
                raise ValueError(f"{name} must be {kind}, got {value!r}.")
        if self.seed >= 2**32:
            raise ValueError(f"seed must be below 2**32, got {self.seed}.")
        if self.stop_at_score is not None and not math.isfinite(self.stop_at_score):
            raise ValueError(f"stop_at_score must be a finite number, got {self.stop_at_score!r}.")
        if not str(self.out).strip():
            raise ValueError("out must name a folder, got an empty string.")
        if Path(self.out).exists() and not Path(self.out).is_dir():
            raise ValueError(f"--out {self.out} is a file: the run needs a folder.")
        self.recipe.check()
        return self

    def to_dict(self) -> dict:
        return {**asdict(self), "recipe": self.recipe.to_dict()}

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: A2CRecipe.from_dict(v) if k == "recipe" else v for k, v in values.items() if k in known})

    def command(self) -> str:
        """The command line that runs exactly this configuration."""
        parts = [f"python -m utils.train {flag(_field('env_id'))} {self.env_id} {as_flags(self.recipe)}"]
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("env_id", "recipe") or (f.name not in ("timesteps", "seed", "out") and value == f.default):
                continue
            parts.append(flag(f, value) if isinstance(value, bool) else f"{flag(f)} {value}")
        return " ".join(parts)

    def differences(self, other: "RunConfig") -> list[str]:
        """``name: ours vs theirs`` for every identity field that differs."""
        out = []
        for name in self.IDENTITY:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "recipe" and mine != theirs:
                changed = [f.name for f in fields(mine) if getattr(mine, f.name) != getattr(theirs, f.name)]
                out.append(f"recipe ({', '.join(changed)})")
            elif mine != theirs:
                out.append(f"{name}: {theirs!r} in the folder, {mine!r} asked")
        return out


# --- the command line, generated from the fields ------------------------------------------------------------
def _field(name: str):
    return next(f for f in fields(RunConfig) if f.name == name)


def _type(f) -> type:
    """A field's real type (``float | None`` gives ``float``)."""
    hint = typing.get_type_hints(RunConfig)[f.name]
    return next(t for t in typing.get_args(hint) if t is not type(None)) if typing.get_args(hint) else hint


def flag(f, value: bool = True) -> str:
    """The flag of field ``f`` (for a boolean, the one that sets ``value``)."""
    name = f.metadata.get("flag", "--" + f.name.replace("_", "-"))
    return name if value or _type(f) is not bool else f"--no-{name[2:]}"


def parser(prog: str = "python -m utils.train", description: str = "") -> argparse.ArgumentParser:
    """``python -m utils.train``'s parser: one flag per field, plus ``--recipe``/``--set``, ``--resume``, ``--overwrite``."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    for f in fields(RunConfig):
        kind = _type(f)
        if kind is A2CRecipe:
            defaults = ", ".join(f"{name} for {env}" for env, name in DEFAULT_RECIPE.items())
            p.add_argument("--recipe", choices=sorted(RECIPES),
                           help=f"hyperparameters (utils.walkers.recipes; default: the robot's own, {defaults})")
            p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                           help="change one field of the recipe, e.g. --set use_sde=false (repeatable)")
        elif kind is bool:  # --package / --no-package: either may be given on resume
            p.add_argument(flag(f), dest=f.name, action=argparse.BooleanOptionalAction, default=None,
                           help=f"{f.metadata['help']} (default); {flag(f, False)}: {f.metadata['off']}")
        else:
            required = f.name in ("env_id", "timesteps", "out")  # for a new run; --resume reads them from the folder
            p.add_argument(flag(f), dest=f.name, type=kind,
                           help=f.metadata["help"] + ("" if required else f" (default: {f.default})"))
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="delete the course run in --out first (only a folder a course run wrote; checked first)")
    return p


def from_args(args: argparse.Namespace, stored: RunConfig | None = None) -> RunConfig:
    """The run's configuration: the stored one (on resume) or the defaults, with the flags given on top. Without
    ``--recipe``, a new run takes its robot's recipe (:data:`utils.walkers.recipes.DEFAULT_RECIPE`)."""
    base = stored or RunConfig()
    given = {f.name: getattr(args, f.name) for f in fields(RunConfig)
             if f.name != "recipe" and getattr(args, f.name) is not None}
    if args.recipe is None and stored:
        recipe = stored.recipe
    else:
        env_id = given.get("env_id", base.env_id)
        recipe = RECIPES[args.recipe or DEFAULT_RECIPE.get(env_id, "course")]
    return replace(base, **given, recipe=with_settings(recipe, args.set))
