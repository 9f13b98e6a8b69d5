"""The input interface of a bring-your-own model: the exact shape and dtype of every input it is measured at.

A graph input may leave dimensions free (a ``dim_param`` such as ``batch`` or ``height``, an unknown dim, or the
``-1`` some exporters write). Nothing is ever measured on a guess: each free dimension takes its value from

1. ``--input-shape NAME:1x3x640x640[:dtype]`` (repeatable; several values for one input ingest several sizes),
2. the model's own metadata (``metadata_props``: ``input_shapes`` = a JSON object ``{"x": [1, 3, 640, 640]}``,
   or ``input_shape.<name>`` = ``1x3x640x640``),
3. a dimension of the same name already fixed by 1 or 2 on another input (a state input ``[2, batch, 128]``
   takes ``batch`` from the audio input),

and a dimension still free after that stops the ingest with one line listing the dynamic inputs and an example
flag (``InputShapeRequired``). The model is then pinned: a copy of the FP32 graph whose inputs carry those exact
shapes, so every stage (quantization, fidelity, host profile, the estimator's graph analysis) sees the same
shapes, and the build's ``interface`` record says which.

State inputs (a recurrent state fed back from an output: ``state``, ``h0``, ``past_key_values.*``, or named with
``--state-input``) are fed zeros unless data are given; their leading axis is never taken for a batch axis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ingest.errors import InputShapeRequired
from registry.errors import InvalidInput

Dim = int | str | None  # a fixed size, a symbolic name, or unknown
_SPEC: Final = re.compile(r"^([A-Za-z_][\w.:/-]*?):(\d+(?:x\d+)*|scalar)(?::(float32|float16|int64|int32|bool))?$")
_STATE_NAME: Final = re.compile(r"(^|[._/])(state|states|h0|c0|hidden|cache|past|memory)([._/\d]|$)", re.IGNORECASE)
BATCH_NAMES: Final = frozenset({"batch", "batch_size", "n", "b", "bs", "batchsize", "n_batch"})


@dataclass(frozen=True)
class GivenShape:
    shape: tuple[int, ...]
    dtype: str | None  # None: the graph's own


def parse_input_shapes(specs: Sequence[str]) -> list[dict[str, GivenShape]]:
    """``NAME:1x3x224x224[:dtype]`` flags -> one dict per size. A name given k times gives k sizes; names given
    once apply to every size; anything else is ambiguous and refused. ``NAME:scalar[:dtype]`` is a 0-d input."""
    seen: dict[str, list[GivenShape]] = {}
    for spec in specs:
        m = _SPEC.match(spec.strip())
        dims = () if m and m.group(2) == "scalar" else tuple(int(d) for d in m.group(2).split("x")) if m else ()
        if not m or any(d == 0 for d in dims):
            raise InvalidInput(
                f"--input-shape '{spec}' is not NAME:DIMxDIM[...][:dtype].",
                hint="e.g. --input-shape pixel_values:1x3x224x224 or --input-shape ids:1x128:int64",
            )
        seen.setdefault(m.group(1), []).append(GivenShape(dims, m.group(3)))
    sizes = max((len(v) for v in seen.values()), default=0)
    odd = [n for n, v in seen.items() if len(v) not in (1, sizes)]
    if odd:
        raise InvalidInput(
            f"--input-shape gives {sizes} sizes for some inputs but {len(seen[odd[0]])} for '{odd[0]}'.",
            hint="Give an input once (the same at every size) or once per size, in the same order.",
        )
    return [{n: v[i] if len(v) > 1 else v[0] for n, v in seen.items()} for i in range(sizes)] or [{}]


@dataclass(frozen=True)
class GraphInput:
    name: str
    dtype: str  # numpy dtype name
    dims: tuple[Dim, ...]

    def describe(self) -> str:
        return f"{self.name}: {self.dtype}[{', '.join('?' if d is None else str(d) for d in self.dims)}]"

    @property
    def free(self) -> bool:
        return any(not isinstance(d, int) for d in self.dims)


def graph_inputs(model: Any) -> list[GraphInput]:
    """The inputs a caller feeds; a dim_value <= 0 (``-1`` from some exporters) counts as unknown."""
    import onnx

    inits = {t.name for t in model.graph.initializer}
    out = []
    for value in model.graph.input:
        if value.name in inits:
            continue
        t = value.type.tensor_type
        if not value.type.HasField("tensor_type"):
            raise InvalidInput(f"Input '{value.name}' is not a tensor; the pipeline feeds tensors only.")
        dims: list[Dim] = []
        for d in t.shape.dim:
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append(int(d.dim_value))
            elif d.HasField("dim_param") and d.dim_param:
                dims.append(d.dim_param)
            else:
                dims.append(None)
        dtype = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name
        out.append(GraphInput(value.name, dtype, tuple(dims)))
    return out


def state_inputs(model: Any, explicit: Sequence[str] = ()) -> tuple[str, ...]:
    """Inputs fed back from an output: named so (state, h0, past..., cache) with an output of the same dtype and
    rank, or named by the user."""
    outputs = [(o.type.tensor_type.elem_type, len(o.type.tensor_type.shape.dim)) for o in model.graph.output]
    names = {i.name for i in model.graph.input}
    unknown = [n for n in explicit if n not in names]
    if unknown:
        raise InvalidInput(f"--state-input {unknown[0]}: the model has no such input.", hint=f"Inputs: {sorted(names)}")
    found = list(explicit)
    for value in model.graph.input:
        t = value.type.tensor_type
        named = value.name not in found and _STATE_NAME.search(value.name)
        if named and (t.elem_type, len(t.shape.dim)) in outputs:
            found.append(value.name)
    return tuple(found)


def metadata_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    """Input shapes the model's own metadata records (see the module doc); unreadable entries are ignored."""
    out: dict[str, tuple[int, ...]] = {}
    for prop in model.metadata_props:
        if prop.key == "input_shapes":
            try:
                table = json.loads(prop.value)
                out.update({str(k): tuple(int(d) for d in v) for k, v in table.items()})
            except (ValueError, TypeError, AttributeError):
                continue
        elif prop.key.startswith("input_shape.") and re.fullmatch(r"\d+(x\d+)*", prop.value.strip()):
            out[prop.key.removeprefix("input_shape.")] = tuple(int(d) for d in prop.value.strip().split("x"))
    return out


