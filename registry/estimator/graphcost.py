"""Cost analysis of an ONNX graph: per node MACs, FLOPs, parameter and activation bytes; per graph the totals by op
class and op type, and the peak live activation memory over a topological order.

Works on float, QDQ-quantized and QOperator graphs, on ``com.microsoft`` contrib ops such as ``MatMulNBits``, and
on models with external data (the weights are never read: sizes come from the initializers' shapes and types).
Symbolic dimensions (a dynamic batch or sequence) count as 1 unless ``dims`` gives them a size.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import InvalidInput, require

# Bytes per element of each ONNX TensorProto data type (int4/uint4 are half a byte).
_DTYPE_BYTES: dict[int, float] = {
    1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 8: 0, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
    17: 1, 18: 1, 19: 1, 20: 1, 21: 0.5, 22: 0.5, 23: 0.5,
}  # fmt: skip

CONV_OPS = frozenset(
    {"Conv", "ConvTranspose", "QLinearConv", "ConvInteger", "FusedConv", "NhwcConv", "QLinearConvTranspose"}
)
MATMUL_OPS = frozenset(
    {"MatMul", "Gemm", "QLinearMatMul", "MatMulInteger", "MatMulNBits", "FusedMatMul", "MatMulIntegerToFloat",
     "QGemm", "DynamicQuantizeMatMul", "MatMulBnb4", "GatherBlockQuantized"}
)  # fmt: skip
ATTENTION_OPS = frozenset({"Attention", "MultiHeadAttention", "GroupQueryAttention", "PackedAttention"})
RECURRENT_OPS = frozenset({"LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"})  # weight matmuls at every time step
NORM_OPS = frozenset(
    {"LayerNormalization", "BatchNormalization", "InstanceNormalization", "GroupNormalization",
     "SkipLayerNormalization", "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization", "RMSNormalization",
     "LpNormalization", "Softmax", "LogSoftmax", "EmbedLayerNormalization", "MeanVarianceNormalization"}
)  # fmt: skip
POOL_OPS = frozenset(
    {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "QLinearAveragePool",
     "QLinearGlobalAveragePool", "LpPool", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
     "ReduceProd", "ReduceL2", "ReduceL1", "ReduceSumSquare", "ReduceLogSumExp", "ArgMax", "ArgMin"}
)  # fmt: skip
QUANT_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "Cast"})
MOVEMENT_OPS = frozenset(
    {"Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "Squeeze",
     "Unsqueeze", "Flatten", "Expand", "Tile", "Pad", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth",
     "Identity", "Shape", "Size", "ConstantOfShape", "Range", "ScatterND", "ScatterElements", "Where", "TopK",
     "NonZero", "NonMaxSuppression", "Trilu", "OneHot", "GridSample", "RoiAlign", "CumSum", "Constant", "EyeLike"}
)  # fmt: skip
# Ops whose output is a view of their input or shape bookkeeping: no activation traffic of their own.
VIEW_OPS = frozenset(
    {"Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Shape", "Size", "Constant", "Cast", "Concat", "Gather"}
)
# A tensor of more than this many elements (4 MB at 16 bits) cannot stay in the NPU's on-chip memory (8 MB of VTCM
# on recent Hexagon NPUs, shared with the op's inputs): it streams through DRAM. Chosen by leave-one-family-out
# validation among 1M, 2M and 4M elements (docs/estimator.md).
LARGE_TENSOR_ELEMENTS = 2_000_000
# Elementwise ops whose one output element costs more than one FLOP (transcendentals), in FLOPs per element.
_ELEMENTWISE_FLOPS = {"Gelu": 8, "FastGelu": 8, "BiasGelu": 9, "Sigmoid": 4, "HardSigmoid": 3, "Tanh": 6, "Erf": 8,
                      "Exp": 4, "Log": 4, "Swish": 5, "HardSwish": 4, "Mish": 10, "Softplus": 5, "Pow": 4,
                      "Sqrt": 2, "Reciprocal": 2, "QuickGelu": 5}  # fmt: skip
_NORM_FLOPS = 5  # per element: mean, variance, normalise, scale, shift (Softmax: max, sub, exp, sum, div)
OP_CLASSES = ("conv", "dwconv", "matmul", "attention", "norm", "elementwise", "pool", "movement", "quant", "other")


@dataclass
class NodeCost:
    """The cost of one node. ``constant`` nodes read only weights and constants: a compiler folds them away."""

    name: str
    op_type: str
    op_class: str
    macs: int = 0
    flops: int = 0
    param_bytes: int = 0
    act_in_bytes: int = 0
    act_out_bytes: int = 0
    constant: bool = False


@dataclass
class ClassTotals:
    nodes: int = 0
    macs: int = 0
    flops: int = 0
    param_bytes: int = 0
    act_bytes: int = 0

    def add(self, node: NodeCost) -> None:
        self.nodes += 1
        self.macs += node.macs
        self.flops += node.flops
        self.param_bytes += node.param_bytes
        self.act_bytes += node.act_in_bytes + node.act_out_bytes


@dataclass
class GraphCost:
    """The cost of a whole graph. Totals leave out ``constant`` nodes."""

    nodes: list[NodeCost]
    inputs: dict[str, list[int]]
    outputs: dict[str, list[int]]
    param_bytes: int
    peak_activation_bytes: int
    param_elements: int = 0
    by_class: dict[str, ClassTotals] = field(default_factory=dict)
    by_op: dict[str, int] = field(default_factory=dict)
    unknown_shapes: int = 0
    opsets: dict[str, int] = field(default_factory=dict)
    conv3d_macs: int = 0  # MACs of volumetric (5-D) convolutions: runtimes differ most on these
    large_activation_elements: int = 0  # elements of the outputs over LARGE_TENSOR_ELEMENTS (DRAM traffic)

    @property
    def macs(self) -> int:
        return sum(t.macs for t in self.by_class.values())

    @property
    def flops(self) -> int:
        return sum(t.flops for t in self.by_class.values())

    @property
    def node_count(self) -> int:
        return sum(t.nodes for t in self.by_class.values())

    def summary(self) -> dict[str, Any]:
        """Everything but the per-node list: what the estimator reads, small enough to cache as JSON."""
        return {
            "inputs": self.inputs,
            "outputs": self.outputs,
            "node_count": self.node_count,
            "macs": self.macs,
            "flops": self.flops,
            "param_bytes": self.param_bytes,
            "param_elements": self.param_elements,
            "peak_activation_bytes": self.peak_activation_bytes,
            "by_class": {k: asdict(v) for k, v in sorted(self.by_class.items())},
            "by_op": dict(sorted(self.by_op.items())),
            "unknown_shapes": self.unknown_shapes,
            "opsets": self.opsets,
            "conv3d_macs": self.conv3d_macs,
            "large_activation_elements": self.large_activation_elements,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.summary(), "nodes": [asdict(n) for n in self.nodes]}


def analyze_onnx(source: str | Path | Any, dims: Mapping[str, int] | None = None) -> GraphCost:
    """Cost analysis of an ONNX model given as a path or a loaded ``onnx.ModelProto``. External data is not read."""
    require("onnx", "ml")
    import onnx

    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"No ONNX file at {path}.", hint="Give the path of a .onnx file.")
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as exc:  # protobuf raises its own DecodeError
            raise InvalidInput(f"{path} is not an ONNX model: {exc}", hint="Give the path of a .onnx file.") from exc
    else:
        model = source
    return _analyze(model, dict(dims or {}))


def _analyze(model: Any, dims: dict[str, int]) -> GraphCost:
    import onnx

    graph = model.graph
    _fix_symbolic_inputs(graph, dims)
    shapes, dtypes = _infer_shapes(model)
    inits = {t.name: t for t in graph.initializer}
    const: set[str] = set(inits)
    const_bytes: dict[str, int] = {name: _tensor_bytes(t) for name, t in inits.items()}
    all_nodes = list(graph.node)  # protobuf makes a new wrapper per access: keep one list and index into it
    attr_of = [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in all_nodes]
    for idx, node in enumerate(all_nodes):  # Constant nodes carry their value as an attribute
        if node.op_type == "Constant" and node.output:
            const.add(node.output[0])
            value = attr_of[idx].get("value")
            const_bytes[node.output[0]] = _tensor_bytes(value) if value is not None else 0

    order_idx = _topological(all_nodes)
    order = [all_nodes[i] for i in order_idx]
    costs: list[NodeCost] = []
    unknown = 0
    for idx in order_idx:
        node, attrs = all_nodes[idx], attr_of[idx]
        ins = [i for i in node.input if i]
        is_const = (bool(ins) and all(i in const for i in ins)) or node.op_type == "Constant"
        if is_const:
            for o in node.output:
                const.add(o)
                const_bytes[o] = sum(const_bytes.get(i, 0) for i in ins)
        cost = NodeCost(name=node.name, op_type=node.op_type, op_class=_op_class(node, attrs, shapes, const),
                        constant=is_const)  # fmt: skip
        cost.param_bytes = sum(const_bytes.get(i, 0) for i in set(ins) if i in const) if not is_const else 0
        out_known = all(o in shapes for o in node.output if o)
        if not out_known:
            unknown += 1
        cost.act_in_bytes = sum(_bytes(i, shapes, dtypes) for i in ins if i not in const)
        cost.act_out_bytes = sum(_bytes(o, shapes, dtypes) for o in node.output if o)
        cost.macs = _macs(node, attrs, shapes, const)
        cost.flops = _flops(node, cost, shapes)
        costs.append(cost)

    totals: dict[str, ClassTotals] = defaultdict(ClassTotals)
    by_op: Counter[str] = Counter()
    for c in costs:
        if not c.constant:
            totals[c.op_class].add(c)
            by_op[c.op_type] += 1
    input_names = [i.name for i in graph.input if i.name not in inits]
    return GraphCost(
        nodes=costs,
        inputs={n: shapes.get(n, []) for n in input_names},
        outputs={o.name: shapes.get(o.name, []) for o in graph.output},
        param_bytes=sum(const_bytes[n] for n in inits) + sum(const_bytes.get(n.output[0], 0) for n in all_nodes
                                                              if n.op_type == "Constant" and n.output),
        param_elements=sum(_numel(t.dims) for t in inits.values()),
        peak_activation_bytes=_peak_live(order, costs, input_names, [o.name for o in graph.output], shapes, dtypes),
        by_class=dict(totals),
        by_op=dict(by_op),
        unknown_shapes=unknown,
        conv3d_macs=sum(c.macs for c, n in zip(costs, order, strict=True) if not c.constant and n.op_type in CONV_OPS
                        and len(shapes.get(n.input[0], [])) == 5),
        opsets={o.domain or "ai.onnx": int(o.version) for o in model.opset_import},
        large_activation_elements=_large_outputs(order, costs, shapes),
    )  # fmt: skip


def _large_outputs(order: list[Any], costs: list[NodeCost], shapes: Mapping[str, list[int]]) -> int:
    """Elements of the computed (not view or constant) outputs larger than ``LARGE_TENSOR_ELEMENTS``."""
    total = 0
    for node, cost in zip(order, costs, strict=True):
        if cost.constant or node.op_type in VIEW_OPS or not node.output or node.output[0] not in shapes:
            continue
        n = _numel(shapes[node.output[0]])
        if n > LARGE_TENSOR_ELEMENTS:
            total += n
    return total


def _fix_symbolic_inputs(graph: Any, dims: dict[str, int]) -> None:
    """Give every symbolic or unknown input dimension a size (``dims[name]`` or 1) so shapes can be inferred."""
    inits = {t.name for t in graph.initializer}
    for inp in graph.input:
        if inp.name in inits or not inp.type.HasField("tensor_type"):
            continue
        for d in inp.type.tensor_type.shape.dim:
            if not d.HasField("dim_value") or d.dim_value <= 0:
                size = dims.get(d.dim_param, 1) if d.dim_param else 1
                d.Clear()
                d.dim_value = size


def _infer_shapes(model: Any) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Static shapes and element types of every tensor: onnxruntime's symbolic inference (it knows the contrib ops)
    when it succeeds, else ONNX's own; then local rules for contrib ops neither knows."""
    import onnx

    inferred = None
    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

        inferred = SymbolicShapeInference.infer_shapes(model, auto_merge=True, guess_output_rank=True)
    except Exception:
        inferred = None
    if inferred is None:
        try:
            inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
        except Exception:
            inferred = model
    shapes: dict[str, list[int]] = {}
    dtypes: dict[str, int] = {}
    g = inferred.graph
    for vi in [*g.input, *g.output, *g.value_info]:
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            continue
        dtypes[vi.name] = tt.elem_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = [int(d.dim_value) for d in tt.shape.dim]
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
        dtypes[t.name] = t.data_type
    for node in g.node:
        if node.op_type == "Constant" and node.output:
            for a in node.attribute:
                if a.name == "value":
                    shapes[node.output[0]] = list(a.t.dims)
                    dtypes[node.output[0]] = a.t.data_type
    _contrib_shapes(g, shapes, dtypes)
    return shapes, dtypes


