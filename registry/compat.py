"""Runtime compatibility: what a build needs to load, and whether the runtime an app ships meets it.

A build records ``requirements`` (``registry.entities.BuildRequirements``): per runtime **axis** the
minimum version that loads it (``{"onnxruntime": "1.18"}``), the reason for each minimum, and the facts it was
derived from (ONNX opsets and IR version, TFLite schema and ``min_runtime_version``, QAIRT version, HTP
architecture). A caller states what it ships (``--runtime-version onnxruntime=1.20``, repeatable); resolve keeps
only builds whose minimum on every stated axis is met, like pip keeps only wheels whose tags match. A constraint
on an axis a build does not use (``litert=`` for an ONNX build) does not touch that build.

Plain data and the standard library only: the warm ``registry pull`` path checks a cached answer with it
without importing pydantic. The tables below are documented in docs/compatibility.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from registry.errors import InvalidInput, RuntimeIncompatible
from registry.vocab import ONNX, PRECOMPILED_QNN_ONNX, QNN_CONTEXT_BINARY, QNN_DLC, TFLITE

# The runtime axes a caller can constrain, and what each one is.
AXES: Final = {
    "onnxruntime": "ONNX Runtime (onnxruntime, onnxruntime-android, onnxruntime-qnn)",
    "litert": "LiteRT / TensorFlow Lite runtime (compared with the file's min_runtime_version)",
    "qairt": "Qualcomm AI Runtime (QAIRT / QNN SDK) that loads QNN DLCs and context binaries",
}
AXIS_ALIASES: Final = {"ort": "onnxruntime", "onnx": "onnxruntime", "tflite": "litert", "qnn": "qairt"}
# Which axes each runtime's builds use (a build records the ones it needs in requirements.runtimes).
RUNTIME_AXES: Final = {
    ONNX: ("onnxruntime",),
    TFLITE: ("litert",),
    QNN_DLC: ("qairt",),
    QNN_CONTEXT_BINARY: ("qairt",),
    PRECOMPILED_QNN_ONNX: ("onnxruntime", "qairt"),
}
# The version of the compatibility tables below; stored with every computed requirement.
TABLE_VERSION: Final = "1"

# ONNX Runtime's compatibility table (onnxruntime.ai/docs/reference/compatibility.html): the first release that
# runs each default-domain (ai.onnx) opset.
ORT_FOR_OPSET: Final = {
    7: "1.0",
    8: "1.0",
    9: "1.0",
    10: "1.0",
    11: "1.0",
    12: "1.3",
    13: "1.6",
    14: "1.8",
    15: "1.9",
    16: "1.11",
    17: "1.12",
    18: "1.14",
    19: "1.15",
    20: "1.17",
    21: "1.18",
    22: "1.21",
}
# The first release that reads each ONNX IR version.
ORT_FOR_IR_VERSION: Final = {3: "1.0", 4: "1.0", 5: "1.0", 6: "1.0", 7: "1.6", 8: "1.10", 9: "1.15", 10: "1.18"}
# ai.onnx.ml opsets.
ORT_FOR_ML_OPSET: Final = {1: "1.0", 2: "1.3", 3: "1.9"}
# Contrib (com.microsoft) operators a build of ours can contain, with the release that added them; any other
# contrib operator needs the onnxruntime the file was verified with.
ORT_FOR_CONTRIB_OP: Final = {
    "QuantizeLinear": "1.16",  # 16-bit QDQ (QNN's w8a16 layout before opset 21)
    "DequantizeLinear": "1.16",
    "MatMulNBits": "1.17",
    "GroupQueryAttention": "1.17",
    "RotaryEmbedding": "1.17",
    "SkipSimplifiedLayerNormalization": "1.17",
    "SimplifiedLayerNormalization": "1.17",
    "Gelu": "1.2",
    "FastGelu": "1.2",
    "SkipLayerNormalization": "1.2",
    "Attention": "1.3",
}

_VERSION = re.compile(r"v?(\d{1,4}(?:\.\d{1,6}){0,3})")


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.20"`` -> ``(1, 20)``; ``"2.28.0.241029"`` -> ``(2, 28, 0, 241029)``; InvalidInput otherwise."""
    match = _VERSION.fullmatch(str(text).strip())
    if match is None:
        raise InvalidInput(
            f"'{text}' is not a version number.", hint="Give a dotted number such as 1.20 or 2.28.0 (at most 4 parts)."
        )
    parts = tuple(int(p) for p in match.group(1).split("."))
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


def version_at_least(have: str, need: str) -> bool:
    return parse_version(have) >= parse_version(need)


