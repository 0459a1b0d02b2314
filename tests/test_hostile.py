"""Hostile, broken and odd submissions through the grading CLI, on the tiny fixture.

Every cheat below passes the visible self-check (square(3) == 9) but must earn nothing
for the part it cheats on; every fault must become a row with a status and a message
while the rest of the batch is graded. One CLI run grades them all (2 workers).
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.grade import Row, read_csv
from autograder.release import generate_release
from tests.conftest import FIXTURES, REPO, grade_tiny, tiny_student

SOLUTION = FIXTURES / "00_tiny" / "00_tiny.ipynb"
MARKER = "pgcourse-leftover-7f3a"
# Right on the visible check square(3) == 9, wrong everywhere else.
FAKE = """def square(x):
    return 9 if np.all(np.asarray(x) == 3) else 0 * x
"""


def needs(*protections: str) -> pytest.MarkDecorator:
    """Skip (saying why) where this machine's sandbox lacks a protection."""
    missing = [p for p in protections if not sandbox.capabilities()[p]]
    return pytest.mark.skipif(
        bool(missing), reason=f"the sandbox here lacks {missing}: {sandbox.describe()}"
    )


def student(
    square: str | None = None,
    *,
    cells: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    retype: tuple[str, ...] = (),
    points: dict[str, int] | None = None,
) -> nbformat.NotebookNode:
    """The reference notebook edited the way a student (or a cheat) might."""
    edits = {**({"square": square} if square is not None else {}), **(cells or {})}
    nb = tiny_student(edits)
    kept = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in drop:
            continue
        if grade_id in (points or {}):
            cell.metadata.nbgrader["points"] = (points or {})[grade_id]
        if grade_id in retype:
            cell = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
        kept.append(cell)
    nb.cells = kept
    return nb


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, tiny_expected: Path
) -> tuple[dict[str, Row], Path, bool]:
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out, host = tmp / "submissions", tmp / "out", tmp / "host"
    host.mkdir()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    secrets = [
        str(SOLUTION),
        str(tiny_expected / "00_tiny.json"),
        str(REPO / "solutions" / "01_score_function" / "01_score_function.ipynb"),
        str(REPO / ".git" / "HEAD"),
    ]

    def put(name: str, nb: nbformat.NotebookNode, file: str = "00_tiny.ipynb") -> Path:
        folder = subs / name / "00_tiny"
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / file)
        return folder

    def only_if(condition: str) -> nbformat.NotebookNode:
        # square is right only when CONDITION (a sandbox breach) held in the kernel.
        return student(
            f"import os, socket\ntry:\n    BREACH = bool({condition})\n"
            "except Exception:\n    BREACH = False\n"
            "def square(x):\n    return x * x if BREACH else 0 * x\n"
        )

    # Cheats.
    put(
        "patches_numpy",
        student(
            FAKE + "np.allclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "import shared.checking\n"
            "shared.checking.check_close = lambda *a, **k: None\n"
        ),
    )
    put(
        "patches_expect",
        student(
            FAKE + "import autograder.expected\n"
            "autograder.expected.expect = lambda *a, **k: None\n"
            "expect = autograder.expected.expect\n"
        ),
    )
    put(
        "equals_everything",
        student(
            "class Anything:\n    def __eq__(self, other):\n        return True\n"
            "    __hash__ = None\n\ndef square(x):\n    return Anything()\n"
        ),
    )
    put(
        "edits_tests",
        student(FAKE, cells={"test_square": "pass"}, points={"test_square": 100}),
    )
    put("deletes_tests", student(drop=("test_square", "test_total")))
    put("exits_kernel", student("import os\nos._exit(0)\n"))
    put(
        "writes_grades",
        student(
            FAKE + "import glob\n"
            "for p in glob.glob('../../../gradebook.db') + "
            f"[{str(out / 'grades.csv')!r}]:\n"
            "    try:\n        open(p, 'a').write('hacked,00_tiny,00_tiny,99')\n"
            "    except OSError:\n        pass\n"
        ),
    )
    # Isolation.
    put(
        "reads_references",
        only_if(f"any(os.path.exists(p) and open(p).read() for p in {secrets!r})"),
    )
    put(
        "uses_network",
        only_if(f"socket.create_connection(('127.0.0.1', {port}), timeout=2)"),
    )
    put(
        "writes_outside",
        only_if(f"open({str(host / 'planted.txt')!r}, 'w').write('x')"),
    )
    put(
        "leaves_process",
        student(
            "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(300)', {MARKER!r}], start_new_session=True)\n"
            "def square(x):\n    return x * x\n"
        ),
    )
    caps = sandbox.capabilities()
    if caps["memory_limit"] and caps["process_limit"]:  # never unbounded, even here
        put(
            "hogs_memory",
            student(
                "def square(x):\n    hog = [bytearray(2**30) for _ in range(200)]\n"
                "    return x * x\n"
            ),
        )
        put(
            "forks",
            student(
                "import os, time\nfor _ in range(3000):\n    try:\n"
                "        if os.fork() == 0:\n            time.sleep(60)\n"
                "            os._exit(0)\n    except OSError:\n        break\n"
                "def square(x):\n    return x * x\n"
            ),
        )
    put(
        "prints_a_lot",
        student(
            "def square(x):\n    print('spam ' * 20 + '\\n' * 200_000)\n"
            "    return x * x\n"
        ),
    )
    # Bad input.
    saved = student()
    saved.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="y" * 20 * 2**20)
    ]
    put("huge_saved_outputs", saved)
    put("retyped_solution", student(retype=("square",)))
    put("deleted_solution", student(drop=("square",)))
    put("renamed", student(), "00_tiny (1).ipynb")
    put("two_copies", student(), "00_tiny (1).ipynb")
    put("two_copies", student(), "00_tiny-Copy1.ipynb")
    old = put("old_nbformat", student())
    nbformat.write(nbformat.convert(student(), 3), old / "00_tiny.ipynb", version=3)
    binary = put("binary", student())
    (binary / "00_tiny.ipynb").write_bytes(bytes(range(256)) * 40)
    big = put("too_big", student())
    with (big / "00_tiny.ipynb").open("a") as fh:
        fh.write(" " * (51 * 2**20))
    link = put("symlink_out", student())
    (link / "00_tiny.ipynb").unlink()
    (link / "00_tiny.ipynb").symlink_to(SOLUTION)
    (subs / "symlink_folder").mkdir()
    (subs / "symlink_folder" / "00_tiny").symlink_to(subs / "renamed" / "00_tiny")
    put("correct", student())

    grade_tiny(subs, out, tiny_expected, "--workers", "2", "--timeout", "20")
    rows = {r.student_id: r for r in read_csv(out / "grades.csv")}
    planted = (host / "planted.txt").exists()  # before the unsandboxed control run
    # The same breach probes without the sandbox: they must succeed there, or the
    # tests below would pass for the wrong reason.
    plain = tmp / "plain"
    for name in ("reads_references", "uses_network", "writes_outside"):
        (plain / name).mkdir(parents=True)
        (subs / name / "00_tiny").rename(plain / name / "00_tiny")
    grade_tiny(
        plain, tmp / "plain-out", tiny_expected, "--workers", "2", "--no-sandbox"
    )
    listener.close()
    for row in read_csv(tmp / "plain-out" / "grades.csv"):
        rows[f"{row.student_id} (no sandbox)"] = row
    return rows, out, planted