def _contrib_shapes(graph: Any, shapes: dict[str, list[int]], dtypes: dict[str, int]) -> None:
    """Shapes of contrib ops' outputs when inference left them unknown (``MatMulNBits``: A[..., K] -> [..., N])."""
    for node in graph.node:
        if not node.output or node.output[0] in shapes:
            continue
        a = shapes.get(node.input[0]) if node.input else None
        if a is None:
            continue
        if node.op_type == "MatMulNBits":
            n = next((x.i for x in node.attribute if x.name == "N"), 0)
            shapes[node.output[0]] = [*a[:-1], int(n)]
        elif node.domain == "com.microsoft" or node.op_type in NORM_OPS:
            shapes[node.output[0]] = list(a)  # contrib norms, activations and fused ops keep their input's shape
        else:
            continue
        dtypes.setdefault(node.output[0], dtypes.get(node.input[0], 1))


def _topological(nodes: list[Any]) -> list[int]:
    """The node indices in a topological order (ONNX requires one, but not every exporter honours it)."""
    produced_by: dict[str, int] = {}
    for idx, node in enumerate(nodes):
        for o in node.output:
            produced_by[o] = idx
    indeg = [0] * len(nodes)
    users: dict[int, list[int]] = defaultdict(list)
    for idx, node in enumerate(nodes):
        for i in {i for i in node.input if i in produced_by}:
            indeg[idx] += 1
            users[produced_by[i]].append(idx)
    ready = [i for i, d in enumerate(indeg) if d == 0]
    ready.reverse()
    out: list[int] = []
    while ready:
        idx = ready.pop()
        out.append(idx)
        for u in reversed(users[idx]):
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if len(out) != len(nodes):  # a cycle: keep file order for the rest
        seen = set(out)
        out.extend(i for i in range(len(nodes)) if i not in seen)
    return out


