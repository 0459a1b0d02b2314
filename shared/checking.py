"""Self-checks whose failure messages teach (used by the checks of every lecture).

`check_close` compares a student's result with a reference value and, when they
differ, says what the difference looks like: a missing `return`, a transposed or
squeezed shape, NaN, a sign flip, a constant factor, an off-by-one shift. The
visible self-checks and the hidden grading tests both call these functions.

Robustness: the student's object is first converted to a plain float64 ndarray;
every comparison after that is our own arithmetic on plain arrays, so an object
whose `__eq__` always returns True, or an ndarray subclass, cannot pass by itself.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_choice", "check_close", "check_shape", "check_true"]

# References taken at import time. A notebook that later rebinds attributes of
# the numpy module (say `np.abs = ...` or `np.allclose = lambda *a: True`) does
# not change the arithmetic below. ndarray methods (`.all()`, `.max()`) cannot be
# rebound from Python, so calling them on our own plain arrays is safe too.
_ndarray = np.ndarray
_float64 = np.float64
_bool = np.bool_
_integer = np.integer
_array = np.array
_abs = np.abs
_isfinite = np.isfinite
_isnan = np.isnan
_less_equal = np.less_equal
_where = np.where
_argmax = np.argmax
_unravel_index = np.unravel_index
_array2string = np.array2string
_ComplexWarning = np.exceptions.ComplexWarning

_FloatArray = NDArray[np.float64]

# Arrays at most this large are printed in full in a failure message.
_PRINT_LIMIT = 12
# Decimal digits that a floating-point type keeps (for the low-precision note).
_DIGITS = {"float16": 3, "bfloat16": 2, "float32": 7}


# --------------------------------------------------------------------------
# conversion


def _type_name(obj: object) -> str:
    cls = type(obj)
    if cls.__module__ in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _torch_tensor_type() -> type | None:
    # torch is only looked up if the caller already imported it: a tensor cannot
    # exist otherwise, and checking must work in an environment without torch.
    torch = sys.modules.get("torch")
    tensor = getattr(torch, "Tensor", None)
    return tensor if isinstance(tensor, type) else None


def _not_convertible(name: str, obj: object, detail: str) -> str:
    tip = {
        "str": "return the number itself, not its text",
        "dict": "return the array of values, not a dictionary",
        "set": "sets have no order; return a list or an array",
        "function": "did you forget to call it (add parentheses)?",
        "method": "did you forget to call it (add parentheses)?",
        "builtin_function_or_method": "did you forget to call it (add parentheses)?",
        "generator": "wrap it as np.array(list(...))",
    }.get(type(obj).__name__, "return a number, a NumPy array or a torch tensor")
    msg = (
        f"`{name}` should be a number or an array of numbers, but it is a "
        f"{_type_name(obj)} that cannot be turned into an array of floats: {tip}."
    )
    if detail:
        msg += f"\n  (conversion error: {detail})"
    return msg


class _NotNumeric(Exception):
    """Raised by _to_float_array; its message is meant for the student."""


def _to_float_array(name: str, obj: object) -> tuple[_FloatArray, str]:
    """Return obj as a fresh float64 ndarray, with the name of its original dtype."""
    if isinstance(obj, (str, bytes)) or (callable(obj) and not hasattr(obj, "shape")):
        raise _NotNumeric(_not_convertible(name, obj, ""))
    if isinstance(obj, (dict, set, frozenset)) or type(obj).__name__ == "generator":
        raise _NotNumeric(_not_convertible(name, obj, ""))
    tensor_type = _torch_tensor_type()
    src: Any = obj
    dtype_name = ""
    if tensor_type is not None and isinstance(obj, tensor_type):
        t: Any = obj
        dtype_name = str(t.dtype).replace("torch.", "")
        if t.is_complex():
            raise _NotNumeric(
                f"`{name}` is a complex tensor ({dtype_name}); a real-valued "
                "result was expected."
            )
        # float64 first: NumPy has no bfloat16, and detach() drops the graph.
        src = t.detach().cpu().double().numpy()
    try:
        probe = _array(src)
    except (TypeError, ValueError, RuntimeError) as err:
        raise _NotNumeric(_not_convertible(name, obj, str(err))) from None
    dtype_name = dtype_name or str(probe.dtype)
    kind = probe.dtype.kind
    if kind == "O":
        raise _NotNumeric(
            f"`{name}` is an array of dtype object (a container of arbitrary "
            "Python objects, often from ragged lists or a list of tensors); build "
            "a numeric array instead, e.g. np.array(values, dtype=float) or "
            "torch.stack(...)."
        )
    if kind in "USV":
        detail = f"its entries have dtype {probe.dtype}, not numbers"
        raise _NotNumeric(_not_convertible(name, obj, detail))
    if kind == "c":
        raise _NotNumeric(
            f"`{name}` has complex dtype {probe.dtype}; a real-valued result was "
            "expected."
        )
    # copy=True, subok=False: a fresh base-class float64 ndarray that we own
    arr = _array(probe, dtype=_float64, copy=True, subok=False)
    if type(arr) is not _ndarray:
        raise _NotNumeric(_not_convertible(name, obj, "unexpected array type"))
    return arr, dtype_name


def _expected_array(expected: object) -> _FloatArray:
    try:
        return _to_float_array("expected", expected)[0]
    except _NotNumeric as err:
        raise TypeError(f"check_close: unusable reference value: {err}") from None


# --------------------------------------------------------------------------
# formatting helpers


def _fmt(x: float | np.floating[Any] | _FloatArray) -> str:
    return f"{float(x):.6g}"


def _fmt_index(index: tuple[int | str, ...]) -> str:
    return (
        "(" + ", ".join(str(i) for i in index) + ("," if len(index) == 1 else "") + ")"
    )


def _fmt_array(arr: _FloatArray) -> str:
    text: str = _array2string(arr, precision=6, separator=", ", suppress_small=True)
    return " ".join(text.split())


def _first_index(mask: NDArray[np.bool_]) -> tuple[int, ...]:
    flat = int(_argmax(mask.reshape(-1)))
    return tuple(int(i) for i in _unravel_index(flat, mask.shape))


def _close_mask(
    a: _FloatArray, e: _FloatArray, rtol: float, atol: float
) -> NDArray[np.bool_]:
    # |a - e| <= atol + rtol |e| (np.isclose's rule, done with our own references)
    result: NDArray[np.bool_] = _less_equal(_abs(a - e), atol + rtol * _abs(e))
    return result


def _allclose(a: _FloatArray, e: _FloatArray, rtol: float, atol: float) -> bool:
    return bool(_close_mask(a, e, rtol, atol).all())


# --------------------------------------------------------------------------
# diagnoses


def _shape_message(name: str, got: tuple[int, ...], want: tuple[int, ...]) -> str:
    lines = [f"`{name}` has shape {got}, but shape {want} was expected."]
    got_size, want_size = math.prod(got), math.prod(want)
    no_ones_got = tuple(d for d in got if d != 1)
    no_ones_want = tuple(d for d in want if d != 1)
    if len(got) >= 2 and got == want[::-1]:
        lines.append(
            "That is the expected shape with its axes reversed (a transpose): check "
            "the order of your axes, e.g. (T, N) versus (N, T)."
        )
    elif len(want) == 1 and got == (want[0], want[0]) and want[0] > 1:
        lines.append(
            f"A result of shape ({want[0]}, {want[0]}) often comes from "
            f"broadcasting: an array of shape ({want[0]}, 1) combined with one of "
            f"shape ({want[0]},) silently "
            "becomes a square matrix. Use .squeeze(-1) on the (N, 1) one."
        )
    elif no_ones_got == no_ones_want and len(got) > len(want):
        lines.append(
            "It has an extra axis of size 1: remove it, e.g. with .squeeze(-1) "
            "(a network output of shape (batch, 1) is a typical source) or .item() "
            "for a single number."
        )
    elif no_ones_got == no_ones_want and len(got) < len(want):
        lines.append(
            "It is missing an axis of size 1: add it, e.g. with x[:, None] or "
            ".reshape(" + ", ".join(str(d) for d in want) + ")."
        )
    elif no_ones_got == no_ones_want:
        lines.append("An axis of size 1 is in the wrong place.")
    elif got_size == want_size:
        lines.append(
            f"It has the right number of entries ({want_size}) arranged differently: "
            "check your reshape/view and the order of the axes."
        )
    else:
        lines.append(f"It has {got_size} entries; {want_size} were expected.")
        if len(got) == len(want):
            for axis, (g, w) in enumerate(zip(got, want, strict=True)):
                if g == w:
                    continue
                line = f"Axis {axis} has length {g} instead of {w}"
                if abs(g - w) == 1:
                    line += (
                        f": one too {'many' if g > w else 'few'} (check loop bounds, "
                        "and whether a final bootstrap value should be included)."
                    )
                lines.append(line if abs(g - w) == 1 else line + ".")
        elif len(got) < len(want):
            lines.append(
                "It has fewer axes than expected: did you sum or average "
                "over an axis that should be kept?"
            )
        else:
            lines.append("It has more axes than expected.")
    return "\n  ".join(lines)


def _nonfinite_message(name: str, a: _FloatArray, bad: NDArray[np.bool_]) -> str:
    index = _first_index(bad)
    num_nan = int((_isnan(a) & bad).sum())
    num_inf = int(bad.sum()) - num_nan
    parts = []
    if num_nan:
        parts.append(f"{num_nan} NaN")
    if num_inf:
        parts.append(f"{num_inf} infinite")
    return (
        f"`{name}` contains {' and '.join(parts)} value(s) where finite numbers were "
        f"expected; the first is {_fmt(a[index])} at index {_fmt_index(index)}.\n  "
        "NaN usually comes from 0/0, log(0) * 0 or a diverging update; inf from "
        "log(0) or a division by zero (e.g. a standard deviation of 0)."
    )


def _value_diagnoses(
    a: _FloatArray, e: _FloatArray, rtol: float, atol: float
) -> list[str]:
    """Recognise common systematic mistakes (only for all-finite reference values)."""
    if not bool(_isfinite(e).all()):
        return []
    # slightly relaxed tolerances: c below is estimated in floating point
    r, t = max(rtol, 1e-9), max(atol, 1e-12)
    num_nonzero = int((_abs(e) > atol).sum())
    if not bool((_abs(a) > 0).any()) and num_nonzero:
        return [
            "Your result is all zeros: was the array filled in (did you write into "
            "it, or accumulate into a copy)?"
        ]
    if num_nonzero and _allclose(a, -e, r, t):
        return [
            "Your result is the expected one with the opposite sign: look for a "
            "sign error (e.g. minimising instead of maximising, or b - a for a - b)."
        ]
    notes: list[str] = []
    if num_nonzero >= 2:
        c = float((a * e).sum() / (e * e).sum())
        if abs(c - 1.0) > r and _allclose(a, c * e, r, t):
            note = f"Your result is the expected one times a constant c = {_fmt(c)}. "
            n0 = e.shape[0] if e.ndim else 1
            if e.ndim and abs(c - n0) <= 1e-6 * n0:
                note += f"c equals N = {n0}: a sum where a mean was expected?"
            elif e.ndim and abs(c * n0 - 1.0) <= 1e-6:
                note += f"c equals 1/N with N = {n0}: a mean where a sum was expected?"
            else:
                note += (
                    "Look for a missing or extra normalisation (1/N), a factor gamma "
                    "or (1 - gamma), or a wrong step size."
                )
            return [note]
    elif e.ndim == 0 and num_nonzero:
        notes.append(f"The ratio actual / expected is {_fmt(float(a) / float(e))}.")
    if e.ndim >= 1 and e.shape[0] >= 3:
        if not _allclose(e[1:], e[:-1], r, t):
            if _allclose(a[1:], e[:-1], r, t):
                notes.append(
                    "Your values are shifted one step later along axis 0 "
                    "(actual[t + 1] ~= expected[t]): check indices such as r[t] "
                    "versus r[t + 1], or V(s_t) versus V(s_{t+1})."
                )
            elif _allclose(a[:-1], e[1:], r, t):
                notes.append(
                    "Your values are shifted one step earlier along axis 0 "
                    "(actual[t] ~= expected[t + 1]): check indices such as r[t] "
                    "versus r[t + 1], or V(s_t) versus V(s_{t+1})."
                )
        if not _allclose(e[::-1], e, r, t) and _allclose(a, e[::-1], r, t):
            notes.append(
                "Your values are the expected ones in reverse order along axis 0: "
                "a running sum such as the reward-to-go must run backwards from the "
                "end of the episode; check the direction of your loop."
            )
    return notes


# --------------------------------------------------------------------------
# public checks


def check_close(
    name: str,
    actual: object,
    expected: object,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str | None = None,
) -> None:
    """Assert `actual` ~= `expected` and explain any difference (all lectures).

    actual: the student's value (number, list, ndarray or torch tensor).
    expected: the reference value; `actual` must have its shape.
    Entries pass when |actual - expected| <= atol + rtol * |expected|.
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"check_close: rtol={rtol} and atol={atol} must be >= 0.")
    e = _expected_array(expected)
    tail = f"\n  Hint: {hint}" if hint else ""

    if actual is None:
        raise AssertionError(
            f"`{name}` is None: did you forget to `return` the result (or to "
            f"replace the `raise NotImplementedError()` stub)?{tail}"
        )
    try:
        a, dtype_name = _to_float_array(name, actual)
    except _NotNumeric as err:
        raise AssertionError(str(err) + tail) from None
    if a.shape != e.shape:
        raise AssertionError(_shape_message(name, a.shape, e.shape) + tail)

    finite_e = _isfinite(e)
    # a non-finite reference entry (e.g. log 0 = -inf) is matched only by the same
    # value; NaN matches NaN
    same_nonfinite = ~finite_e & ((a == e) | (_isnan(a) & _isnan(e)))
    bad_nonfinite = ~_isfinite(a) & ~same_nonfinite
    if bool(bad_nonfinite.any()):
        raise AssertionError(_nonfinite_message(name, a, bad_nonfinite) + tail)

    a_f = _where(finite_e, a, 0.0)
    e_f = _where(finite_e, e, 0.0)
    close = _where(finite_e, _close_mask(a_f, e_f, rtol, atol), same_nonfinite)
    if bool(close.all()):
        return

    bad = ~close
    num_bad, size = int(bad.sum()), int(e.size)
    lines = [
        f"`{name}` is not close to the expected value"
        + (f" ({num_bad} of {size} entries differ)." if e.ndim else ".")
    ]
    lines += _value_diagnoses(a, e, rtol, atol)
    if e.ndim:
        index = _first_index(bad)
        line = (
            f"First difference at index {_fmt_index(index)}: got {_fmt(a[index])}, "
            f"expected {_fmt(e[index])}."
        )
        if index[0] > 0 and bool(close[: index[0]].all()):
            line += f" All entries before index {index[0]} along axis 0 match."
        lines.append(line)
    else:
        lines.append(f"Got {_fmt(a)}, expected {_fmt(e)}.")
    if e.ndim and size <= _PRINT_LIMIT:
        lines.append(f"Got:      {_fmt_array(a)}")
        lines.append(f"Expected: {_fmt_array(e)}")
    err_abs = _where(finite_e, _abs(a_f - e_f), 0.0)
    worst = _first_index(err_abs == err_abs.max()) if e.ndim else ()
    where = f" (at index {_fmt_index(worst)})" if e.ndim else ""
    lines.append(f"Largest absolute error: {_fmt(err_abs.max())}{where}.")
    lines.append(
        f"Tolerances: rtol={rtol:g}, atol={atol:g} "
        "(an entry passes if |actual - expected| <= atol + rtol * |expected|)."
    )
    rel_err = err_abs / (atol + _abs(e_f))
    if dtype_name in ("float16", "bfloat16", "float32") and rel_err.max() < 1e-2:
        lines.append(
            f"Your result was computed in {dtype_name}, which keeps only about "
            f"{_DIGITS[dtype_name]} significant digits: compute in float64 "
            "(np.float64 or torch.float64)."
        )
    raise AssertionError("\n  ".join(lines) + tail)


