"""Self-checks for exercises: a ✔ line when an answer is right, a helpful error when not.

A check either prints one short line starting with ✔, or raises
:class:`CheckFailed` whose message names the failing case, what was expected,
what came back, and a hint.  nbgrader grades a test cell that calls a check as
it is: a cell that raises scores 0, a cell that prints scores full marks.

Per-chapter checks live beside this module (``neuronlab.check.ch01`` …) and are
built from the few primitives here.

>>> from neuronlab.check import expect_equal
>>> expect_equal(4, 2 + 2, what="2 + 2")
✔ 2 + 2 is 4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "Verbatim", "passed", "expect_equal", "expect_close", "expect_function_table"]


class Verbatim(str):
    """A description to show as it is in a check's message (other values are shown with ``repr``)."""


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Verbatim) else repr(value)


class CheckFailed(AssertionError):
    """An exercise answer is wrong; the message says where, and how to look for the mistake.

    It subclasses ``AssertionError`` so that graders and test runners treat it as a
    failed test, but it always carries a sentence, never a bare assert.
    """

    def __init__(self, what: str, case: str | None, expected: Any, got: Any, hint: str | None = None):
        self.what, self.case, self.expected, self.got, self.hint = what, case, expected, got, hint
        lines = [f"✘ {what}" + (f", for {case}" if case else "") + ":"]
        lines.append(f"    expected {_show(expected)}")
        lines.append(f"    got      {_show(got)}")
        if hint:
            lines.append(f"  Hint: {hint}")
        super().__init__("\n".join(lines))


MESSAGE_WIDTH = 88
"""A ✔ message wraps at this many characters (the width of the course's code), so that it
reads whole in a notebook and on the site instead of running off the edge."""


def passed(message: str) -> None:
    """Print the ✔ message of a check that passed, wrapped at :data:`MESSAGE_WIDTH` characters.

    Lines the message breaks itself are kept (each wrapped on its own, under its own indent).
    """
    import textwrap

    wrapped = []
    for line in f"✔ {message}".splitlines():
        own = " " * (len(line) - len(line.lstrip(" ")))
        wrapped.append(textwrap.fill(line.lstrip(" "), width=MESSAGE_WIDTH, initial_indent=own,
                                     subsequent_indent=own if own else "  ",
                                     break_long_words=False, break_on_hyphens=False))
    print("\n".join(wrapped))


RETURN_HINT = "it returned None: did you forget a `return` statement?"
"""The hint of a check whose learner's function returned nothing."""


def error_summary(error: Exception, limit: int = 240) -> str:
    """The error's type and the line of its message that says what went wrong.

    TensorFlow's graph errors run to dozens of lines of stack; the summary ("Incompatible
    shapes: …") is near the end, so the last line that is not a frame or a node name is kept.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("File ", "[[", "Detected at node"))]
    message = useful[-1] if useful else ""
    if len(message) > limit:
        message = message[:limit] + "…"
    return f"{type(error).__name__}: {message}"


def crashed(what: str, case: str | None, expected: Any, error: Exception, hint: str | None) -> CheckFailed:
    """A learner's exception as a failed case: what was expected, and the error in one line as what came back."""
    return CheckFailed(what, case, expected, Verbatim(error_summary(error)), hint)


def call_learner(function: Callable, args: tuple = (), kwargs: dict | None = None, *, what: str,
                 case: str | None, expected: Any, hint: str | None, expected_if_none: Any = None) -> Any:
    """``function(*args, **kwargs)`` for a check: a crash or a missing ``return`` becomes a failed case.

    An unfinished stub's ``NotImplementedError`` passes through, so the exercise says "not done yet"
    rather than "wrong".  ``expected_if_none``, if given, replaces ``expected`` in the message for a
    missing ``return``.
    """
    try:
        result = function(*args, **(kwargs or {}))
    except NotImplementedError:
        raise
    except Exception as error:
        raise crashed(what, case, expected, error, hint) from error
    if result is None:
        raise CheckFailed(what, case, expected if expected_if_none is None else expected_if_none, None, RETURN_HINT)
    return result