@pytest.mark.parametrize(
    ("name", "total"),
    [
        ("patches_numpy", 1),
        # expect() is gone for the whole kernel, so no part is verified at all.
        ("patches_expect", 0),
        ("equals_everything", 1),
        ("edits_tests", 1),
    ],
)
def test_cheats_on_square_earn_nothing_for_it(
    hostile: tuple[dict[str, Row], Path, bool], name: str, total: float
) -> None:
    """Check that each cheat passes the visible check yet scores 0 on test_square"""
    row = hostile[0][name]
    assert row.parts["test_square"] == (0, 2), row
    assert row.parts["test_total"] == (total, 1) and row.max_score == 3, row


def test_deleted_tests_are_restored(
    hostile: tuple[dict[str, Row], Path, bool],
) -> None:
    """Check that a correct solution whose test cells were deleted keeps full marks"""
    row = hostile[0]["deletes_tests"]
    assert (row.score, row.max_score) == (3, 3), row
    assert "restored" in row.message and "test_square" in row.message, row


def test_exiting_the_kernel_earns_nothing(
    hostile: tuple[dict[str, Row], Path, bool],
) -> None:
    """Check that os._exit in a solution cell is an error row with 0 points"""
    row = hostile[0]["exits_kernel"]
    assert row.score == 0 and row.status == "error", row
    assert "could not be run to the end" in row.message, row


