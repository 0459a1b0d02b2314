"""Feedback pages: points per part and visible tests' messages, never hidden tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from nbformat import NotebookNode

from autograder.execute import TIMEOUT, error_text

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A student's assertion message can be megabytes long; feedback keeps the start.
MAX_MESSAGE = 2000


@dataclass
class Part:
    """One graded test cell as the student sees it."""

    label: str
    grade_id: str
    score: float
    max_score: float
    message: str


def _hidden_lines(source: str) -> set[int]:
    """1-based line numbers inside hidden-test sections of a test cell."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip().startswith(HIDDEN_BEGIN):
            inside = True
        if inside:
            hidden.add(number)
        if line.strip().startswith(HIDDEN_END):
            inside = False
    return hidden


def _failing_line(cell: NotebookNode) -> int | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            text = _ANSI.sub("", "\n".join(output.get("traceback", [])))
            found = _CELL_LINE.findall(text)
            return int(found[0]) if found else None
    return None


def _message(cell: NotebookNode, passed: bool) -> str:
    if passed:
        return "passed"
    error = error_text(cell)
    if error is None:
        return "no points: the test cell wrote to stderr or did not run"
    if error.startswith(TIMEOUT):
        return error + "; look for an endless loop or a too-large budget"
    line = _failing_line(cell)
    hidden = _hidden_lines(cell.source)
    if line is None or line in hidden:
        # Hidden tests use inputs the student never saw: say that they failed, not how.
        return (
            "the visible self-check passed, but hidden tests on other inputs failed: "
            "check edge cases and the exact definition in the exercise"
        )
    return error


def parts(
    nb: NotebookNode,
    scores: dict[str, tuple[float, float]],
    overrides: dict[str, str] | None = None,
) -> list[Part]:
    """The graded parts of an autograded notebook, labelled by their section heading.

    OVERRIDES gives the message of a part that lost points outside the kernel.
    """
    result, heading = [], "Notebook"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
                    break
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type != "code" or not meta.get("grade") or grade_id not in scores:
            continue
        score, max_score = scores[grade_id]
        message = (overrides or {}).get(grade_id) or _message(
            cell, passed=score >= max_score
        )
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + " … (truncated)"
        result.append(Part(heading, grade_id, score, max_score, message))
    return result


def render(title: str, items: list[Part], status: str, note: str) -> str:
    """A small self-contained HTML page of the parts and their messages."""
    total = sum(p.score for p in items)
    possible = sum(p.max_score for p in items)
    rows = "\n".join(
        "<tr class='{cls}'><td>{label}</td><td><code>{gid}</code></td>"
        "<td>{s:g} / {m:g}</td><td><pre>{msg}</pre></td></tr>".format(
            cls="ok" if p.score >= p.max_score else "fail",
            label=html.escape(p.label),
            gid=html.escape(p.grade_id),
            s=p.score,
            m=p.max_score,
            msg=html.escape(p.message),
        )
        for p in items
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .4em; text-align: left;
  vertical-align: top; }}
tr.ok td:nth-child(3) {{ color: #1a7f37; }}
tr.fail td:nth-child(3) {{ color: #cf222e; }}
pre {{ white-space: pre-wrap; margin: 0; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Score: <b>{total:g} / {possible:g}</b> &middot; status: {html.escape(status)}</p>
<p>{html.escape(note)}</p>
<table><tr><th>Part</th><th>Test</th><th>Points</th><th>Message</th></tr>
{rows}
</table></body></html>
"""
