"""Notebook 05's SB3 pipeline (its cells tagged ``pipeline``) and ``python -m utils.train`` train the same parameters."""
import json
from dataclasses import replace

import nbformat
import numpy as np
import pytest

from utils.course.notebooks import NOTEBOOKS
from utils.walkers.runs import train

WALKER_NOTEBOOK = NOTEBOOKS / "05_bipedal_walker.ipynb"


def run_pipeline_cells(namespace: dict) -> dict:
    cells = nbformat.read(WALKER_NOTEBOOK, as_version=4).cells
    parameters = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
    exec(parameters.source, namespace)
    namespace.update(namespace.pop("OVERRIDES"))
    for cell in cells:
        if "pipeline" in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
    return namespace


@pytest.fixture
def no_live_curve(monkeypatch):
    """The live curve draws into a notebook; here there is none."""
    import utils.walkers.figures

    monkeypatch.setattr(utils.walkers.figures, "LiveCurve", lambda *args: (lambda records: None))


def test_the_notebook_cells_and_the_command_line_train_the_same_parameters(tmp_path, no_live_curve):
    overrides = dict(TIMESTEPS=640, EVAL_EVERY=320, EVAL_EPISODES=1, FINAL_EPISODES=1, VIDEO_STEPS=10,
                     OUT=tmp_path / "notebook", TRAIN=True, OVERWRITE=False, SEED=5)
    cells = run_pipeline_cells({"OVERRIDES": overrides})
    notebook_model, config = cells["model"], cells["RUN"]
    assert notebook_model.num_timesteps == 640
    assert (tmp_path / "notebook" / "saved" / "model.zip").exists()

    command = train(replace(config, out=str(tmp_path / "cli"), package=False, progress=False))
    for a, b in zip(notebook_model.policy.state_dict().values(), command.model.policy.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy())
    logged = [json.loads(line) for line in (tmp_path / "notebook" / "logs" / "evaluations.jsonl").read_text().splitlines()]
    assert [dict(r, wall=0) for r in logged] == [dict(r, wall=0) for r in command.evaluations]
    assert config.recipe.alive_bonus == 0.25 and config.env_id == "Walker2DBulletEnv-v0"


def test_a_change_in_the_notebook_cells_shows(tmp_path, no_live_curve):
    """The comparison above can fail: one changed value in the A2C cell gives other parameters."""
    overrides = dict(TIMESTEPS=320, EVAL_EVERY=0, OUT=tmp_path / "nb", TRAIN=True, OVERWRITE=False, SEED=5,
                     VF_COEF=0.5)  # the cell reads VF_COEF; the recipe built from the parameters reads it too ...
    cells = run_pipeline_cells({"OVERRIDES": overrides})
    config = replace(cells["RUN"], recipe=replace(cells["RUN"].recipe, vf_coef=0.4))  # ... so the CLI is told 0.4
    command = train(replace(config, out=str(tmp_path / "cli"), package=False, progress=False))
    differ = [not np.array_equal(a.numpy(), b.numpy()) for a, b in
              zip(cells["model"].policy.state_dict().values(), command.model.policy.state_dict().values())]
    assert any(differ)
