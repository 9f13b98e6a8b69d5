"""Errors a user can cause while ingesting a model. Each carries a hint saying what to do next."""

from __future__ import annotations

from typing import Any

from registry.errors import InvalidInput


class ExportFailed(InvalidInput):
    """torch -> ONNX export failed with every exporter tried."""

    code = "export_failed"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(
            detail,
            hint=hint or "Check that the model runs on its example inputs in eval mode, or try another opset.",
            extra=extra,
        )


class CalibrationMismatch(InvalidInput):
    """Calibration samples do not match the model's input names, ranks, shapes or dtypes."""

    code = "calibration_mismatch"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(
            detail,
            hint=hint or "Give one dict per sample, keyed by the model's input names, with matching shapes.",
            extra=extra,
        )


class UnsupportedPrecision(InvalidInput):
    """The precision asked for does not suit this model (e.g. w4a16 on a network without MatMul weights)."""

    code = "unsupported_precision"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail, hint=hint or "Pick another precision for this model.", extra=extra)


class InvalidModelFile(InvalidInput):
    """A file that should be an ONNX model is not one (garbage bytes, truncated, missing external data)."""

    code = "invalid_model_file"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(
            detail,
            hint=hint or "Re-export the model, or check that the file (and its .data file) was copied whole.",
            extra=extra,
        )


class InputShapeRequired(InvalidInput):
    """A bring-your-own model leaves input dimensions free and nothing gives them a value."""

    code = "input_shape_required"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail, hint=hint or "Pass --input-shape NAME:DIMxDIM... for each dynamic input.", extra=extra)


class DegenerateFidelity(InvalidInput):
    """A build's fidelity figures come from a degenerate run (NaN, cosine <= 0, SQNR at its clamp, constant
    outputs): they say nothing, so the build is not published as if they did."""

    code = "degenerate_fidelity"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(
            detail,
            hint=hint
            or "Check the input shapes and data (--input-shape, --eval-data); pass --accept-degenerate to publish "
            "the build with its figures marked degenerate.",
            extra=extra,
        )
