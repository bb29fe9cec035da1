"""What a real objective returns: an outcome, successful or failed with its reason."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OK, FAILED = "ok", "failed"
STDERR_TAIL_CHARS = 2000
MAX_EPOCHS = 1_000_000  # more epochs than any training reports; bounds what a result may claim


@dataclass(frozen=True)
class Outcome:
    """One evaluation of a configuration by a real objective."""

    status: str
    error: float = 1.0
    accuracy: float = 0.0
    exec_time: float = 0.0
    epochs: int = 1
    best_epoch: int = 1
    curve: tuple[float, ...] = field(default=(), repr=False)
    reason: str = ""
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        """True for a successful evaluation."""
        return self.status == OK


def failed(reason: str, exec_time: float = 0.0, stderr: str = "") -> Outcome:
    """A failed evaluation with its reason and the tail of its stderr."""
    return Outcome(FAILED, exec_time=exec_time, reason=reason, stderr_tail=stderr[-STDERR_TAIL_CHARS:])


def outcome_from_result(
    result: Any, metric: str, seconds: float, curve: list[tuple[int, float]], stderr: str = ""
) -> Outcome:
    """Read an objective's result: a number (in ``metric``) or a dict with error or accuracy.

    Optional dict keys: ``exec_time`` (else the measured ``seconds``) and ``epochs``. Per-epoch
    reports (``curve``: (epoch, accuracy)) give the best epoch. Anything else is a failed outcome.
    """
    if isinstance(result, dict):
        keys = [k for k in ("error", "accuracy") if k in result]
        if not keys:
            return failed(f"result has neither error nor accuracy: {_short(result)}", seconds, stderr)
        kind, value = keys[0], result[keys[0]]
        seconds = result.get("exec_time", seconds)
        epochs = result.get("epochs", len(curve) or 1)
    else:
        kind, value, epochs = ("error" if metric == "error" else "accuracy"), result, len(curve) or 1
    number = _number(value)
    if number is None:
        return failed(f"{kind} is not a number: {_short(value)}", _seconds(seconds), stderr)
    if math.isnan(number) or math.isinf(number):
        return failed(f"{kind} is {number}", _seconds(seconds), stderr)
    if not 0.0 <= number <= 1.0:
        return failed(f"{kind} {number:g} is outside [0, 1]", _seconds(seconds), stderr)
    count = _epochs(epochs)
    if count is None:
        return failed(f"epochs is not a whole number >= 1: {_short(epochs)}", _seconds(seconds), stderr)
    accuracy = number if kind == "accuracy" else 1.0 - number
    best_epoch = max(curve, key=lambda p: p[1])[0] if curve else count
    return Outcome(
        OK,
        error=1.0 - accuracy,
        accuracy=accuracy,
        exec_time=_seconds(seconds),
        epochs=count,
        best_epoch=int(best_epoch),
        curve=tuple(a for _, a in curve),
        stderr_tail=stderr[-STDERR_TAIL_CHARS:],
    )


def report_value(epoch: Any, accuracy: Any = None, error: Any = None) -> tuple[int, float]:
    """One per-epoch report as (epoch, accuracy); raises ValueError on bad input."""
    if (accuracy is None) == (error is None):
        raise ValueError("report(epoch=..., accuracy=... or error=...) takes exactly one of accuracy, error")
    value = _number(accuracy if accuracy is not None else error)
    whole = _epochs(epoch)
    if value is None or whole is None:
        raise ValueError(
            f"report needs a whole epoch >= 1 and a number, got epoch={_short(epoch)}, "
            f"value={_short(accuracy if accuracy is not None else error)}"
        )
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        kind = "accuracy" if accuracy is not None else "error"
        raise ValueError(f"reported {kind} {value:g} at epoch {whole} is outside [0, 1]")
    return whole, value if accuracy is not None else 1.0 - value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _epochs(value: Any) -> int | None:
    """A whole number of epochs >= 1 (at most ``MAX_EPOCHS``), else None."""
    number = _number(value)
    if number is None or not math.isfinite(number) or number != int(number) or not 1 <= number <= MAX_EPOCHS:
        return None
    return int(number)


def _seconds(value: Any) -> float:
    number = _number(value)
    return number if number is not None and number >= 0 and math.isfinite(number) else 0.0


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
