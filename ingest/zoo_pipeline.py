"""The zoo path: recipe -> factory -> export each component to ONNX (cached) -> the shared build pipeline.

The export stage's key is the content of the module (its state_dict's bytes and its architecture), the
recipe's identity (slug, factory, size), the example inputs' specs and the tool versions, so an unchanged
model re-exports nothing. A model that fails to build or export is recorded as failed for every precision;
the other models of the run go on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.byo import ModelSource
from ingest.errors import ExportFailed
from ingest.pipeline import Prepared
from ingest.stagecache import StageCache, stage_key
from ingest.stages import failure
from registry.errors import RegistryError
from registry.vocab import ONNX

if TYPE_CHECKING:
    from ingest.recipe import Recipe
    from ingest.runlog import RunLog
    from ingest.zoo.base import Component, ZooModel

DEFAULT_OPSET = 18


def module_digest(module: Any) -> str:
    """sha256 of a module's architecture (its repr) and every state_dict tensor's dtype, shape and bytes."""
    import torch

    h = hashlib.sha256(repr(module).encode())
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            h.update(t.view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def export_component(
    component: Component, identity: dict[str, Any], cache: StageCache, opset: int = DEFAULT_OPSET
) -> tuple[dict[str, Any], bool]:
    """The component's FP32 ONNX export, from the cache when its key matches."""
    import torch

    key = stage_key(
        "export",
        weights=module_digest(component.module),
        identity=identity,
        component=component.name,
        inputs={n: (str(t.dtype), tuple(t.shape)) for n, t in component.example_inputs.items()},
        outputs=component.output_names,
        dynamic=repr(component.dynamic_shapes),
        exporters=list(component.exporters or []),
        opset=opset,
        torch=torch.__version__,
    )

    def work(out: Path) -> dict[str, Any]:
        started = time.perf_counter()
        from ingest.export import export_onnx

        try:
            result = export_onnx(component, out, opset=opset)
        except RegistryError:
            raise
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ExportFailed(f"Exporting component '{component.name}' to ONNX failed: {first[:400]}") from exc
        return {
            "path": str(result.path),
            "files": [str(f) for f in result.files],
            "exporter": result.exporter,
            "seconds": round(time.perf_counter() - started, 3),
            "opset": result.opset,
            "max_abs_err_vs_torch": result.max_abs_err,
            "exporter_errors": dict(result.errors),
        }

    return cache.run("export", key, work)


def prepare_model(
    model: ZooModel,
    *,
    precisions: tuple[str, ...],
    identity: dict[str, Any],
    cache_root: Path,
    calibration_samples: int,
    eval_samples: int,
    options: dict[str, dict[str, Any]] | None = None,
    synthetic: bool = False,
    recipe_hash: str | None = None,
    runtimes: tuple[str, ...] = (ONNX,),
) -> Prepared:
    """Export every component and gather its data; an export failure becomes ``Prepared.error``. For each other
    host runtime (``tflite``), each component is converted to its FP32 source too; a model that does not convert
    gets that runtime's failure recorded (``Prepared.runtime_errors``), its other builds go on."""
    cache = StageCache(cache_root)
    source = ModelSource(
        slug=model.slug,
        name=model.name,
        task=model.task,
        domain=model.domain,
        license=model.license,
        weights=model.weights,
        description=model.description,
        source_url=model.source_url,
        card=model.card,
        components={},
        assets=dict(model.assets),
    )
    prep = Prepared(
        source=source,
        precisions=precisions,
        recipe_hash=recipe_hash or stage_key("recipe", **identity),
        synthetic=synthetic,
        supported=tuple(model.supported_precisions),
        options=dict(options or {}),
        task_metric=model.task_metric,
        runtimes=tuple(dict.fromkeys((ONNX, *runtimes))),
    )
    for comp in model.components:
        try:
            exported, cached = export_component(comp, identity, cache)
            prep.calibration[comp.name] = [_numpy(s) for s in model.calibration(comp.name, calibration_samples)]
            prep.eval[comp.name] = [_numpy(s) for s in model.eval_inputs(comp.name, eval_samples)]
        except Exception as exc:
            prep.error = failure(exc, component=comp.name, stage="export")
            return prep
        prep.ran_stages += not cached
        prep.cached_stages += cached
        source.components[comp.name] = Path(exported["path"])
        prep.digests[comp.name] = Path(exported["path"]).parent.name  # the export key: content-derived
        prep.export[comp.name] = {
            k: exported[k] for k in ("exporter", "seconds", "opset", "max_abs_err_vs_torch") if k in exported
        }
        prep.io_names[comp.name] = (tuple(comp.example_inputs), tuple(comp.output_names))
    for runtime in prep.runtimes[1:]:
        _convert(model, runtime, identity, cache, prep)
    return prep