def _numel(shape: Iterable[int]) -> int:
    return math.prod(max(int(d), 0) for d in shape)


def _bytes(name: str, shapes: Mapping[str, list[int]], dtypes: Mapping[str, int]) -> int:
    shape = shapes.get(name)
    if shape is None:
        return 0
    return int(_numel(shape) * _DTYPE_BYTES.get(dtypes.get(name, 1), 4))


def _tensor_bytes(t: Any) -> int:
    return int(_numel(t.dims) * _DTYPE_BYTES.get(t.data_type, 4))


def _op_class(node: Any, attrs: Mapping[str, Any], shapes: Mapping[str, list[int]], const: set[str]) -> str:
    op = node.op_type
    if op in CONV_OPS:
        group = int(attrs.get("group", 1))
        x = shapes.get(node.input[0]) if node.input else None
        channels = x[1] if x and len(x) > 1 else 0
        return "dwconv" if group > 1 and group == channels else "conv"
    if op in RECURRENT_OPS:
        return "matmul"
    if op in MATMUL_OPS or op == "Einsum":
        inputs = [i for i in node.input[:2] if i]
        return "attention" if len(inputs) == 2 and not any(i in const for i in inputs) else "matmul"
    if op in ATTENTION_OPS:
        return "attention"
    if op in NORM_OPS:
        return "norm"
    if op in POOL_OPS:
        return "pool"
    if op in QUANT_OPS:
        return "quant"
    if op in MOVEMENT_OPS:
        return "movement"
    if op in ("If", "Loop", "Scan"):
        return "other"
    return "elementwise"


