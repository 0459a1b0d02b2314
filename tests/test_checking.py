"""Unit tests for shared.checking: every diagnosis, and that cheats cannot pass."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from shared.checking import check_choice, check_close, check_shape, check_true

E = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def failure(actual: object, expected: object = E, **kwargs: object) -> str:
    """The message of the AssertionError raised by check_close."""
    with pytest.raises(AssertionError) as info:
        check_close("ret", actual, expected, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


# ---------------------------------------------------------------- passing cases


@pytest.mark.parametrize(
    "actual",
    [
        E.copy(),
        E.tolist(),
        tuple(E.tolist()),
        E + 1e-9,
        E.astype(np.float32),
        torch.tensor(E),
        torch.tensor(E, dtype=torch.float32, requires_grad=True) * 1.0,
    ],
)
def test_check_close_accepts_equivalent_inputs(actual: object) -> None:
    """Lists, float32, tensors with a graph all pass when the values match."""
    check_close("ret", actual, E)


def test_check_close_accepts_scalars_and_ints() -> None:
    """Python/NumPy scalars, 0-d tensors and int arrays are compared as numbers."""
    check_close("J", 2.0, 2.0)
    check_close("J", np.float32(0.5), 0.5)
    check_close("J", torch.tensor(3.0), np.float64(3.0))
    check_close("act", np.array([0, 2, 1]), np.array([0, 2, 1]))
    check_close("act", [True, False], np.array([1.0, 0.0]))


def test_check_close_matching_nonfinite_reference() -> None:
    """A -inf in the reference (log 0) is matched by -inf, not by a finite value."""
    expected = np.array([0.0, -np.inf])
    check_close("logp", np.array([0.0, -np.inf]), expected)
    message = failure(np.array([0.0, -50.0]), expected)
    assert "index (1,)" in message and "got -50, expected -inf" in message


def test_tolerances_are_respected() -> None:
    """An error within atol + rtol * |expected| passes, a larger one fails."""
    check_close("x", 1.001, 1.0, rtol=1e-2)
    message = failure(1.001, 1.0, rtol=1e-6, atol=0.0)
    assert "rtol=1e-06, atol=0" in message


# ---------------------------------------------------------------- type problems


def test_none_means_missing_return() -> None:
    """None is explained as a forgotten return, and the hint is appended."""
    message = failure(None, hint="return G, not print it")
    assert "`ret` is None" in message
    assert "forget to `return`" in message
    assert message.rstrip().endswith("Hint: return G, not print it")


@pytest.mark.parametrize(
    ("actual", "snippet"),
    [
        ("1.5", "str"),
        (len, "forget to call it"),
        (lambda x: x, "forget to call it"),
        ({"a": 1.0}, "dictionary"),
        ({1.0, 2.0}, "sets have no order"),
        ((x for x in E), "generator"),
        ([[1.0, 2.0], [3.0]], "inhomogeneous"),
        (object(), "dtype object"),
        (np.array([1.0, 2.0], dtype=object), "dtype object"),
        (np.array([1 + 2j]), "complex"),
        (torch.tensor([1 + 2j]), "complex tensor"),
        (np.array(["a", "b"]), "not numbers"),
    ],
)
def test_unconvertible_inputs_are_named(actual: object, snippet: str) -> None:
    """Objects that are not numbers are rejected with a message naming the problem."""
    message = failure(actual)
    assert snippet in message
    assert "`ret`" in message


def test_objects_that_claim_equality_do_not_pass() -> None:
    """__eq__ returning True, or an ndarray subclass, cannot fool the comparison."""

    class AlwaysEqual:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    assert "dtype object" in failure(AlwaysEqual())

    class Sneaky(np.ndarray):
        def __eq__(self, other: object) -> np.ndarray:  # type: ignore[override]
            return np.ones(np.shape(other), dtype=bool)

        def __sub__(self, other: object) -> np.ndarray:  # type: ignore[override]
            return np.zeros(np.shape(other))

        def __array_ufunc__(self, *args: object, **kwargs: object) -> object:
            return np.zeros(5)

    sneaky = np.zeros(5).view(Sneaky)
    assert "all zeros" in failure(sneaky)

    class FakeArray:
        def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
            return np.zeros(5)

        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    assert "all zeros" in failure(FakeArray())


def test_monkeypatched_numpy_does_not_change_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rebinding numpy functions after import cannot make a wrong answer pass."""
    monkeypatch.setattr(np, "abs", lambda x: np.zeros_like(x))
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "less_equal", lambda a, b: np.ones(np.shape(a), bool))
    monkeypatch.setattr(np, "isfinite", lambda x: np.ones(np.shape(x), bool))
    with pytest.raises(AssertionError):
        check_close("ret", E + 1.0, E)
    with pytest.raises(AssertionError):
        check_close("ret", np.array([1.0, np.nan, 3.0, 4.0, 5.0]), E)


