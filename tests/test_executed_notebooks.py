"""`make executed-notebooks`: a notebook run in full mode (whatever the caller's COURSE_SMOKE), with the hash of its
code cells, its time and load stored, progress bars kept as text and hidden ones dropped."""
import os

import nbformat
import pytest

from utils.course.notebooks import code_sha256, execute, strip


@pytest.fixture
def tiny(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# tiny"),
        nbformat.v4.new_code_cell("import os\nprint('smoke:', os.environ.get('COURSE_SMOKE'), 'backend:', os.environ.get('MPLBACKEND'))"),
        nbformat.v4.new_code_cell("from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='gone', leave=False): pass"),
        nbformat.v4.new_code_cell("for _ in tqdm(range(3), desc='kept'): pass"),
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_execute_runs_full_mode_and_stores_what_made_the_outputs(tiny, monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    seconds = execute(tiny)
    assert os.environ["COURSE_SMOKE"] == "1" and os.environ["MPLBACKEND"] == "Agg", "the caller's environment is restored"
    book = nbformat.read(tiny, as_version=4)
    assert book.cells[1].outputs[0].text.strip() == "smoke: 0 backend: module://matplotlib_inline.backend_inline", "full mode, inline figures"
    course = book.metadata.course
    assert course.mode == "full" and course.code_sha256 == code_sha256(book) and course.seconds == round(seconds)
    assert course.cores == os.cpu_count() and "load_1min" in course and course.executed.endswith("UTC")
    assert book.cells[2].outputs == [], "a bar that hides itself when done (leave=False) is dropped"
    (bar,) = book.cells[3].outputs
    assert list(bar.data) == ["text/plain"] and bar.data["text/plain"].startswith("kept: 100%") and "3/3" in bar.data["text/plain"]
    assert "widgets" not in book.metadata
    assert strip(tiny) and "course" not in nbformat.read(tiny, as_version=4).metadata


def test_the_code_hash_sees_code_cells_only(tiny):
    book = nbformat.read(tiny, as_version=4)
    before = code_sha256(book)
    book.cells[0].source += "\nmore prose"
    book.cells[1].outputs = [nbformat.v4.new_output("stream", text="x")]
    assert code_sha256(book) == before
    book.cells[3].source += "  # edited"
    assert code_sha256(book) != before
