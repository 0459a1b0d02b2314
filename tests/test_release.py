"""lectures/ and the recorded reference values come from solutions/, in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import course, expected
from autograder.release import _same_values
from tests.conftest import run_cli


def test_every_solution_has_a_release_and_references() -> None:
    """Check that each solution notebook has its generated twin and reference values"""
    ids = course.assignments()
    assert ids, "solutions/ has no lecture"
    for assignment in ids:
        for name in course.notebooks(assignment):
            assert (course.LECTURES / assignment / f"{name}.ipynb").is_file()
        assert (expected.EXPECTED_DIR / f"{assignment}.json").is_file()


def test_lectures_and_references_are_in_sync() -> None:
    """Check that regenerating from solutions/ changes nothing (else: make release)"""
    done = run_cli("release", "--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in sync" in done.stdout


def test_released_lectures_hold_no_answers() -> None:
    """Check that no solution code or hidden test reaches lectures/"""
    for path in course.LECTURES.rglob("*.ipynb"):
        text = path.read_text()
        for marker in (
            "BEGIN SOLUTION",
            "END SOLUTION",
            "BEGIN HIDDEN TESTS",
            "expect(",
        ):
            assert marker not in text, f"{path} contains {marker!r}"


def test_stale_values_are_detected() -> None:
    """Check that the staleness comparison notices a changed, missing or extra value"""
    old = {"a": {"shape": [2], "data": [1.0, 2.0]}, "q": {"choice": [1, 3]}}
    assert _same_values(old, json.loads(json.dumps(old))) == []
    assert _same_values(old, {**old, "a": {"shape": [2], "data": [1.0, 2.001]}}) == [
        "a"
    ]
    assert _same_values(old, {**old, "q": {"choice": [1]}}) == ["q"]
    assert _same_values(old, {"a": old["a"]}) == ["q"]


def test_expect_records_then_compares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that expect() records the reference, then fails a different answer"""
    monkeypatch.setenv(expected.RECORD_ENV, str(tmp_path))
    expected.expect("00_demo/square", [1.0, 4.0, 9.0])
    expected.expect_choice("00_demo/quiz", {3, 1})
    monkeypatch.delenv(expected.RECORD_ENV)
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    expected.expect("00_demo/square", [1, 4, 9])
    expected.expect_choice("00_demo/quiz", [1, 3])
    with pytest.raises(AssertionError, match="square"):
        expected.expect("00_demo/square", [1.0, 4.0, 8.0])
    with pytest.raises(AssertionError, match="not the right selection"):
        expected.expect_choice("00_demo/quiz", {1})
    with pytest.raises(KeyError, match="make release"):
        expected.expect("00_demo/unknown", 1.0)


def test_expect_is_not_fooled_by_an_object_equal_to_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that an object whose == always says True earns nothing"""

    class Liar:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    monkeypatch.setenv(expected.RECORD_ENV, str(tmp_path))
    expected.expect("00_demo/value", 2.5)
    monkeypatch.delenv(expected.RECORD_ENV)
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    with pytest.raises(AssertionError):
        expected.expect("00_demo/value", Liar())


def test_index_lists_every_lecture_with_points() -> None:
    """Check that the generated index names each lecture, its time and its points"""
    from autograder import index

    text = index.render()
    for assignment in course.assignments():
        lecture = index.lecture_info(
            course.SOLUTIONS / assignment / f"{assignment}.ipynb"
        )
        assert f"]({assignment}/{assignment}.ipynb) | {lecture.minutes} min" in text
        assert lecture.points > 0 and lecture.goals


def test_index_names_a_notebook_without_metadata() -> None:
    """Check that a notebook lacking the index metadata is named in the error"""
    from autograder import index
    from tests.conftest import FIXTURES

    with pytest.raises(ValueError, match="00_tiny.ipynb.*lacks"):
        index.render(FIXTURES)
