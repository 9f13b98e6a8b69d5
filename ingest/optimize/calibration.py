"""Calibration samples: checking them against the model's inputs, splitting off a held-out slice, reading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ingest.errors import CalibrationMismatch
from ingest.optimize.graph import InputSpec

Sample = Mapping[str, np.ndarray]


def check(samples: Sequence[Sample] | None, specs: list[InputSpec], *, precision: str) -> list[dict[str, np.ndarray]]:
    """The samples as plain dicts, or CalibrationMismatch naming the expected input names and shapes."""
    expected = "; ".join(spec.describe() for spec in specs)
    if not samples:
        raise CalibrationMismatch(
            f"Precision '{precision}' needs calibration samples and none were given.",
            hint=f"Give one dict per sample with the model inputs ({expected}).",
        )
    names = [spec.name for spec in specs]
    checked: list[dict[str, np.ndarray]] = []
    for index, sample in enumerate(samples):
        if not isinstance(sample, Mapping):
            raise CalibrationMismatch(
                f"Calibration sample {index} is a {type(sample).__name__}, not a dict of input arrays.",
                hint=f"Expected inputs: {expected}.",
            )
        if set(sample) != set(names):
            raise CalibrationMismatch(
                f"Calibration sample {index} has inputs {sorted(sample)} but the model takes {names}.",
                hint=f"Expected inputs: {expected}.",
            )
        row: dict[str, np.ndarray] = {}
        for spec in specs:
            array = np.asarray(sample[spec.name])
            problem = _mismatch(array, spec)
            if problem:
                raise CalibrationMismatch(
                    f"Calibration sample {index}, input '{spec.name}': {problem}.",
                    hint=f"Expected inputs: {expected}.",
                )
            row[spec.name] = array
        checked.append(row)
    return checked


def _mismatch(array: np.ndarray, spec: InputSpec) -> str | None:
    if array.dtype.name != spec.dtype:
        return f"dtype {array.dtype.name}, expected {spec.dtype}"
    if array.ndim != len(spec.shape):
        return f"shape {list(array.shape)} has rank {array.ndim}, expected rank {len(spec.shape)}"
    for axis, (got, want) in enumerate(zip(array.shape, spec.shape, strict=True)):
        if isinstance(want, int) and want > 0 and got != want:  # a dim_value <= 0 (-1) is a free dimension
            return f"shape {list(array.shape)} differs on axis {axis} ({got} != {want})"
    return None


def split(
    samples: list[dict[str, np.ndarray]], fraction: float
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    """(calibrate, held_out). With fewer than 2 samples there is nothing to hold out: both are the samples."""
    if len(samples) < 2 or fraction <= 0.0:
        return samples, samples
    held = min(len(samples) - 1, max(1, round(len(samples) * fraction)))
    return samples[: len(samples) - held], samples[len(samples) - held :]


class Reader:
    """An onnxruntime CalibrationDataReader over in-memory samples.

    Duck-typed (CalibrationDataReader's ``__subclasshook__`` accepts any class with ``get_next``), so this
    module does not import onnxruntime.
    """

    def __init__(self, samples: Sequence[Mapping[str, np.ndarray]]):
        self._samples = list(samples)
        self._next = 0
        self._end = len(self._samples)

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= self._end:
            return None
        self._next += 1
        return dict(self._samples[self._next - 1])

    def rewind(self) -> None:
        self._next = 0
        self._end = len(self._samples)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._next = start_index
        self._end = min(end_index, len(self._samples))

    def __len__(self) -> int:
        return len(self._samples)

    def __iter__(self) -> Reader:
        self.rewind()
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        item = self.get_next()
        if item is None:
            raise StopIteration
        return item