def test_checking_works_without_torch() -> None:
    """checking never imports torch, so it works where torch is missing."""
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any `import torch` now fails
        "from shared.checking import check_close\n"
        "check_close('x', [1.0, 2.0], [1.0, 2.0])\n"
        "try:\n"
        "    check_close('x', [1.0, 3.0], [1.0, 2.0])\n"
        "except AssertionError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "index (1,): got 3, expected 2" in out.stdout


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("actual", "expected", "snippets"),
    [
        (np.ones((3, 2)), np.ones((2, 3)), ["shape (3, 2)", "(2, 3)", "transpose"]),
        (np.ones((5, 1)), np.ones(5), ["extra axis of size 1", ".squeeze(-1)"]),
        (np.ones(5), np.ones((5, 1)), ["missing an axis of size 1"]),
        (np.ones((1, 5, 2)), np.ones((5, 1, 2)), ["size 1 is in the wrong place"]),
        (np.ones((5, 5)), np.ones(5), ["broadcasting", "(5, 1)"]),
        (np.ones(6), np.ones((2, 3)), ["right number of entries (6)"]),
        (np.ones(4), np.ones(5), ["4 entries; 5 were expected", "one too few"]),
        (np.ones((6, 2)), np.ones((5, 2)), ["Axis 0 has length 6", "one too many"]),
        (np.ones((5, 9)), np.ones((5, 2)), ["Axis 1 has length 9 instead of 2."]),
        (np.ones(3), np.ones((2, 4)), ["fewer axes", "sum or average"]),
        (np.ones((2, 3, 4)), np.ones(5), ["more axes"]),
        ([2.0], 2.0, ["extra axis of size 1", ".item()"]),
    ],
)
def test_shape_mismatch_diagnoses(
    actual: object, expected: object, snippets: list[str]
) -> None:
    """Each kind of shape mistake gets its own explanation."""
    message = failure(actual, expected)
    for snippet in snippets:
        assert snippet in message, (snippet, message)


def test_check_shape() -> None:
    """check_shape accepts wildcards and explains mismatches."""
    check_shape("obs", np.zeros((5, 4)), (5, 4))
    check_shape("obs", torch.zeros(7, 4), (None, 4))
    check_shape("obs", [[1, 2], [3, 4]], (2, 2))
    with pytest.raises(AssertionError, match="transpose"):
        check_shape("obs", np.zeros((4, 5)), (5, 4))
    with pytest.raises(AssertionError, match="extra axis of size 1") as info:
        check_shape("val", torch.zeros(8, 1), (None,))
    assert "(any,)" in str(info.value)
    with pytest.raises(AssertionError, match="forget to `return`"):
        check_shape("obs", None, (5,))
    with pytest.raises(AssertionError, match="str"):
        check_shape("obs", "abc", (5,))


# ---------------------------------------------------------------- non-finite


def test_nan_and_inf_positions() -> None:
    """NaN/inf are reported with their count and the first position."""
    message = failure(np.array([1.0, 2.0, np.nan, np.inf, np.nan]))
    assert "2 NaN and 1 infinite" in message
    assert "index (2,)" in message
    assert "log(0)" in message
    message = failure(np.array([[1.0, 2.0], [np.inf, 3.0]]), np.ones((2, 2)))
    assert "index (1, 0)" in message and "1 infinite" in message


# ---------------------------------------------------------------- value diagnoses


def test_sign_flip() -> None:
    """actual = -expected is reported as a sign error."""
    message = failure(-E)
    assert "opposite sign" in message
    assert "constant c" not in message


def test_scale_factor_generic() -> None:
    """actual = c * expected reports c and the usual suspects."""
    message = failure(0.9 * E)
    assert "constant c = 0.9" in message
    assert "gamma" in message and "1/N" in message


def test_scale_factor_equal_to_n() -> None:
    """c = N (sum instead of mean) and c = 1/N are recognised."""
    assert "c equals N = 5" in failure(5 * E)
    assert "c equals 1/N with N = 5" in failure(E / 5)


def test_all_zeros() -> None:
    """An untouched zeros array is reported as such, not as c = 0."""
    message = failure(np.zeros(5))
    assert "all zeros" in message
    assert "constant c" not in message


@pytest.mark.parametrize(
    ("actual", "snippet"),
    [
        (np.array([0.0, 1.0, 2.0, 3.0, 4.0]), "shifted one step later"),
        (np.array([2.0, 3.0, 4.0, 5.0, 0.0]), "shifted one step earlier"),
    ],
)
def test_off_by_one_shift(actual: np.ndarray, snippet: str) -> None:
    """actual[t] = expected[t -+ 1] along axis 0 is recognised."""
    message = failure(actual)
    assert snippet in message
    assert "V(s_{t+1})" in message


def test_shift_not_claimed_for_constant_reference() -> None:
    """A constant reference is shift invariant, so no shift is claimed."""
    message = failure(np.array([0.0, 1.0, 1.0, 1.0]), np.ones(4))
    assert "shifted" not in message


