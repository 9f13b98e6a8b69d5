"""Read what a ``.tflite`` says about itself, from the flatbuffer directly (no LiteRT import).

Only the fields compatibility needs (TensorFlow Lite's ``schema.fbs``): ``Model.version`` (the schema
version), the ``min_runtime_version`` metadata the converter writes (the oldest runtime that has every kernel
version the model uses), and the first subgraph's input and output tensors (name, shape, type).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from registry.errors import InvalidInput

# schema.fbs TensorType, by value.
TENSOR_TYPES = (
    "float32",
    "float16",
    "int32",
    "uint8",
    "int64",
    "string",
    "bool",
    "int16",
    "complex64",
    "int8",
    "float64",
    "complex128",
    "uint64",
    "resource",
    "variant",
    "uint32",
    "uint16",
    "int4",
    "bfloat16",
)


@dataclass
class TFLiteInfo:
    schema_version: int
    min_runtime_version: str | None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)


class _Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf

    def u32(self, pos: int) -> int:
        return int(struct.unpack_from("<I", self.buf, pos)[0])

    def field(self, table: int, index: int) -> int | None:
        """The absolute position of field ``index`` of the table at ``table`` (None when absent)."""
        vtable = table - int(struct.unpack_from("<i", self.buf, table)[0])
        vtable_size = int(struct.unpack_from("<H", self.buf, vtable)[0])
        slot = 4 + 2 * index
        if slot >= vtable_size:
            return None
        offset = int(struct.unpack_from("<H", self.buf, vtable + slot)[0])
        return table + offset if offset else None

    def deref(self, pos: int) -> int:
        return pos + self.u32(pos)

    def scalar(self, table: int, index: int, fmt: str, default: int = 0) -> int:
        pos = self.field(table, index)
        return default if pos is None else int(struct.unpack_from("<" + fmt, self.buf, pos)[0])

    def vector(self, table: int, index: int) -> tuple[int, int]:
        """(start of the elements, length) of a vector field; (0, 0) when absent."""
        pos = self.field(table, index)
        if pos is None:
            return 0, 0
        vec = self.deref(pos)
        return vec + 4, self.u32(vec)

    def tables(self, table: int, index: int) -> list[int]:
        start, length = self.vector(table, index)
        return [self.deref(start + 4 * i) for i in range(length)]

    def ints(self, table: int, index: int, fmt: str = "i") -> list[int]:
        start, length = self.vector(table, index)
        size = struct.calcsize(fmt)
        return [int(struct.unpack_from("<" + fmt, self.buf, start + size * i)[0]) for i in range(length)]

    def string(self, table: int, index: int) -> str | None:
        pos = self.field(table, index)
        if pos is None:
            return None
        at = self.deref(pos)
        return self.buf[at + 4 : at + 4 + self.u32(at)].decode("utf-8", "replace")


def read_tflite(buf: bytes) -> TFLiteInfo:
    """Schema version, min_runtime_version and the interface of a TFLite flatbuffer; InvalidInput if it is not one."""
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise InvalidInput("Not a TFLite model (no TFL3 file identifier).", hint="Give a .tflite flatbuffer.")
    try:
        return _read(_Reader(buf))
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Damaged TFLite flatbuffer: {exc}.", hint="Convert the model again.") from exc


def _read(r: _Reader) -> TFLiteInfo:
    model = r.deref(0)
    info = TFLiteInfo(schema_version=r.scalar(model, 0, "I"), min_runtime_version=None)
    buffers = r.tables(model, 4)
    for meta in r.tables(model, 6):
        if r.string(meta, 0) == "min_runtime_version":
            data = _buffer_bytes(r, buffers[r.scalar(meta, 1, "I")])
            text = data.split(b"\0", 1)[0].decode("ascii", "replace").strip()
            info.min_runtime_version = text or None
    subgraphs = r.tables(model, 2)
    if subgraphs:
        graph = subgraphs[0]
        tensors = r.tables(graph, 0)
        info.inputs = [_tensor(r, tensors[i]) for i in r.ints(graph, 1)]
        info.outputs = [_tensor(r, tensors[i]) for i in r.ints(graph, 2)]
    return info


def _buffer_bytes(r: _Reader, buffer: int) -> bytes:
    start, length = r.vector(buffer, 0)
    if length:
        return r.buf[start : start + length]
    offset, size = r.scalar(buffer, 1, "Q"), r.scalar(buffer, 2, "Q")  # data placed after the flatbuffer
    return r.buf[offset : offset + size] if offset > 1 else b""


def _tensor(r: _Reader, tensor: int) -> dict[str, Any]:
    signature = r.ints(tensor, 7)
    dims = signature or r.ints(tensor, 0)
    kind = r.scalar(tensor, 1, "b")
    return {
        "name": r.string(tensor, 3) or "",
        "shape": [d if d >= 0 else None for d in dims],
        "dtype": TENSOR_TYPES[kind] if 0 <= kind < len(TENSOR_TYPES) else f"type{kind}",
    }