def _macs(node: Any, attrs: Mapping[str, Any], shapes: Mapping[str, list[int]], const: set[str]) -> int:
    op = node.op_type
    out = shapes.get(node.output[0]) if node.output else None
    inp = [shapes.get(i) if i else None for i in node.input]
    if op in CONV_OPS:
        w_idx = 3 if op.startswith("QLinear") else 1
        w = inp[w_idx] if len(inp) > w_idx else None
        if w is None or out is None:
            return 0
        group = int(attrs.get("group", 1))
        kernel = _numel(w[2:])
        if op.endswith("ConvTranspose"):
            x = inp[0]
            return _numel(x) * (w[1]) * kernel if x else 0  # W is [Cin, Cout/group, k...]
        return _numel(out) * (w[1]) * kernel if group >= 1 else 0  # W is [Cout, Cin/group, k...]
    if op in RECURRENT_OPS:
        # X is [seq, batch, input] (or [batch, seq, input]); W and R hold every gate of every direction, so each
        # (step, batch row) multiplies the input by W and the hidden state by R
        x, w, r = (inp[i] if len(inp) > i else None for i in range(3))
        return _numel(x[:2]) * (_numel(w) + _numel(r)) if x and w and r else 0
    if op == "MatMulNBits":
        a = inp[0]
        k, n = int(attrs.get("K", 0)), int(attrs.get("N", 0))
        return _numel(a[:-1]) * k * n if a else 0
    if op in MATMUL_OPS:
        a_idx = 0
        b_idx = 3 if op.startswith("QLinear") else 1
        a = inp[a_idx]
        b = inp[b_idx] if len(inp) > b_idx else None
        if out is None or a is None:
            return 0
        if op in ("Gemm", "QGemm"):
            k = a[0] if attrs.get("transA", 0) else a[-1]
        elif op == "GatherBlockQuantized":
            return 0
        else:
            k = a[-1] if len(a) > 0 else (b[-2] if b and len(b) > 1 else 0)
        return _numel(out) * k
    if op == "Einsum":
        return _einsum_macs(attrs.get("equation", b""), [s for s in inp if s is not None])
    if op in ATTENTION_OPS:
        x = inp[0]
        if x is None or len(x) < 3:
            return 0
        batch, seq, hidden = x[0], x[1], x[-1]
        weights = inp[1] if len(inp) > 1 else None
        proj = batch * seq * hidden * weights[-1] if op == "Attention" and weights else 0
        return proj + 2 * batch * seq * seq * hidden
    return 0