def test_reversed_order() -> None:
    """A reward-to-go computed in the wrong direction is recognised."""
    message = failure(E[::-1].copy())
    assert "reverse order" in message and "backwards" in message


def test_generic_mismatch_details() -> None:
    """First differing index, both values, the max error and the tolerances."""
    actual = E.copy()
    actual[3] = 4.5
    actual[4] = 7.0
    message = failure(actual, rtol=1e-5, atol=1e-7)
    assert "2 of 5 entries differ" in message
    assert "First difference at index (3,): got 4.5, expected 4." in message
    assert "All entries before index 3 along axis 0 match" in message
    assert "Largest absolute error: 2 (at index (4,))" in message
    assert "rtol=1e-05, atol=1e-07" in message
    assert "Got:      [1. , 2. , 3. , 4.5, 7. ]" in message
    assert "shifted" not in message and "constant c" not in message


def test_mismatch_in_2d_reports_tuple_index() -> None:
    """Indices of multi-dimensional arrays are reported as tuples."""
    expected = np.arange(12.0).reshape(3, 4)
    actual = expected.copy()
    actual[1, 2] += 1.0
    message = failure(actual, expected)
    assert "index (1, 2): got 7, expected 6" in message


def test_large_arrays_are_not_printed_in_full() -> None:
    """Only small arrays are printed in full."""
    expected = np.arange(100.0)
    actual = expected.copy()
    actual[50] = -1.0
    message = failure(actual, expected)
    assert "Got:" not in message and "index (50,)" in message


def test_scalar_mismatch_reports_ratio() -> None:
    """For a scalar the ratio actual / expected is given."""
    message = failure(3.0, 1.5)
    assert "Got 3, expected 1.5." in message
    assert "ratio actual / expected is 2" in message


def test_low_precision_note() -> None:
    """A float32 result that is only slightly off is told to use float64."""
    expected = np.array([1.0, 1.0 + 1e-9, 2.0])
    actual = torch.tensor([1.0, 1.0, 2.0000002], dtype=torch.float32)
    message = failure(actual, expected, rtol=1e-12, atol=0.0)
    assert "float32" in message and "float64" in message
    assert "float32" not in failure(expected * 2)


def test_bad_reference_or_tolerance_is_a_usage_error() -> None:
    """Errors of the check's author are TypeError/ValueError, not AssertionError."""
    with pytest.raises(TypeError, match="reference value"):
        check_close("x", 1.0, "1.0")
    with pytest.raises(ValueError, match="rtol"):
        check_close("x", 1.0, 1.0, rtol=-1.0)


# ---------------------------------------------------------------- check_true


def test_check_true() -> None:
    """check_true passes True, raises the given message on False."""
    check_true(True, "unused")
    check_true(np.bool_(True), "unused")
    check_true(np.array([True]), "unused")
    check_true(torch.tensor(True), "unused")
    with pytest.raises(AssertionError, match="^probabilities must sum to 1$"):
        check_true(False, "probabilities must sum to 1")
    with pytest.raises(AssertionError, match="x"):
        check_true(torch.tensor(False), "x")


def test_check_true_rejects_arrays_and_non_bools() -> None:
    """Ambiguous conditions are a usage error with a hint to reduce them."""
    with pytest.raises(TypeError, match=r"\.all\(\) or \.any\(\)"):
        check_true(np.array([True, False]), "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="int"):
        check_true(1, "x")  # type: ignore[arg-type]


# ---------------------------------------------------------------- check_choice


def test_check_choice_accepts_well_formed_answers() -> None:
    """Sets, lists and NumPy ints are accepted and normalised to a frozenset."""
    assert check_choice("q1", {1, 3}, range(1, 5)) == frozenset({1, 3})
    assert check_choice("q1", [np.int64(2)], [1, 2, 3]) == frozenset({2})
    assert check_choice("q1", set(), [1, 2], allow_empty=True) == frozenset()


@pytest.mark.parametrize(
    ("answer", "snippets"),
    [
        (None, ["None", "q1 = {1, 2}"]),
        (2, ["single number 2", "q1 = {2}"]),
        ("2", ["str"]),
        ({"a": 1}, ["dict"]),
        (3.0, ["float"]),
        ({1, "2"}, ["'2'", "ints"]),
        ({True}, ["True", "bool"]),
        (set(), ["empty", "1, 2, 3, 4"]),
        ({1, 7}, ["7, which is not an option", "1, 2, 3, 4"]),
        ({0, 7}, ["0, 7, which are not options"]),
    ],
)
def test_check_choice_messages(answer: object, snippets: list[str]) -> None:
    """Malformed answers get a message; the right answer is never revealed."""
    with pytest.raises(AssertionError) as info:
        check_choice("q1", answer, [1, 2, 3, 4])
    for snippet in snippets:
        assert snippet in str(info.value), (snippet, str(info.value))
