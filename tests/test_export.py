"""The algorithms live in notebook cells; `utils` keeps exported copies that must not drift (utils.course.export)."""
import nbformat
import pytest

from utils.course.export import END, begin_line, drift, exported, saved_cells
from utils.course.notebooks import NOTEBOOKS


def test_every_saved_cell_matches_its_copy_in_utils():
    assert not drift(), "run `python -m utils.course.export` after editing a #@save cell:\n" + "\n".join(drift())


def test_the_algorithms_are_exported():
    names = {module: [body.split("(")[0].split()[-1] for bodies in cells.values() for body in bodies]
             for module, cells in saved_cells().items()}
    assert names == {"utils/theory/reinforce.py": ["reinforce_update", "train_reinforce", "baseline_update"],
                     "utils/theory/actor_critic.py": ["train_actor_critic"], "utils/theory/a2c_scratch.py": ["a2c_loss", "train_a2c"],
                     "utils/theory/a2c_continuous.py": ["GaussianActorCritic", "train_a2c_continuous"]}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_no_notebook_slices_source_code(path):
    for cell in nbformat.read(path, as_version=4).cells:
        assert "getsource" not in cell.source, f"{path.name}: define the code in a cell (#@save), do not slice it"


def test_blocks_are_replaced_in_place_and_missing_ones_appended():
    module = f"import x\n\n\n{begin_line('01_a.ipynb')}\ndef f():\n    return 1\n{END}\n\n\ndef g():\n    pass\n"
    cells = {"01_a.ipynb": ["def f():\n    return 2"], "02_b.ipynb": ["def h():\n    pass"]}
    out = exported(module, cells)
    assert out.startswith(f"import x\n\n\n{begin_line('01_a.ipynb')}\ndef f():\n    return 2\n{END}\n\n\ndef g():")
    assert out.endswith(f"\n\n\n{begin_line('02_b.ipynb')}\ndef h():\n    pass\n{END}\n")
    assert exported(out, cells) == out  # exporting twice changes nothing


def test_a_block_without_its_cell_is_an_error():
    module = f"{begin_line('01_a.ipynb')}\ndef f():\n    pass\n{END}\n"
    with pytest.raises(ValueError, match="no #@save cell"):
        exported(module, {})
