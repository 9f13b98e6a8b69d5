"""Loading, checking, normalizing and saving ONNX graphs, shared by every precision."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ingest.errors import InvalidModelFile
from registry.errors import require

# Protobuf cannot serialize a message past 2 GiB; stay well below it before switching to external data.
EXTERNAL_DATA_THRESHOLD: Final = 1_800_000_000
MIN_QDQ_OPSET: Final = 13  # per-channel QuantizeLinear / DequantizeLinear (axis attribute)
WEIGHTED_OPS: Final = ("Conv", "ConvTranspose", "Gemm", "MatMul")


@dataclass(frozen=True)
class InputSpec:
    name: str
    dtype: str  # numpy dtype name, e.g. "float32"
    shape: tuple[int | str | None, ...]  # ints are fixed, strings are symbolic, None is unknown

    def describe(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.name}: {self.dtype}[{dims}]"


def load(path: Path) -> Any:
    """The ModelProto at ``path`` with external data loaded, or InvalidModelFile saying what is wrong."""
    onnx = require("onnx", "ml")
    if not path.is_file():
        raise InvalidModelFile(f"No ONNX file at '{path}'.", hint="Check the path.")
    try:
        model = onnx.load(str(path), load_external_data=True)
    except Exception as exc:  # onnx raises DecodeError, OSError, ValueError depending on the damage
        raise InvalidModelFile(
            f"'{path.name}' is not a readable ONNX model ({type(exc).__name__}: {_short(exc)})."
        ) from exc
    if not model.graph.node:
        raise InvalidModelFile(
            f"'{path.name}' parses but holds no graph nodes; it is not an ONNX model (or it was truncated)."
        )
    try:
        # Path-based check handles models above 2 GiB and validates external-data references.
        onnx.checker.check_model(str(path))
    except Exception as exc:
        raise InvalidModelFile(f"'{path.name}' is not a valid ONNX model: {_short(exc)}") from exc
    return model


def save(model: Any, path: Path) -> list[Path]:
    """Write ``model`` to ``path``; above the protobuf limit, all weights go to one ``<name>.data`` file.

    Returns the files written (the model first).
    """
    onnx = require("onnx", "ml")
    path.parent.mkdir(parents=True, exist_ok=True)
    data_path = path.with_name(path.name + ".data")
    data_path.unlink(missing_ok=True)
    if model.ByteSize() < EXTERNAL_DATA_THRESHOLD:
        onnx.save_model(model, str(path))
        return [path]
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=data_path.name)
    return [path, data_path]


def total_size(path: Path) -> int:
    """Bytes of the model file plus its external data files."""
    onnx = require("onnx", "ml")
    size = path.stat().st_size
    model = onnx.load(str(path), load_external_data=False)
    locations: set[str] = {
        entry.value for tensor in model.graph.initializer for entry in tensor.external_data if entry.key == "location"
    }
    return size + sum(os.path.getsize(path.parent / loc) for loc in locations)


def name_nodes(model: Any) -> int:
    """Give every unnamed node a unique name (nodes are excluded from quantization by name)."""
    taken = {node.name for node in model.graph.node if node.name}
    named = 0
    for index, node in enumerate(model.graph.node):
        if node.name:
            continue
        candidate = f"{node.op_type}_{index}"
        while candidate in taken:
            candidate += "_"
        node.name = candidate
        taken.add(candidate)
        named += 1
    return named


BIAS_INPUTS: Final = {"Conv": 2, "ConvTranspose": 2, "Gemm": 2, "InstanceNormalization": 2, "LayerNormalization": 2}


def unshare_biases(model: Any) -> int:
    """Give each node its own copy of a bias initializer that several nodes share; returns the copies made.

    onnxruntime's QDQ quantizer duplicates a shared bias itself, naming the copy ``<name><N>``: with the
    dynamo exporter's ``val_<N>`` names that can be an existing activation (the SD VAE decoder's shared
    GroupNorm bias ``val_12`` became ``val_126``, rewiring a Softmax input to a 1-D constant: "Softmax ...
    Input rank must be >= 1"). Copies made here get collision-free names, so the quantizer has none to make.
    """
    initializers = {t.name: t for t in model.graph.initializer}
    taken = set(initializers) | {name for node in model.graph.node for name in [*node.input, *node.output]}
    taken |= {v.name for v in [*model.graph.input, *model.graph.output, *model.graph.value_info]}
    seen: set[str] = set()
    copies = 0
    for node in model.graph.node:
        index = BIAS_INPUTS.get(node.op_type)
        if index is None or len(node.input) <= index or node.input[index] not in initializers:
            continue
        name = node.input[index]
        if name not in seen:
            seen.add(name)
            continue
        candidate = f"{name}__bias_of_{node.name or copies}"
        while candidate in taken:
            candidate += "_"
        copy = type(initializers[name])()
        copy.CopyFrom(initializers[name])
        copy.name = candidate
        model.graph.initializer.append(copy)
        taken.add(candidate)
        node.input[index] = candidate
        copies += 1
    return copies


def onnx_opset(model: Any) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            version: int = entry.version
            return version
    return 0


def upgrade_opset(model: Any, minimum: int = MIN_QDQ_OPSET) -> tuple[Any, int | None]:
    """Convert a model below ``minimum`` with onnx.version_converter; returns (model, old opset or None)."""
    onnx = require("onnx", "ml")
    current = onnx_opset(model)
    if current >= minimum:
        return model, None
    try:
        converted = onnx.version_converter.convert_version(model, minimum)
        onnx.checker.check_model(converted)
    except Exception as exc:
        raise InvalidModelFile(
            f"The model uses opset {current} and could not be converted to opset {minimum}: {_short(exc)}",
            hint=f"Re-export the model at opset {minimum} or later.",
        ) from exc
    return converted, current


def input_specs(model: Any) -> list[InputSpec]:
    """The graph inputs a caller feeds (initializers listed as inputs by old exporters are left out)."""
    onnx = require("onnx", "ml")
    initializers = {t.name for t in model.graph.initializer}
    specs = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor_type = value.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type).name
        dims: list[int | str | None] = []
        for dim in tensor_type.shape.dim:
            if dim.HasField("dim_value"):
                dims.append(int(dim.dim_value))
            elif dim.HasField("dim_param"):
                dims.append(dim.dim_param)
            else:
                dims.append(None)
        specs.append(InputSpec(value.name, dtype, tuple(dims)))
    return specs


def weight_bytes_by_op(model: Any) -> dict[str, int]:
    """Bytes of float initializers, by the op type of the node that consumes them (first consumer)."""
    onnx = require("onnx", "ml")
    consumer: dict[str, str] = {}
    for node in model.graph.node:
        for name in node.input:
            consumer.setdefault(name, node.op_type)
    result: dict[str, int] = {}
    for tensor in model.graph.initializer:
        if tensor.data_type not in (
            onnx.TensorProto.FLOAT,
            onnx.TensorProto.FLOAT16,
            onnx.TensorProto.BFLOAT16,
        ):
            continue
        count = 1
        for dim in tensor.dims:
            count *= int(dim)
        size = count * onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
        op = consumer.get(tensor.name, "?")
        result[op] = result.get(op, 0) + size
    return result


@contextlib.contextmanager
def scratch_dir(parent: Path | None = None) -> Iterator[Path]:
    """A temporary directory that is also the working directory while inside.

    onnxruntime's symbolic shape inference and calibrators can drop files in the current directory; running
    them here keeps the caller's directory clean. Changes the process-wide cwd: not for concurrent threads.
    """
    with tempfile.TemporaryDirectory(prefix=".optimize-", dir=parent) as tmp, contextlib.chdir(tmp):
        yield Path(tmp)


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def size_on_disk(paths: list[Path]) -> int:
    return sum(os.path.getsize(p) for p in paths)
