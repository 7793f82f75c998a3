"""Small result tables rendered as Markdown in a notebook (no pandas needed).

Introduced in notebook 01; notebooks 02-03 use it for their results.
"""
from __future__ import annotations


def _cell(text: str) -> str:
    """A ``|`` inside a header or cell would end the cell: escaped as ``\\|`` (GitHub-flavoured Markdown)."""
    return text.replace("|", "\\|")


def markdown_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """``columns`` are ``(key, header, format)`` triples, e.g. ``("variance", "Var per episode", "{:.3g}")``."""
    lines = ["| " + " | ".join(_cell(header) for _, header, _ in columns) + " |",
             "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(fmt.format(row[key])) for key, _, fmt in columns) + " |")
    return "\n".join(lines)


def show_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """Display :func:`markdown_table` in the notebook (printed as text outside one)."""
    text = markdown_table(rows, columns)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(text))
            return
    except ImportError:
        pass
    print(text)