def array_text(array: Any, threshold: int | None = None, *, indent: bool = True) -> Verbatim:
    """An array rounded to 4 decimals, printed as NumPy prints it, for a check's message.

    ``threshold`` is :func:`numpy.array2string`'s: above that many entries the middle is
    summarised with ``...`` (``None``: NumPy's print option, 1000 unless changed).  With
    ``indent``, continuation lines line up under the first one after "expected "/"got      ".
    """
    text = np.array2string(np.round(np.asarray(array, dtype=float), 4), separator=", ", threshold=threshold)
    return Verbatim(text.replace("\n", "\n             ") if indent else text)


def loss_name(loss: Any) -> str:
    """A compiled Keras loss as a snake_case name ("sparse_categorical_crossentropy", …).

    Takes what ``model.loss`` holds: a string, a loss function, a loss object (whose ``name``
    is used, else its class name in snake_case), or a list or dict of several losses.
    Needs no Keras import.
    """
    import re

    if isinstance(loss, (list, tuple, dict)):
        return "several losses"
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name)).lower()


def _require_callable(function: Any, name: str) -> None:
    if not callable(function):
        raise TypeError(f"{name} must be a function, got {type(function).__name__}: {function!r}")


def expect_equal(expected: Any, got: Any, *, what: str, case: str | None = None,
                 hint: str | None = None, quiet: bool = False) -> None:
    """Check ``got == expected`` (arrays compare element-wise, shapes included).

    Parameters
    ----------
    expected, got : any
        The right answer and the learner's.
    what : str
        What is being checked, as the learner would name it ("your NAND network").
    case : str, optional
        The input or situation that was tried ("inputs A=1, B=0").
    hint : str, optional
        Where to look when it fails.
    quiet : bool, default False
        Don't print the ✔ line (when a larger check prints its own).
    """
    if not _same(expected, got):
        raise CheckFailed(what, case, expected, got, hint)
    if not quiet:
        passed(f"{what} is {expected!r}.")


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        return np.shape(expected) == np.shape(got) and bool(np.all(np.asarray(expected) == np.asarray(got)))
    try:
        return bool(expected == got)  # 1 == True == np.int64(1): any of them is a fine answer
    except (TypeError, ValueError):
        return False


def expect_close(expected: float | np.ndarray, got: Any, *, what: str, rtol: float = 1e-6,
                 atol: float = 1e-9, case: str | None = None, hint: str | None = None) -> None:
    """Check that ``got`` matches ``expected`` within ``rtol``/``atol`` (shapes must agree)."""
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(what, case, expected, got, "the answer should be a number or an array of numbers.") from None
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        raise CheckFailed(what, case, f"shape {expected_array.shape}", f"shape {got_array.shape}", hint)
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        raise CheckFailed(what, case, expected, got, hint)
    passed(f"{what} matches {np.round(expected_array, 6).tolist()} (rtol={rtol:g}).")


def expect_function_table(function: Callable[..., Any], table: Iterable[tuple[Sequence[Any], Any]], *,
                          what: str, hint: str | None = None, describe: Callable[[Sequence[Any]], str] | None = None,
                          success: str | None = None) -> None:
    """Call ``function(*args)`` for each ``(args, expected)`` row and stop at the first mismatch.

    Parameters
    ----------
    function : callable
        The learner's function.
    table : iterable of (args, expected) or (args, expected, hint)
        Argument tuples and the value each must return; a row's own hint, if
        given, replaces ``hint`` for that row.
    what : str
        The name of the thing being checked, for the messages.
    describe : callable, optional
        Turns an argument tuple into words for the failing case (default: ``args=…``).
    success : str, optional
        The ✔ line; by default "<what> is right on all N cases".
    """
    _require_callable(function, "function")
    rows = list(table)
    for args, expected, *row_hint in rows:
        case = describe(args) if describe else f"arguments {tuple(args)!r}"
        case_hint = row_hint[0] if row_hint else hint
        try:
            got = function(*args)
        except NotImplementedError:
            raise  # an unfinished exercise: the stub's own error says so best
        except Exception as error:  # a crash is a failed case, reported like one
            raise crashed(what, case, expected, error, case_hint) from error
        if got is None and expected is not None:
            case_hint = RETURN_HINT
        expect_equal(expected, got, what=what, case=case, hint=case_hint, quiet=True)
    passed(success or f"{what} is right on all {len(rows)} cases.")
