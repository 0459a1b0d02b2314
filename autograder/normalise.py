"""Turn whatever a student handed in into a notebook the grader can run, or say why not.

nbgrader already overwrites the *source* of test cells that are present. This module
handles what it does not:

* a test or read-only cell the student deleted is put back where it belongs, so a
  correct solution whose tests were deleted still earns full marks;
* a solution cell that was deleted, or retyped (code to markdown), gets the release's
  starter code back: that part scores 0 and the rest is graded;
* saved outputs are dropped before grading (they are never trusted, and can be huge);
* a renamed copy such as ``01_score_function (1).ipynb`` is matched when unambiguous;
* symbolic links, oversized, binary and unparsable files are refused with a message.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

# A submitted notebook larger than this is refused before it is parsed.
MAX_NOTEBOOK_BYTES = 50 * 2**20
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|[-_ ]?copy\d*|-Copy\d+)$", re.IGNORECASE)


class Unusable(Exception):
    """The file cannot be graded; the message says why, for the student."""


@dataclass
class Prepared:
    """A notebook ready for nbgrader, and what was changed on the way."""

    nb: NotebookNode
    notes: list[str] = field(default_factory=list)


def find_notebook(folder: Path, name: str, expected: list[str]) -> tuple[Path, str]:
    """The file in FOLDER to grade as NAME.ipynb, and a note when it was renamed.

    Raises FileNotFoundError when nothing matches, Unusable when several could.
    """
    exact = folder / f"{name}.ipynb"
    if exact.exists() or exact.is_symlink():
        return exact, ""
    others = sorted(
        p
        for p in folder.glob("*.ipynb")
        if p.stem not in expected and not p.name.startswith(".")
    )
    named = [p for p in others if _COPY_SUFFIX.sub("", p.stem).strip() == name]
    if len(named) > 1:
        raise Unusable(
            f"no {name}.ipynb, and several renamed copies could be it "
            f"({', '.join(p.name for p in named)}); keep exactly one"
        )
    if not named and len(expected) == 1 and len(others) == 1:
        named = others
    if not named:
        raise FileNotFoundError(f"no {name}.ipynb in the submission")
    return named[0], f"graded {named[0].name!r} as {name}.ipynb"


def read(path: Path, submission: Path) -> NotebookNode:
    """Parse PATH as a v4 notebook; refuse links, huge, binary and malformed files."""
    if path.is_symlink() or not path.resolve().is_relative_to(submission.resolve()):
        raise Unusable("the notebook is a symbolic link; submit the file itself")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise Unusable(
            f"the file is {size / 2**20:.0f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20}"
            " MB limit: clear the outputs (Edit > Clear Outputs of All Cells) and save"
        )
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any parse failure is the student's file
        raise Unusable(
            f"not a readable Jupyter notebook ({type(err).__name__}: {str(err)[:200]})"
        ) from err
    try:
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001
        raise Unusable(
            f"not a valid Jupyter notebook (nbformat {nb.get('nbformat', '?')}: "
            f"{str(err).splitlines()[0][:200]})"
        ) from err
    if not nb.cells:
        raise Unusable("the notebook has no cells")
    return nb


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _grade_id(cell: NotebookNode) -> str | None:
    return _meta(cell).get("grade_id")


def _is_solution(cell: NotebookNode) -> bool:
    return bool(_meta(cell).get("solution"))


def prepare(nb: NotebookNode, template: NotebookNode) -> Prepared:
    """Merge a student's NB with the release TEMPLATE cell by cell (by grade_id)."""
    notes: list[str] = []
    cells = [copy.deepcopy(c) for c in nb.cells]
    outputs = sum(len(c.get("outputs", [])) for c in cells)
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if outputs:
        notes.append(f"{outputs} saved output(s) ignored")

    restored: list[str] = []
    reset: list[str] = []
    position = 0  # where the next template cell goes: after the last one placed
    for reference in template.cells:
        grade_id = _grade_id(reference)
        if grade_id is None:
            continue
        at = next((i for i, c in enumerate(cells) if _grade_id(c) == grade_id), None)
        if at is not None and _is_solution(reference):
            # The student's answer stays wherever they put it, unless it was retyped.
            if cells[at].cell_type != reference.cell_type:
                cells[at] = copy.deepcopy(reference)
                reset.append(grade_id)
            position = max(position, at + 1)
            continue
        if at is not None and at >= position:
            position = at + 1  # nbgrader restores a present test cell's source
            continue
        if at is not None:  # a test cell moved above an earlier graded cell
            del cells[at]
            position -= 1
        cells.insert(position, copy.deepcopy(reference))
        (reset if _is_solution(reference) else restored).append(grade_id)
        position += 1
    if restored:
        notes.append(f"restored deleted or moved cell(s) {', '.join(restored)}")
    if reset:
        notes.append(
            f"answer cell(s) {', '.join(reset)} were deleted or changed type; "
            "their starter code was put back and those parts score 0"
        )
    merged = copy.deepcopy(template)
    merged.cells = cells
    return Prepared(merged, notes)