def _convert(model: ZooModel, runtime: str, identity: dict[str, Any], cache: StageCache, prep: Prepared) -> None:
    """Every component's FP32 source for ``runtime`` (cached like the ONNX export), or the reason it failed."""
    import torch

    from ingest.converters import converter

    conv = converter(runtime)
    for comp in model.components:
        key = stage_key(
            f"convert-{runtime}",
            weights=module_digest(comp.module),
            identity=identity,
            component=comp.name,
            inputs={n: (str(t.dtype), tuple(t.shape)) for n, t in comp.example_inputs.items()},
            torch=torch.__version__,
            tool=conv.tool_version(),
        )

        def work(out: Path, comp: Component = comp) -> dict[str, Any]:
            started = time.perf_counter()
            try:
                path = conv.export(comp.module, comp.example_inputs, out)
            except RegistryError as exc:  # deterministic for this key: cached, so a re-run does not retry it
                return failure(exc, component=comp.name, stage=f"convert-{runtime}")
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                failed = ExportFailed(
                    f"Converting component '{comp.name}' to {runtime} failed: {first[:400]}",
                    hint=f"The model's other runtimes are built; {runtime} builds are recorded as failed.",
                )
                return failure(failed, component=comp.name, stage=f"convert-{runtime}")
            return {"path": str(path), "seconds": round(time.perf_counter() - started, 3)}

        try:
            done, cached = cache.run(f"convert-{runtime}", key, work)
        except Exception as exc:  # a missing extra, say
            done, cached = failure(exc, component=comp.name, stage=f"convert-{runtime}"), False
        prep.ran_stages += not cached
        prep.cached_stages += cached
        if done.get("status") == "failed":
            prep.runtime_errors[runtime] = done
            return
        prep.sources.setdefault(runtime, {})[comp.name] = Path(done["path"])
        prep.source_digests.setdefault(runtime, {})[comp.name] = Path(done["path"]).parent.name


def _numpy(sample: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    return {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in sample.items()}


def prepare_recipes(
    recipes: Iterable[Recipe],
    work_dir: Path,
    *,
    precisions: tuple[str, ...] | None = None,
    log: RunLog | None = None,
    runtimes: tuple[str, ...] = (ONNX,),
) -> Iterator[Prepared]:
    """Prepare each recipe's model in turn (a generator: the pipeline starts its builds before the next)."""
    from ingest.recipe import build_model

    for recipe in recipes:
        identity = {"slug": recipe.slug, "factory": recipe.factory, "size": recipe.size}
        wanted = precisions or recipe.precisions
        started = time.perf_counter()
        if log:
            log.write(f"{recipe.slug}: building the model ({recipe.factory}, size {recipe.size})")
        try:
            model = build_model(recipe)
        except Exception as exc:
            yield _failed(recipe, wanted, failure(exc, stage="factory"))
            continue
        prep = prepare_model(
            model,
            precisions=wanted,
            identity=identity,
            cache_root=work_dir / "cache",
            calibration_samples=recipe.calibration_samples,
            eval_samples=recipe.eval_samples,
            options=recipe.options,
            recipe_hash=recipe.digest,
            runtimes=runtimes,
        )
        if recipe.names:
            prep.source = dataclasses.replace(prep.source, names=recipe.names)
        if log:
            state = f"failed: {prep.error['detail']}" if prep.error else f"exported {', '.join(prep.export)}"
            log.write(f"{recipe.slug}: {state} ({time.perf_counter() - started:.2f}s)")
        yield prep


def _failed(recipe: Recipe, precisions: tuple[str, ...], error: dict[str, Any]) -> Prepared:
    source = ModelSource(
        slug=recipe.slug, name=recipe.slug, task="unknown", domain="unknown", license="unknown", components={}
    )
    return Prepared(source=source, precisions=precisions, recipe_hash=recipe.digest, error=error)
