"""``registry ingest --onnx`` / ``--torch``: a model no recipe describes, at the input shapes and on the data the
user gives (see ``ingest.byo_inputs`` and ``ingest.byo_data``).

Several sizes (``--input-shape x:1x3x320x320 --input-shape x:1x3x640x640``) publish one model per size, slug
``<name>-<size>`` (e.g. ``my-detector-640x640``), each with its own versions and builds: a build stays keyed by
(precision, runtime, target), and resolving a device never has to choose between sizes. The size is in each
build's ``interface`` record and in the model card (``size_of``, ``size``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.byo import ByoInputs
    from ingest.pipeline import IngestReport


def byo_inputs(shapes: dict[str, Any], flags: dict[str, Any]) -> ByoInputs:
    """The user's flags as one ``ByoInputs`` (one size)."""
    from ingest.byo import ByoInputs
    from ingest.byo_data import Preprocess
    from registry.errors import InvalidInput

    values: dict[str, float] = {}
    for spec in flags.get("values") or []:
        name, sep, value = spec.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InvalidInput(f"--input-value '{spec}' is not NAME=NUMBER.", hint="e.g. --input-value sr=16000")
    for flag in ("calibration_data", "eval_data"):
        path = flags.get(flag)
        if path is not None and not Path(path).is_dir():
            raise InvalidInput(
                f"--{flag.replace('_', '-')} {path}: not a directory.",
                hint="Give a directory of .npz/.npy samples, images (with --preprocess) or .wav files.",
            )
    return ByoInputs(
        shapes=shapes,
        state=tuple(flags.get("state") or ()),
        values=values,
        calibration_data=Path(flags["calibration_data"]).resolve() if flags.get("calibration_data") else None,
        eval_data=Path(flags["eval_data"]).resolve() if flags.get("eval_data") else None,
        preprocess=Preprocess.parse(flags.get("preprocess")),
        accept_degenerate=bool(flags.get("accept_degenerate")),
    )


def byo_assets(paths: list[Path] | None) -> dict[str, Path]:
    """``--asset`` files by their names: each a readable regular file, no two with one name, none named like the
    build's component folder (``model``) it would sit beside."""
    from registry.errors import InvalidInput

    assets: dict[str, Path] = {}
    for given in paths or []:
        path = Path(given)
        if not path.is_file():
            raise InvalidInput(
                f"--asset {given}: not a file.",
                hint="Give a file every build ships beside the model, e.g. --asset tokenizer.json.",
            )
        if path.name in assets:
            raise InvalidInput(
                f"--asset {given}: another asset is already named {path.name!r} ({assets[path.name]}).",
                hint="Each asset is placed by its file name; rename one of them.",
            )
        if path.name == "model":
            raise InvalidInput(f"--asset {given}: 'model' is the build's model folder.", hint="Rename the file.")
        assets[path.name] = path.resolve()
    return assets


def size_labels(sizes: list[dict[str, Any]]) -> list[str | None]:
    """A label per size from the dims that differ between sizes (``320x320``, ``640x640``); None for one size."""
    if len(sizes) < 2:
        return [None]
    labels: list[str | None] = []
    for size in sizes:
        parts = []
        for name in size:
            dims = [tuple(s[name].shape) for s in sizes]
            if len(set(dims)) > 1:
                axes = [a for a in range(len(dims[0])) if len({d[a] for d in dims if len(d) > a}) > 1]
                parts.append("x".join(str(size[name].shape[a]) for a in axes))
        labels.append("-".join(parts))
    return labels


