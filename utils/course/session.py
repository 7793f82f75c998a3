"""The course's shared first step: ``start()`` runs in every notebook's set-up cell.

It checks the installation, prints the versions and the mode (full or smoke), hides library banners and
records the mode for the CI canary. Paths here are absolute, so notebooks work from any directory.
"""
from __future__ import annotations

import os
import warnings
from importlib.util import find_spec
from pathlib import Path

from utils.course.smoke import mode_line, report_mode

ROOT = Path(__file__).resolve().parents[2]
AGENTS = ROOT / "agents"
RUNS = ROOT / "runs"
NOTEBOOKS = ROOT / "notebooks"
STUDIES = ROOT / "studies"
REFERENCE = ROOT / "reference"


def start() -> None:
    """Prepare a notebook: quiet libraries, consistent plots, one torch thread, and one line of versions and mode.

    Unlike the library's functions, which take one thread only inside a block (:mod:`utils.course.threads`), this
    sets it for the whole kernel, on purpose: the kernel belongs to the notebook, and the learner's own cells
    train tiny networks too, which run faster on one thread and never stall on a busy core. Outside a notebook,
    use :func:`utils.course.threads.torch_threads`.
    """
    import matplotlib

    os.environ.setdefault("TQDM_MININTERVAL", "1")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*env.unwrapped.*")
    warnings.filterwarnings("ignore", module="gymnasium")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.figsize": (7, 4), "figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
    import gymnasium
    import stable_baselines3
    import torch

    from utils.course.quiet import register_bullet_envs

    if find_spec("pybullet_envs_gymnasium"):  # notebooks 01-03 need no robots: on Colab they run without pybullet
        register_bullet_envs()
    torch.set_num_threads(1)  # for the kernel's life: see the docstring
    report_mode()
    print(f"torch {torch.__version__} | stable-baselines3 {stable_baselines3.__version__} | "
          f"gymnasium {gymnasium.__version__} | matplotlib {matplotlib.__version__}")
    print(mode_line())