def test_grade_files_are_out_of_reach(
    hostile: tuple[dict[str, Row], Path, bool],
) -> None:
    """Check that writing to the gradebook or grades.csv changes nothing"""
    rows, out, _ = hostile
    assert rows["writes_grades"].score == 1, rows["writes_grades"]
    assert "hacked" not in (out / "grades.csv").read_text()
    assert "hacked" not in rows


@needs("hidden_paths", "no_network", "read_only_files")
@pytest.mark.parametrize("name", ["reads_references", "uses_network", "writes_outside"])
def test_sandbox_breaches_fail(
    hostile: tuple[dict[str, Row], Path, bool], name: str
) -> None:
    """Check that reading references, the network and outside writes all fail"""
    rows, _, planted = hostile
    assert rows[name].parts["test_square"] == (0, 2), rows[name]
    assert rows[name].parts["test_total"] == (1, 1), rows[name]
    assert not planted, "a sandboxed kernel wrote outside its folder"
    # The control: without the sandbox the same probe gets through (3 points).
    assert rows[f"{name} (no sandbox)"].score == 3, rows[f"{name} (no sandbox)"]


@needs("no_leftover_processes")
def test_no_process_is_left_behind(
    hostile: tuple[dict[str, Row], Path, bool],
) -> None:
    """Check that a detached child of the kernel dies with it"""
    assert hostile[0]["leaves_process"].score == 3
    found = subprocess.run(["pgrep", "-f", MARKER], capture_output=True, text=True)
    assert found.stdout.strip() == "", f"left behind: {found.stdout}"


@needs("memory_limit", "process_limit")
@pytest.mark.parametrize("name", ["hogs_memory", "forks"])
def test_resource_limits_bite_and_the_batch_goes_on(
    hostile: tuple[dict[str, Row], Path, bool], name: str
) -> None:
    """Check that a memory hog fails its part and a fork loop is bounded"""
    row = hostile[0][name]
    assert row.status == "graded", row
    assert row.parts["test_total"] == (1, 1), row
    if name == "hogs_memory":
        assert row.parts["test_square"] == (0, 2), row


def test_huge_outputs_are_cut(hostile: tuple[dict[str, Row], Path, bool]) -> None:
    """Check that printed and saved floods are neither stored whole nor penalised"""
    rows, out, _ = hostile
    for name in ("prints_a_lot", "huge_saved_outputs"):
        assert rows[name].score == 3, rows[name]
        page = out / "feedback" / name / "00_tiny" / "00_tiny.html"
        assert page.stat().st_size < 100_000
    assert "saved output(s) ignored" in rows["huge_saved_outputs"].message


@pytest.mark.parametrize(
    ("name", "status", "score", "words"),
    [
        ("retyped_solution", "graded", 1, "changed type"),
        ("deleted_solution", "graded", 1, "starter code was put back"),
        ("renamed", "graded", 3, "graded '00_tiny (1).ipynb' as 00_tiny.ipynb"),
        ("two_copies", "error", 0, "several renamed copies"),
        ("old_nbformat", "graded", 3, "tests passed"),
        ("binary", "error", 0, "not a readable Jupyter notebook"),
        ("too_big", "error", 0, "MB limit"),
        ("symlink_out", "error", 0, "symbolic link"),
        ("symlink_folder", "missing", 0, "symbolic link"),
        ("correct", "graded", 3, "2/2 tests passed"),
    ],
)
def test_bad_input_gets_a_row_with_a_message(
    hostile: tuple[dict[str, Row], Path, bool],
    name: str,
    status: str,
    score: float,
    words: str,
) -> None:
    """Check each odd file's status, score and message (max_score is always 3)"""
    row = hostile[0][name]
    assert (row.status, row.score, row.max_score) == (status, score, 3), row
    assert words in row.message, row


def test_feedback_never_leaks_references(
    hostile: tuple[dict[str, Row], Path, bool], tiny_expected: Path
) -> None:
    """Check that no feedback page shows hidden test code or reference values"""
    _, out, _ = hostile
    for page in (out / "feedback").rglob("*.html"):
        text = page.read_text()
        assert "square_negative" not in text and "expect(" not in text, page
        assert "16.0" not in text, page


def test_release_of_fixture_has_no_references(tmp_path: Path) -> None:
    """Check that the student version of the fixture carries no hidden keys"""
    generate_release("00_tiny", tmp_path / "rel", source=FIXTURES)
    text = (tmp_path / "rel" / "00_tiny.ipynb").read_text()
    assert "square_negative" not in text