def ingest_onnx(
    onnx: Path,
    slug: str,
    card: dict[str, Any],
    input_shape: list[str],
    flags: dict[str, Any],
    precisions: tuple[str, ...],
    root: Path,
    catalog: Any,
    opts: Any,
    run: dict[str, Any],
) -> list[IngestReport]:
    """One ingest per size; each size is its own model (see the module doc)."""
    from ingest.byo import ModelSource
    from ingest.byo_inputs import parse_input_shapes
    from ingest.pipeline import run_ingest

    sizes = parse_input_shapes(input_shape)
    labels = size_labels(sizes)
    reports = []
    for shapes, label in zip(sizes, labels, strict=True):
        byo = replace(byo_inputs(shapes, flags), size=label)
        size_slug = f"{slug}-{label}" if label else slug
        extra = {"size_of": slug, "size": label} if label else {}
        source = ModelSource(
            slug=size_slug,
            name=f"{card['name']} ({label})" if label else card["name"],
            task=card["task"],
            domain=card["domain"],
            license=card["license"],
            weights=card["weights"],
            components={"model": onnx.resolve()},
            description=f"Brought as ONNX ({onnx.name})" + (f", at size {label}." if label else "."),
            card=extra,
            assets=dict(flags.get("assets") or {}),
        )
        reports.append(
            run_ingest(
                source,
                catalog,
                root,
                version=opts.version,
                precisions=precisions,
                profile_runs=opts.profile_runs,
                devices=opts.devices,
                backend=opts.backend,
                record_mlflow=opts.record_mlflow,
                byo=byo,
                **run,
            )
        )
    return reports


def ingest_torch(
    ckpt: Path,
    slug: str,
    card: dict[str, Any],
    input_shape: list[str],
    flags: dict[str, Any],
    precisions: tuple[str, ...],
    root: Path,
    catalog: Any,
    opts: Any,
    run: dict[str, Any],
) -> list[IngestReport]:
    """The torch checkpoint exported at each size's shapes, then the shared pipeline."""
    from ingest.byo_data import describe, load_dir, synthetic
    from ingest.byo_inputs import GivenShape, Interface
    from ingest.byo_torch import SECURITY_NOTE, parse_input_shapes, torch_model
    from ingest.pipeline import ingest_many
    from ingest.stagecache import file_digest
    from ingest.zoo_pipeline import prepare_model

    sizes = parse_input_shapes(input_shape)
    labels = size_labels([{n: GivenShape(s, d) for n, (s, d) in size.items()} for size in sizes])
    reports: list[IngestReport] = []
    for shapes, label in zip(sizes, labels, strict=True):
        byo = byo_inputs({}, flags)
        interface = Interface(
            inputs=dict(shapes), sources=dict.fromkeys(shapes, "given"), state=byo.state, values=byo.values, size=label
        )
        size_slug = f"{slug}-{label}" if label else slug

        def samples(path: Path | None, seed: int, flag: str, iface: Interface = interface, b: ByoInputs = byo) -> Any:
            if path is None:
                return lambda _c, n: synthetic(iface, n, seed)
            return lambda _c, _n: load_dir(path, iface, b.preprocess, flag)

        run["log"].write(f"{size_slug}: loading {ckpt} ({SECURITY_NOTE})")
        model = torch_model(
            ckpt.resolve(),
            shapes,
            slug=size_slug,
            name=card["name"],
            task=card["task"],
            domain=card["domain"],
            license=card["license"],
            weights=card["weights"],
            calibration=samples(byo.calibration_data, 1, "--calibration-data"),
            eval_inputs=samples(byo.eval_data, 2, "--eval-data"),
        )
        model.assets = dict(flags.get("assets") or {})
        identity = {
            "slug": size_slug,
            "checkpoint": file_digest(ckpt),
            "inputs": {k: [list(v[0]), v[1]] for k, v in shapes.items()},
        }
        prep = prepare_model(
            model,
            precisions=precisions,
            identity=identity,
            cache_root=root / "cache",
            calibration_samples=24,
            eval_samples=8,
            synthetic=byo.eval_data is None,
            runtimes=opts.host_runtimes,
        )
        prep.interfaces = {"model": interface.record()}
        prep.data = {
            "model": {
                "calibration": describe(byo.calibration_data, len(prep.calibration.get("model", [])), byo.preprocess),
                "evaluation": describe(byo.eval_data, len(prep.eval.get("model", [])), byo.preprocess),
            }
        }
        prep.accept_degenerate = byo.accept_degenerate
        if label:
            prep.source = replace(prep.source, card={**prep.source.card, "size_of": slug, "size": label})
        reports += ingest_many(
            [prep],
            catalog,
            root,
            opts,
            executor=run["executor"],
            progress=run["progress"],
            log=run["log"],
            display=run["display"],
        )
    return reports