def normalize_axis(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    key = AXIS_ALIASES.get(key, key)
    if key not in AXES:
        raise InvalidInput(
            f"Unknown runtime '{name}' in a runtime version constraint.",
            hint="Use one of: " + ", ".join(f"{a}=VERSION" for a in AXES) + " (e.g. onnxruntime=1.20).",
        )
    return key


def parse_runtime_versions(items: Iterable[str] | Mapping[str, str] | str | None) -> dict[str, str]:
    """``["onnxruntime=1.20", "qairt=2.28"]`` (or a mapping) -> ``{"onnxruntime": "1.20", "qairt": "2.28"}``."""
    if not items:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(items, str):
        items = items.split(",")
    if isinstance(items, Mapping):
        pairs = [(str(k), str(v)) for k, v in items.items()]
    else:
        for item in items:
            name, eq, value = str(item).partition("=")
            if not eq or not name.strip() or not value.strip():
                raise InvalidInput(
                    f"'{item}' is not RUNTIME=VERSION.", hint="Write it as onnxruntime=1.20, litert=1.2 or qairt=2.28."
                )
            pairs.append((name, value))
    out: dict[str, str] = {}
    for name, value in pairs:
        axis = normalize_axis(name)
        parse_version(value)
        if axis in out and out[axis] != value.strip():
            raise InvalidInput(f"Two versions given for {axis}: {out[axis]} and {value.strip()}.", hint="Give one.")
        out[axis] = value.strip()
    return out


def constraint_text(constraints: Mapping[str, str]) -> str:
    """A stable text form (``onnxruntime=1.20,qairt=2.28``): the API's and the cache key's spelling."""
    return ",".join(f"{axis}={constraints[axis]}" for axis in sorted(constraints))


def unmet(requirements: Mapping[str, Any] | None, constraints: Mapping[str, str]) -> list[str]:
    """What a build needs that the stated runtimes do not give: ``["needs onnxruntime >= 1.22 (opset 22)"]``."""
    needs: Mapping[str, str] = (requirements or {}).get("runtimes") or {}
    reasons: Mapping[str, str] = (requirements or {}).get("reasons") or {}
    out = []
    for axis, have in sorted(constraints.items()):
        need = needs.get(axis)
        if need is not None and not version_at_least(have, need):
            why = f" ({reasons[axis]})" if reasons.get(axis) else ""
            out.append(f"needs {axis} >= {need}{why}; you have {have}")
    return out


def unchecked(requirements: Mapping[str, Any] | None, runtime: str, constraints: Mapping[str, str]) -> list[str]:
    """Stated axes this build uses but records no minimum for (published before requirements were recorded)."""
    needs = (requirements or {}).get("runtimes") or {}
    return [a for a in RUNTIME_AXES.get(runtime, ()) if a in constraints and a not in needs]


def unchecked_warning(label: str, axes: Iterable[str]) -> str:
    names = ", ".join(axes)
    return f"{label} records no minimum {names} version (published before requirements were recorded): not checked."


def check_resolution(data: Mapping[str, Any], constraints: Mapping[str, str]) -> None:
    """Refuse a resolution (the JSON a resolve answered, e.g. a cached one offline) whose build will not load."""
    if not constraints:
        return
    build = data.get("build") or {}
    problems = unmet(build.get("requirements"), constraints)
    if problems:
        label = f"{data.get('model')}@{data.get('version')} {data.get('precision')}/{data.get('runtime')}"
        raise RuntimeIncompatible(
            f"{label} will not load on the runtime you ship: {'; '.join(problems)}.",
            hint="Upgrade that runtime, or pull another version or precision (registry show lists each build's needs).",
            extra={"constraints": dict(constraints), "builds": [{"build": label, "unmet": problems}]},
        )


def onnxruntime_minimum(
    opsets: Mapping[str, int], ir_version: int | None, contrib_ops: Iterable[str], verified_with: str
) -> tuple[str, str]:
    """The first onnxruntime that loads an ONNX graph with these opsets (domain -> version), IR version and
    com.microsoft operators, with the reason. Anything beyond the tables needs ``verified_with`` (the onnxruntime
    that built and ran the file here): a known floor, never a guess below it."""
    needs: list[tuple[str, str]] = []
    for domain, version in opsets.items():
        if domain in ("", "ai.onnx"):
            table, what = ORT_FOR_OPSET, f"opset {version}"
        elif domain == "ai.onnx.ml":
            table, what = ORT_FOR_ML_OPSET, f"ai.onnx.ml opset {version}"
        else:
            continue  # contrib domains are judged by their operators below
        found = table.get(version)
        if found is None and version < min(table):
            found = table[min(table)]
        needs.append((found or verified_with, what if found else f"{what}, beyond the table: verified with"))
    if ir_version is not None:
        found = ORT_FOR_IR_VERSION.get(ir_version)
        needs.append((found or verified_with, f"IR version {ir_version}" + ("" if found else ", beyond the table")))
    for op in sorted(set(contrib_ops)):
        found = ORT_FOR_CONTRIB_OP.get(op)
        needs.append((found or verified_with, f"com.microsoft {op}" + ("" if found else ", not in the table")))
    if not needs:
        return "1.0", "no versioned feature"
    best = max(needs, key=lambda n: parse_version(n[0]))
    reason = best[1] + (f" {verified_with}" if best[1].endswith("verified with") else "")
    return best[0], reason
