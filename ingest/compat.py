"""What a built file needs to load, and its interface: read from the files themselves (docs/compatibility.md).

``describe_build(root, entry)`` takes a publish-manifest build entry (runtime, target, files relative to
``root``, details) and returns its ``requirements`` and ``interface`` (the shapes of
``registry.entities.BuildRequirements`` and ``BuildInterface``):

- ONNX: the opset of every domain, the IR version and the com.microsoft operators, turned into the minimum
  onnxruntime by ``registry.compat.onnxruntime_minimum``; inputs and outputs from the graph.
- TFLite: the flatbuffer's schema version and the converter's ``min_runtime_version`` metadata (the minimum
  LiteRT runtime); inputs and outputs of the first subgraph (``ingest.tflite_schema``).
- QNN artifacts from AI Hub (qnn_dlc, qnn_context_binary, precompiled_qnn_onnx): the QAIRT version the compile
  job used (``details.tool_versions``) and the target chipset's HTP architecture (the device catalog).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from registry import compat
from registry.errors import RegistryError, require
from registry.vocab import PORTABLE_TARGET, PRECOMPILED_QNN_ONNX, QNN_CONTEXT_BINARY, QNN_DLC

log = logging.getLogger(__name__)
QNN_RUNTIMES = (QNN_DLC, QNN_CONTEXT_BINARY, PRECOMPILED_QNN_ONNX)


def describe_build(root: Path, entry: Mapping[str, Any]) -> dict[str, Any]:
    """``{"requirements": {...}, "interface": {...}}`` for one manifest build entry (empty parts when unknown)."""
    runtime = str(entry["runtime"])
    files = [(root / f["path"], f.get("component")) for f in entry.get("files", [])]
    requirements: dict[str, Any] = {"runtimes": {}, "reasons": {}, "table_version": compat.TABLE_VERSION}
    interface: dict[str, list[dict[str, Any]]] = {"inputs": [], "outputs": []}
    onnx_files = [(p, c) for p, c in files if p.suffix == ".onnx"]
    tflite_files = [(p, c) for p, c in files if p.suffix == ".tflite"]
    try:
        if onnx_files:
            _describe_onnx(onnx_files, requirements, interface)
        if tflite_files:
            _describe_tflite(tflite_files, requirements, interface)
        if runtime in QNN_RUNTIMES:
            _describe_qnn(entry, requirements)
    except (OSError, ValueError, RegistryError) as exc:  # unknown needs are published as unknown, and said so
        log.warning("cannot read what %s/%s needs to load (%s); publishing it without requirements", runtime, root, exc)
        return {"requirements": {}, "interface": {"inputs": [], "outputs": []}}
    return {"requirements": requirements, "interface": interface}


# ---------------------------------------------------------------- ONNX


def _describe_onnx(
    files: list[tuple[Path, str | None]], requirements: dict[str, Any], interface: dict[str, list[dict[str, Any]]]
) -> None:
    onnx = require("onnx", "ml")
    ort = require("onnxruntime", "ml")
    opsets: dict[str, int] = {}
    ir_version = 0
    contrib: set[str] = set()
    for path, component in files:
        model = onnx.load(str(path), load_external_data=False)
        ir_version = max(ir_version, int(model.ir_version))
        for imp in model.opset_import:
            domain = imp.domain or "ai.onnx"
            opsets[domain] = max(opsets.get(domain, 0), int(imp.version))
        contrib |= {n.op_type for n in _nodes(model.graph) if n.domain == "com.microsoft"}
        initializers = {t.name for t in model.graph.initializer}
        interface["inputs"] += [_onnx_tensor(v, component) for v in model.graph.input if v.name not in initializers]
        interface["outputs"] += [_onnx_tensor(v, component) for v in model.graph.output]
    minimum, reason = compat.onnxruntime_minimum(opsets, ir_version or None, contrib, ort.__version__)
    requirements["onnx_opsets"] = dict(sorted(opsets.items()))
    requirements["onnx_ir_version"] = ir_version or None
    _need(requirements, "onnxruntime", minimum, reason)


def _nodes(graph: Any) -> Iterator[Any]:
    """Every node of a graph and of its subgraphs (If, Loop, Scan bodies)."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _nodes(attr.g)
            for sub in attr.graphs:
                yield from _nodes(sub)


def _onnx_tensor(value: Any, component: str | None) -> dict[str, Any]:
    onnx = require("onnx", "ml")
    tensor = value.type.tensor_type
    shape: list[int | str | None] | None = None
    if tensor.HasField("shape"):
        shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]
    try:
        dtype = str(onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name)
    except (KeyError, TypeError, ValueError):
        dtype = onnx.TensorProto.DataType.Name(tensor.elem_type).lower()
    spec: dict[str, Any] = {"name": value.name, "shape": shape, "dtype": dtype}
    if component:
        spec["component"] = component
    return spec


# ---------------------------------------------------------------- TFLite


def _describe_tflite(
    files: list[tuple[Path, str | None]], requirements: dict[str, Any], interface: dict[str, list[dict[str, Any]]]
) -> None:
    from ingest.tflite_schema import read_tflite

    for path, component in files:
        info = read_tflite(path.read_bytes())
        requirements["tflite_schema_version"] = max(requirements.get("tflite_schema_version") or 0, info.schema_version)
        if info.min_runtime_version:
            current = requirements.get("tflite_min_runtime_version")
            if current is None or compat.parse_version(info.min_runtime_version) > compat.parse_version(current):
                requirements["tflite_min_runtime_version"] = info.min_runtime_version
                _need(requirements, "litert", info.min_runtime_version, "the converter's min_runtime_version")
        for key, tensors in (("inputs", info.inputs), ("outputs", info.outputs)):
            interface[key] += [{**t, "component": component} if component else dict(t) for t in tensors]


# ---------------------------------------------------------------- QNN (AI Hub)


def _describe_qnn(entry: Mapping[str, Any], requirements: dict[str, Any]) -> None:
    tools: Mapping[str, Any] = (entry.get("details") or {}).get("tool_versions") or {}
    qairt = next((str(v) for k, v in tools.items() if "qairt" in k.lower() or k.lower() in ("qnn", "qnn sdk")), None)
    if qairt:
        try:
            compat.parse_version(qairt.split("+")[0])
            requirements["qairt_version"] = qairt
            _need(requirements, "qairt", qairt.split("+")[0], "compiled with that QAIRT")
        except ValueError:
            requirements["qairt_version"] = qairt  # recorded, though not a comparable number
    target = str(entry.get("target", PORTABLE_TARGET))
    if target != PORTABLE_TARGET:
        from registry.devices import load_device_specs

        spec = next((s for s in load_device_specs() if s.chipset == target), None)
        if spec is not None and spec.npu_arch:
            requirements["htp_arch"] = spec.npu_arch


def _need(requirements: dict[str, Any], axis: str, version: str, reason: str) -> None:
    current = requirements["runtimes"].get(axis)
    if current is None or compat.parse_version(version) > compat.parse_version(current):
        requirements["runtimes"][axis] = version
        requirements["reasons"][axis] = reason