@dataclass(frozen=True)
class Interface:
    """The exact inputs one build is made and measured at."""

    inputs: dict[str, tuple[tuple[int, ...], str]]  # name -> (shape, dtype), in graph order
    sources: dict[str, str] = field(default_factory=dict)  # name -> graph | given | metadata | shared-dim
    state: tuple[str, ...] = ()
    values: dict[str, float] = field(default_factory=dict)  # inputs held at one value (--input-value)
    pinned: bool = False  # the graph declared free dims that were fixed here
    size: str | None = None  # the size label when the model is ingested at several sizes

    def record(self) -> dict[str, Any]:
        return {
            "inputs": {
                n: {
                    "shape": list(s),
                    "dtype": d,
                    "source": self.sources.get(n, "graph"),
                    **({"state": True} if n in self.state else {}),
                    **({"value": self.values[n]} if n in self.values else {}),
                }
                for n, (s, d) in self.inputs.items()
            },
            "pinned": self.pinned,
            **({"size": self.size} if self.size else {}),
        }

    def shapes(self) -> dict[str, list[int]]:
        return {n: list(s) for n, (s, _) in self.inputs.items()}


def resolve_interface(
    model: Any,
    given: Mapping[str, GivenShape],
    *,
    state: Sequence[str] = (),
    values: Mapping[str, float] | None = None,
    flag: str = "--input-shape",
) -> Interface:
    """Every input's exact shape (see the module doc), or InputShapeRequired listing what is still free."""
    inputs = graph_inputs(model)
    by_name = {i.name: i for i in inputs}
    unknown = [n for n in given if n not in by_name]
    if unknown:
        raise InvalidInput(
            f"{flag} {unknown[0]}: the model has no input of that name.",
            hint=f"Its inputs: {'; '.join(i.describe() for i in inputs)}.",
        )
    meta = metadata_shapes(model)
    bound: dict[str, int] = {}
    chosen: dict[str, tuple[int, ...]] = {}
    sources: dict[str, str] = {}
    for source, table in (("given", {n: g.shape for n, g in given.items()}), ("metadata", meta)):
        for name, shape in table.items():
            if name in chosen or name not in by_name:
                continue
            chosen[name] = _fit(by_name[name], shape, source, flag)
            sources[name] = source if by_name[name].free else "graph"
            for dim, size in zip(by_name[name].dims, shape, strict=True):
                if isinstance(dim, str):
                    bound.setdefault(dim, size)
    free: list[GraphInput] = []
    for inp in inputs:
        if inp.name in chosen:
            continue
        dims = [bound.get(d) if isinstance(d, str) else d for d in inp.dims]
        if any(d is None for d in dims):
            free.append(inp)
            continue
        chosen[inp.name] = tuple(int(d) for d in dims if d is not None)
        sources[inp.name] = "shared-dim" if inp.free else "graph"
    if free:
        raise InputShapeRequired(_free_message(free), hint=_example(free, flag))
    dtypes: dict[str, str] = {n: (g.dtype if (g := given.get(n)) and g.dtype else by_name[n].dtype) for n in by_name}
    for name, g in given.items():
        if g.dtype and g.dtype != by_name[name].dtype:
            raise InvalidInput(f"{flag} {name}: the model takes {by_name[name].dtype}, not {g.dtype}.")
    return Interface(
        inputs={i.name: (chosen[i.name], dtypes[i.name]) for i in inputs},
        sources=sources,
        state=tuple(state),
        values=dict(values or {}),
        pinned=any(i.free for i in inputs),
    )


