"""Every notebook follows the template, is committed with its full-mode outputs, and agrees with the one repository slug."""
import re
from pathlib import Path

import nbformat
import pytest

from utils.course.notebooks import BADGE_PATTERN, NOTEBOOKS, ROOT, badge, code_sha256, is_setup_cell, setup_cell

PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
TOKEN = re.compile(r"hf_[A-Za-z0-9]{20,}|api[_-]?key\s*=\s*['\"][^'\"]{8,}", re.I)


def test_there_are_notebooks():
    assert PATHS, "no numbered notebooks under notebooks/"


@pytest.fixture(params=PATHS, ids=[p.name for p in PATHS])
def nb(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_stored_outputs_come_from_a_full_mode_run_of_the_current_code(nb):
    """Committed with the outputs of `make executed-notebooks`: full mode, every code cell run, no error, and made
    from the code cells as they are now (their hash is stored at execution)."""
    path, book = nb
    course = book.metadata.get("course", {})
    assert course.get("mode") == "full", f"{path.name}: no full-mode outputs stored; run `make executed-notebooks`"
    assert course.get("code_sha256") == code_sha256(book), (
        f"{path.name}: code cells changed since its outputs were made; run `make executed-notebooks`")
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code if c.source.strip()), f"{path.name}: some code cells never ran"
    errors = [i for i, c in enumerate(book.cells) for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: cells {errors} stored an error"
    setup = next(c for c in code if is_setup_cell(c))
    printed = "".join(o.get("text", "") for o in setup.outputs if o.output_type == "stream")
    assert "Mode: full" in printed, f"{path.name}: the set-up cell did not print full mode: {printed[-200:]!r}"


def test_stored_outputs_hold_no_video_and_no_widget(nb):
    """Videos are GIFs (`show_video`), progress bars are their final text: what GitHub and Colab can show."""
    path, book = nb
    assert "widgets" not in book.metadata, f"{path.name}: widget state stored"
    for i, cell in enumerate(book.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert not [m for m in data if m.startswith("video/") or "widget" in m], f"{path.name} cell {i}: {list(data)}"
            assert "<video" not in str(data.get("text/html", "")), f"{path.name} cell {i}: an embedded video"


def test_the_notebooks_folder_stays_under_25_MB():
    size = sum(p.stat().st_size for p in NOTEBOOKS.rglob("*") if p.is_file())
    assert size < 25e6, f"notebooks/ weighs {size / 1e6:.1f} MB"


def test_no_secrets(nb):
    path, _ = nb
    assert not TOKEN.search(path.read_text()), f"{path.name} contains something that looks like a token"


def test_template(nb):
    path, book = nb
    first = book.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "first cell: title"
    assert badge(path.name) in first.source, "first cell: the Colab badge for this notebook"
    assert "learn" in first.source.lower(), "first cell: what you will learn"
    setups = [c for c in book.cells if is_setup_cell(c)]
    assert len(setups) == 1 and setups[0].source == setup_cell(path.name), "one set-up cell: utils.course.notebooks.setup_cell(name)"
    assert book.cells.index(setups[0]) == 1, "the set-up cell comes right after the title"
    params = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].cell_type == "code", "exactly one code cell tagged `parameters`"
    headings = [c.source for c in book.cells if c.cell_type == "markdown"]
    assert any(h.lstrip().startswith("## Summary") for h in headings), "a `## Summary` section"
    assert any(h.lstrip().startswith("## Exercises") for h in headings), "a `## Exercises` section"


def test_no_sys_path_edits(nb):
    path, book = nb
    for cell in book.cells:
        assert "sys.path" not in cell.source, f"{path.name}: no sys.path edits; `utils` is installed"


def test_readme_badges_match_slug():
    readme = (ROOT / "README.md").read_text()
    found = BADGE_PATTERN.findall(readme)
    assert sorted(set(found)) == [p.name for p in PATHS], "README has one Colab badge per notebook"
    for name in found:
        assert badge(name) in readme


def test_the_module_map_matches_the_tree():
    import re

    import utils

    root = Path(utils.__file__).parent
    tree = {f"{p.parent.name}.{p.stem}" for p in root.glob("*/*.py") if p.stem != "__init__"}
    tree |= {p.stem for p in root.glob("*.py") if p.stem != "__init__"}
    mapped, package = set(), None
    for line in utils.__doc__.splitlines():
        heading = re.match(r"``utils\.(\w+)``:", line)
        if heading:
            package = heading.group(1)
        elif line.startswith("Command lines"):
            package = None
        names = re.findall(r"^    ``(\w+)``|``(\w+)``:", line) if line.startswith("    ") else []
        for name in [a or b for a, b in names]:
            mapped.add(f"{package}.{name}" if package else name)
        mapped |= set(re.findall(r"python -m utils\.(\w+)``", line))
    assert tree <= mapped, f"modules missing from utils/__init__.py's map: {sorted(tree - mapped)}"
    assert {m for m in mapped if "." in m} <= tree, f"mapped but not in the tree: {sorted({m for m in mapped if '.' in m} - tree)}"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_ends_with_summary_quiz_exercises(path):
    book = nbformat.read(path, as_version=4)
    sections = [c.source.lstrip().split("\n")[0] for c in book.cells
                if c.cell_type == "markdown" and c.source.lstrip().startswith("## ")]
    ends = [s.startswith(name) for s, name in zip(sections[-3:], ("## Summary", "## Quiz", "## Exercises"))]
    assert len(ends) == 3 and all(ends), (
        f"{path.name}: the last sections must be `## Summary`, `## Quiz`, `## Exercises`, in that order (found {sections[-3:]})")