def check_true(condition: bool, message: str) -> None:
    """Assert a single True/False condition with a teaching message (all lectures)."""
    if isinstance(condition, (bool, _bool)):
        ok = bool(condition)
    else:
        arr: NDArray[Any] | None = None
        tensor_type = _torch_tensor_type()
        if tensor_type is not None and isinstance(condition, tensor_type):
            arr = _array(condition.detach().cpu().numpy())  # type: ignore[attr-defined]
        elif isinstance(condition, _ndarray):
            arr = _array(condition)
        if arr is None or arr.dtype != _bool or arr.size != 1:
            what = _type_name(condition)
            if arr is not None:
                what += f" of shape {arr.shape} and dtype {arr.dtype}"
            raise TypeError(
                f"check_true expects a single True/False, got {what}; reduce an "
                "array with .all() or .any() first."
            )
        ok = bool(arr.reshape(-1)[0])
    if not ok:
        raise AssertionError(message)


def check_shape(name: str, actual: object, shape: Iterable[int | None]) -> None:
    """Assert that `actual` has the given shape; None matches any length (all lectures).

    shape: expected shape, e.g. (T, N), or (None, 4) for "any batch size, 4 columns".
    """
    want = tuple(shape)
    if actual is None:
        raise AssertionError(
            f"`{name}` is None: did you forget to `return` the result?"
        )
    tensor_type = _torch_tensor_type()
    if tensor_type is not None and isinstance(actual, tensor_type):
        got = tuple(int(d) for d in actual.shape)  # type: ignore[attr-defined]
    elif isinstance(actual, _ndarray):
        got = tuple(int(d) for d in actual.shape)
    else:
        try:
            got = _to_float_array(name, actual)[0].shape
        except _NotNumeric as err:
            raise AssertionError(str(err)) from None
    if len(got) == len(want) and all(
        w is None or g == w for g, w in zip(got, want, strict=True)
    ):
        return
    # fill each wildcard with the length found at that position, so that the shape
    # diagnosis compares concrete shapes
    filled = tuple(
        (got[i] if i < len(got) else 1) if w is None else int(w)
        for i, w in enumerate(want)
    )
    message = _shape_message(name, got, filled)
    if None in want:
        shown = _fmt_index(tuple("any" if w is None else str(w) for w in want))
        message += f"\n  (Expected shape pattern: {shown}; 'any' matches any length.)"
    raise AssertionError(message)


