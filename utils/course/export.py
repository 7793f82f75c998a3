"""Notebook cells are the source of the algorithms; ``utils`` keeps exported copies (d2l's ``#@save`` idea).

A code cell whose first line is ``#@save utils/<module>.py`` is the algorithm the learner reads and edits. The
module holds a copy of it between two marker lines, for the tests and the later notebooks::

    # >>> #@save from notebooks/02_actor_critic.ipynb: edit it there, then run `python -m utils.course.export`
    ...the cell, without its first line...
    # <<< #@save

The i-th block of a module that names a notebook matches the i-th cell of that notebook marked for that module.
``python -m utils.course.export`` rewrites the blocks from the notebooks (a missing block is appended to its module);
:func:`drift` lists the differences, and ``tests/test_export.py`` fails while there is any. Exported cells hold
no imports: the notebook imports in an earlier cell, the module at its top.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

from utils.course.session import NOTEBOOKS, ROOT

MARK = re.compile(r"^#@save\s+(\S+\.py)\s*$")
BEGIN = re.compile(r"^# >>> #@save from notebooks/(\S+\.ipynb)")
END = "# <<< #@save"


def begin_line(notebook: str) -> str:
    return f"# >>> #@save from notebooks/{notebook}: edit it there, then run `python -m utils.course.export`"


def saved_cells(paths=None) -> dict[str, dict[str, list[str]]]:
    """``{module path: {notebook name: [cell body, ...]}}`` for every ``#@save`` cell, in notebook order."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(paths or NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            first, _, body = cell.source.partition("\n")
            match = MARK.match(first) if cell.cell_type == "code" else None
            if match:
                found.setdefault(match.group(1), {}).setdefault(Path(path).name, []).append(body.strip("\n"))
    return found


def blocks(text: str) -> list[tuple[str, int, int]]:
    """``(notebook, first body line, end line)`` of every block in a module's lines (0-based, end exclusive)."""
    lines, out, start = text.split("\n"), [], None
    for i, line in enumerate(lines):
        match = BEGIN.match(line)
        if match:
            start, notebook = i + 1, match.group(1)
        elif line == END and start is not None:
            out.append((notebook, start, i))
            start = None
    return out


def exported(module_text: str, cells: dict[str, list[str]]) -> str:
    """The module's text with its blocks replaced by ``cells`` (``{notebook: [body, ...]}``)."""
    lines = module_text.split("\n")
    seen: dict[str, int] = {}
    pieces, cursor = [], 0
    for notebook, start, end in blocks(module_text):
        index = seen.get(notebook, 0)
        seen[notebook] = index + 1
        bodies = cells.get(notebook, [])
        if index >= len(bodies):
            raise ValueError(f"a block names notebooks/{notebook}, which has no #@save cell for it left: "
                             "remove the block or mark a cell")
        pieces += lines[cursor:start - 1] + [begin_line(notebook)] + bodies[index].split("\n")
        cursor = end
    pieces += lines[cursor:]
    text = "\n".join(pieces)
    for notebook, bodies in cells.items():  # cells without a block yet: append one per cell
        for body in bodies[seen.get(notebook, 0):]:
            text = text.rstrip("\n") + f"\n\n\n{begin_line(notebook)}\n{body}\n{END}\n"
    return text


def drift() -> list[str]:
    """One line per module whose blocks differ from their notebook cells (empty when all agree)."""
    problems = []
    for module, cells in saved_cells().items():
        path = ROOT / module
        if not path.exists():
            problems.append(f"{module}: named by a #@save cell but missing")
            continue
        text = path.read_text()
        try:
            if exported(text, cells) != text:
                problems.append(f"{module}: differs from its #@save cells in {', '.join(sorted(cells))}")
        except ValueError as error:
            problems.append(f"{module}: {error}")
    return problems


def export() -> list[str]:
    """Rewrite every module's blocks from the notebooks; return the modules that changed."""
    changed = []
    for module, cells in saved_cells().items():
        path = ROOT / module
        text = path.read_text()
        new = exported(text, cells)
        if new != text:
            path.write_text(new)
            changed.append(module)
    return changed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m utils.course.export", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only list the modules that differ (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        print("\n".join(problems) or "every #@save block matches its notebook cell")
        raise SystemExit(1 if problems else 0)
    for module in export():
        print(f"updated {module}")


if __name__ == "__main__":
    main()