def _fit(inp: GraphInput, shape: tuple[int, ...], source: str, flag: str) -> tuple[int, ...]:
    where = flag if source == "given" else "the model's metadata"
    if len(shape) != len(inp.dims):
        raise InvalidInput(
            f"{where} gives {inp.name} rank {len(shape)} ({'x'.join(map(str, shape)) or 'scalar'}); "
            f"the model declares {inp.describe()}.",
            hint=f"Give all {len(inp.dims)} dims, e.g. {flag} {inp.name}:{_dims_example(inp, {})}",
        )
    for axis, (want, got) in enumerate(zip(inp.dims, shape, strict=True)):
        if isinstance(want, int) and want != got:
            raise InvalidInput(
                f"{where} gives {inp.name} size {got} on axis {axis}, which the model fixes at {want}.",
                hint=f"The model declares {inp.describe()}.",
            )
    return shape


def _free_message(free: list[GraphInput]) -> str:
    listed = "; ".join(i.describe() for i in free)
    return f"The model has dynamic input dimensions with no value: {listed}. Nothing is measured at a guessed shape."


def _example(free: list[GraphInput], flag: str) -> str:
    named: dict[str, int] = {}
    parts = []
    for inp in free:  # an input whose free dims are all named on an earlier one follows from it: not repeated
        if not all(isinstance(d, int) or (isinstance(d, str) and d in named) for d in inp.dims):
            parts.append(f"{flag} {inp.name}:{_dims_example(inp, named)}")
    flags = " ".join(parts)
    return f"Pass the shapes to measure at, e.g. {flags} (several {flag} per input ingest several sizes)."


def _dims_example(inp: GraphInput, named: dict[str, int]) -> str:
    """An example value per dim: fixed dims kept, a batch axis 1, spatial/sequence dims a typical size."""
    out = []
    for axis, d in enumerate(inp.dims):
        if isinstance(d, int):
            out.append(d)
        elif isinstance(d, str) and d in named:
            out.append(named[d])
        else:
            batch = (axis == 0 and d is None) or (isinstance(d, str) and d.lower() in BATCH_NAMES)
            guess = 1 if batch else 640 if len(inp.dims) == 4 else 512
            if isinstance(d, str):
                named[d] = guess
            out.append(guess)
    return "x".join(map(str, out)) or "scalar"


def pin(src: Path, interface: Interface, out_dir: Path) -> Path:
    """A copy of ``src`` whose inputs carry the interface's exact shapes (and every dim_param they bind, in the
    whole graph and its subgraphs), shapes re-inferred; ``src`` when nothing was free."""
    import onnx
    from onnxruntime.tools.onnx_model_utils import make_input_shape_fixed

    if not interface.pinned:
        return src
    model = onnx.load(str(src), load_external_data=True)
    for name, (shape, _dtype) in interface.inputs.items():
        make_input_shape_fixed(model.graph, name, list(shape))
    del model.graph.value_info[:]  # stale symbolic shapes; inferred again below from the fixed inputs
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # inference is a help, not a requirement: the runtime infers shapes itself
        pass
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / src.name
    onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path))
    return path