def _einsum_macs(equation: str | bytes, shapes: list[list[int]]) -> int:
    eq = equation.decode() if isinstance(equation, bytes) else equation
    lhs = eq.replace(" ", "").split("->")[0]
    sizes: dict[str, int] = {}
    for term, shape in zip(lhs.split(","), shapes, strict=False):
        letters = [c for c in term if c.isalpha()]
        for c, d in zip(reversed(letters), reversed(shape), strict=False):
            sizes[c] = max(sizes.get(c, 1), int(d))
    return math.prod(sizes.values()) if sizes else 0


def _flops(node: Any, cost: NodeCost, shapes: Mapping[str, list[int]]) -> int:
    if cost.macs:
        return 2 * cost.macs
    out = shapes.get(node.output[0]) if node.output else None
    if out is None or cost.op_class in ("movement", "quant", "other"):
        return 0
    n = _numel(out)
    if cost.op_class == "norm":
        return _NORM_FLOPS * n
    if cost.op_class == "pool":
        x = shapes.get(node.input[0]) if node.input else None
        return _numel(x) if x else n
    return _ELEMENTWISE_FLOPS.get(node.op_type, 1) * n


def _peak_live(
    order: list[Any],
    costs: list[NodeCost],
    inputs: list[str],
    outputs: list[str],
    shapes: Mapping[str, list[int]],
    dtypes: Mapping[str, int],
) -> int:
    """Peak bytes of live activations when the nodes run one at a time in ``order``: a tensor lives from the node
    that makes it (graph inputs: from the start) to its last reader (graph outputs: to the end)."""
    last_use: dict[str, int] = {}
    for step, node in enumerate(order):
        for i in node.input:
            if i:
                last_use[i] = step
    end = len(order)
    for o in outputs:
        last_use[o] = end
    live: dict[str, int] = {}
    for name in inputs:
        live[name] = _bytes(name, shapes, dtypes)
    peak = sum(live.values())
    for step, (node, cost) in enumerate(zip(order, costs, strict=True)):
        if cost.constant:
            continue
        for o in node.output:
            if o:
                live[o] = _bytes(o, shapes, dtypes)
        peak = max(peak, sum(live.values()))
        for name in [n for n in live if last_use.get(n, -1) <= step]:
            del live[name]
    return peak
