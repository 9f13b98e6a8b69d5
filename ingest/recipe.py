"""Recipes: a YAML file per zoo model naming its factory, the precisions to build and the data to use.

```yaml
slug: digits-cnn
factory: ingest.zoo.digits:build        # returns ingest.zoo.base.ZooModel
precisions: [float, fp16, w8a8, w8a16, mixed]
calibration_samples: 64
eval_samples: 32
options: {}   # optional per-precision optimize options, e.g. {mixed: {mixed_budget: {sqnr_db: 30}}}
names: []     # optional other names the model answers to in the catalog, e.g. [yolov8] for yolov8n
```

Every problem is an ``InvalidInput`` naming the file and the field, so a typo never becomes a half-built model.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.errors import InvalidInput
from registry.vocab import normalize_precision

if TYPE_CHECKING:
    from ingest.zoo.base import ZooModel

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
_FIELDS = {"slug", "factory", "precisions", "calibration_samples", "eval_samples", "options", "size", "names"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Recipe:
    slug: str
    factory: str
    precisions: tuple[str, ...]
    calibration_samples: int = 64
    eval_samples: int = 32
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    size: str = "default"
    path: Path | None = None
    names: tuple[str, ...] = ()  # catalog names only: not part of ``digest`` (no stage depends on them)

    @property
    def digest(self) -> str:
        """Hash of what the recipe asks for (not where the file lives): part of every stage key."""
        body = {
            "slug": self.slug,
            "factory": self.factory,
            "precisions": list(self.precisions),
            "calibration_samples": self.calibration_samples,
            "eval_samples": self.eval_samples,
            "options": self.options,
            "size": self.size,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _bad(path: Path, field_name: str, message: str, hint: str) -> InvalidInput:
    return InvalidInput(f"{path}: field '{field_name}': {message}", hint=hint)


def load_recipe(path: Path) -> Recipe:
    """Read and check one recipe file."""
    import yaml

    if not path.is_file():
        raise InvalidInput(
            f"Recipe {path} does not exist.",
            hint=f"Give a recipe file, or a slug from {RECIPES_DIR} (`registry ingest --all` builds them all).",
        )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {str(exc).splitlines()[0]}", hint="Fix the syntax.") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a recipe is a YAML mapping.", hint="See docs/ingest.md for the format.")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise _bad(path, unknown[0], "unknown field", f"Known fields: {', '.join(sorted(_FIELDS))}.")
    for name in ("slug", "factory", "precisions"):
        if name not in data:
            raise _bad(path, name, "missing", "Every recipe needs slug, factory and precisions.")
    slug = data["slug"]
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise _bad(path, "slug", f"{slug!r} is not a slug", "Use lower-case letters, digits, '.', '-' or '_'.")
    factory = data["factory"]
    if not isinstance(factory, str) or not _FACTORY.match(factory):
        raise _bad(path, "factory", f"{factory!r} is not module:function", "e.g. ingest.zoo.digits:build")
    return Recipe(
        slug=slug,
        factory=factory,
        precisions=_precisions(path, data["precisions"]),
        calibration_samples=_count(path, data, "calibration_samples", 64),
        eval_samples=_count(path, data, "eval_samples", 32),
        options=_options(path, data.get("options") or {}),
        size=str(data.get("size", "default")),
        path=path.resolve(),
        names=_names(path, data.get("names") or []),
    )


def _names(path: Path, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(n, str) and _SLUG.match(n) for n in value):
        raise _bad(path, "names", f"{value!r} is not a list of slugs", "e.g. [yolov8]")
    return tuple(value)


def _precisions(path: Path, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _bad(path, "precisions", "must be a non-empty list", "e.g. [float, fp16, w8a8]")
    out = []
    for p in value:
        try:
            out.append(normalize_precision(str(p)))
        except InvalidInput as exc:
            raise _bad(path, "precisions", exc.detail, exc.hint or "") from exc
    return tuple(dict.fromkeys(out))


def _count(path: Path, data: dict[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
        raise _bad(path, name, f"{value!r} is not a sample count", "Give a whole number from 1 to 100000.")
    return value


def _options(path: Path, value: Any) -> dict[str, dict[str, Any]]:
    from ingest.optimize import options_for

    if not isinstance(value, dict):
        raise _bad(path, "options", "must map a precision to its options", "e.g. {mixed: {mixed_budget: {...}}}")
    out: dict[str, dict[str, Any]] = {}
    for key, opts in value.items():
        try:
            precision = normalize_precision(str(key))
        except InvalidInput as exc:
            raise _bad(path, f"options.{key}", exc.detail, exc.hint or "") from exc
        if not isinstance(opts, dict):
            raise _bad(path, f"options.{key}", "must be a mapping of option names", "e.g. {block_size: 32}")
        unknown = sorted(set(opts) - options_for(precision))
        if unknown:
            raise _bad(
                path,
                f"options.{key}.{unknown[0]}",
                "unknown option",
                f"{precision} accepts: {', '.join(sorted(options_for(precision)))}.",
            )
        out[precision] = dict(opts)
    return out


def list_recipes(root: Path = RECIPES_DIR) -> list[Path]:
    """The repo's recipes (for ``registry ingest --all``), by file name."""
    return sorted(root.glob("*.yaml")) if root.is_dir() else []


def find_recipe(name: str, root: Path = RECIPES_DIR) -> Path:
    """A recipe path, or the repo recipe of that slug (``registry ingest digits-cnn``)."""
    given = Path(name)
    if given.suffix in (".yaml", ".yml") or given.exists():
        return given
    candidate = root / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    for path in list_recipes(root):
        try:
            if load_recipe(path).slug == name:
                return path
        except InvalidInput:
            continue
    known = ", ".join(p.stem for p in list_recipes(root)) or "none yet"
    raise InvalidInput(f"No recipe '{name}'.", hint=f"Give a recipe file or one of: {known}.")


def import_factory(recipe: Recipe) -> Callable[..., ZooModel]:
    """The recipe's factory function, imported."""
    module_name, func = recipe.factory.split(":")
    where = recipe.path or Path("recipe")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _bad(where, "factory", f"cannot import {module_name}: {exc}", "Check the module path.") from exc
    fn = getattr(module, func, None)
    if not callable(fn):
        raise _bad(where, "factory", f"{module_name} has no function {func}", "Check the function name.")
    return fn  # type: ignore[no-any-return]


def build_model(recipe: Recipe) -> ZooModel:
    """Call the factory and check that it returned a ZooModel for this slug."""
    from ingest.zoo.base import UnknownSize, ZooModel

    where = recipe.path or Path("recipe")
    try:
        model = import_factory(recipe)(recipe.size)
    except UnknownSize as exc:
        raise _bad(where, "size", str(exc), "Use one of those sizes, or leave `size` out for the default.") from exc
    if not isinstance(model, ZooModel):
        raise _bad(where, "factory", f"returned {type(model).__name__}, not a ZooModel", "Return a ZooModel.")
    if model.slug != recipe.slug:
        raise _bad(where, "slug", f"{recipe.slug!r} but the factory builds {model.slug!r}", "Make them agree.")
    if not model.components:
        raise _bad(where, "factory", "the model has no components", "Give at least one Component.")
    return model
