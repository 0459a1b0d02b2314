"""Every wrong implementation fails its own test cell; every right one passes them all.

One kernel per lecture runs the solution notebook (shortened, as under grading), then
for each mutant re-runs the cells from the first rewritten one to the test cell it must
fail, and puts the reference cells back. This checks each mutant alone, so a wrong
exercise can never hide behind a neighbour's mistake in the packed CLI test.
"""

from __future__ import annotations

from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.execute import environment, error_text
from tests.mutation import MODULES, grade_id, solution_path


class Kernel:
    """A live kernel holding one executed notebook, whose cells can be re-run."""

    def __init__(self, client: NotebookClient, nb: nbformat.NotebookNode) -> None:
        self.client, self.nb = client, nb
        self.index = {grade_id(c): i for i, c in enumerate(nb.cells)}
        # The kernel's own verdict on each execution: it cannot be lost the way an
        # error output can when iopub messages lag on a loaded machine.
        self.status: dict[int, str] = {}
        client.on_cell_executed = self._record

    def _record(self, cell: object, cell_index: int, execute_reply: dict) -> None:
        self.status[cell_index] = execute_reply["content"]["status"]

    def run(
        self, start: int, stop: int, replacements: dict[str, str]
    ) -> dict[str, str]:
        """Run cells start..stop (inclusive), rewritten; return grade_id -> error."""
        errors = {}
        for i in range(start, stop + 1):
            cell = self.nb.cells[i]
            if cell.cell_type != "code":
                continue
            # nbclient routes outputs by cell index, so run the notebook's own cell
            # with its source swapped, then put the reference source back.
            original = cell.source
            cell.source = replacements.get(grade_id(cell), original)
            cell.outputs = []
            try:
                self.client.execute_cell(cell, i)
            finally:
                cell.source = original
            if self.status.pop(i, "ok") != "ok" or error_text(cell):
                errors[grade_id(cell)] = error_text(cell) or "the cell raised an error"
        return errors


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.ASSIGNMENT)
def test_each_mutant_fails_its_test_and_alternatives_pass(module: ModuleType) -> None:
    """Check each wrong implementation alone fails its target; right ones pass all"""
    path = solution_path(module.ASSIGNMENT)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    problems: list[str] = []
    with environment({"NBGRADER_EXECUTION": "autograde"}), client.setup_kernel():
        k = Kernel(client, nb)
        last = len(nb.cells) - 1
        assert k.run(0, last, {}) == {}, "the solution notebook must run cleanly"
        for name, replacements in sorted(module.WRONG.items()):
            start = min(k.index[gid] for gid in replacements)
            target = module.LOSES[name]
            stop = k.index[target]
            assert start < stop, (
                f"{name}: its test cell comes before the cell it rewrites"
            )
            if target not in k.run(start, stop, replacements):
                problems.append(f"{name} passes {target}")
            if errors := k.run(start, stop, {}):
                pytest.fail(f"after undoing {name}, the reference fails: {errors}")
        for name, replacements in sorted(module.CORRECT.items()):
            start = min(k.index[gid] for gid in replacements)
            if errors := k.run(start, last, replacements):
                problems.append(f"correct alternative {name} fails: {errors}")
            k.run(start, last, {})
    assert not problems, "\n".join(problems)