def check_choice(
    name: str,
    answer: object,
    valid_options: Iterable[int],
    *,
    allow_empty: bool = False,
) -> frozenset[int]:
    """Check that a multiple-choice answer is well formed (all lectures' quizzes).

    Does not know the right answer: it only checks that `answer` is a collection of
    option numbers from `valid_options`, and returns it as a frozenset of ints.
    """
    options = sorted({int(o) for o in valid_options})
    example = "{" + ", ".join(str(o) for o in options[:2]) + "}"
    listed = ", ".join(str(o) for o in options)
    if answer is None:
        raise AssertionError(
            f"`{name}` is None: set it to the set of option numbers you choose, "
            f"e.g. {name} = {example}."
        )
    if isinstance(answer, (int, _integer)) and not isinstance(answer, (bool, _bool)):
        raise AssertionError(
            f"`{name}` is the single number {int(answer)}; write it as a set, "
            f"e.g. {name} = {{{int(answer)}}}, even when you choose one option."
        )
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, Iterable):
        raise AssertionError(
            f"`{name}` should be a set of option numbers such as {example}, but it "
            f"is a {_type_name(answer)}."
        )
    chosen: set[int] = set()
    for item in answer:
        if isinstance(item, (bool, _bool)) or not isinstance(item, (int, _integer)):
            raise AssertionError(
                f"`{name}` contains {item!r} ({_type_name(item)}); use option "
                f"numbers (ints) only, e.g. {example}, not their text."
            )
        chosen.add(int(item))
    if not chosen and not allow_empty:
        raise AssertionError(
            f"`{name}` is empty: choose at least one of the options {listed}."
        )
    unknown = sorted(chosen.difference(options))
    if unknown:
        raise AssertionError(
            f"`{name}` contains {', '.join(str(u) for u in unknown)}, which "
            f"{'is not an option' if len(unknown) == 1 else 'are not options'}; "
            f"the options are {listed}."
        )
    return frozenset(chosen)
