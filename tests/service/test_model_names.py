"""Model names: a model answers to the other names its manifest lists (``yolov8`` for ``yolov8n``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.db import transaction
from registry.embedded import EmbeddedCatalog
from registry.errors import Conflict, ModelNotFound
from registry.service import lifecycle
from registry.service.catalog import search_models, show_model
from registry.service.publish import publish_directory
from registry.service.resolve import resolve, resolve_fast
from tests.helpers import model_card, write_publish_dir


def _publish(catalog: EmbeddedCatalog, root: Path, slug: str, version: str, names: list[str] | None = None) -> None:
    card = model_card(slug, **({"names": names} if names is not None else {}))
    d = write_publish_dir(root / f"{slug}-{version}", slug=slug, version=version, card=card)
    with catalog.session() as s:
        publish_directory(s, catalog.store, d)


def test_a_family_name_resolves_to_its_model_with_a_notice(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    _publish(catalog, tmp_path, "yolov8n", "1.0.0", names=["yolov8"])
    with catalog.session() as s:
        lifecycle.set_alias(s, "yolov8", "stable", "1.0.0")  # the name works wherever a slug does
        by_name = resolve(s, "YOLOv8", "Samsung Galaxy S24", "int8", alias="stable")
        by_slug = resolve(s, "yolov8n", "sd8g3", "int8")
        assert by_name.model == by_slug.model == "yolov8n" and by_name.build.id == by_slug.build.id
        assert by_name.notices == ["'yolov8' is a name of yolov8n: using yolov8n."]
        assert by_slug.notices == []
        assert show_model(s, "yolov8").model.names == ["yolov8"]
        assert [m.names for m in search_models(s)] == [["yolov8"]]
        with pytest.raises(ModelNotFound) as miss:
            resolve(s, "yolov9", "sd8g3", "int8")
        assert "yolov8" in (miss.value.hint or "")


def test_the_api_fast_path_answers_a_name_like_resolve(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    _publish(catalog, tmp_path, "yolov8n", "1.0.0", names=["yolov8"])

    def slow(*a: object, **k: object) -> object:
        with transaction(catalog.sessionmaker) as s:
            return resolve(s, *a, **k)  # type: ignore[arg-type]

    with catalog.engine.connect() as conn:
        fast = resolve_fast(conn, slow, "yolov8", "sd8g3", "w8a8")
    assert fast.model_dump() == slow("yolov8", "sd8g3", "w8a8").model_dump()  # type: ignore[attr-defined]


def test_names_survive_a_no_op_republish_and_are_never_shared(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    _publish(catalog, tmp_path, "whisper-tiny", "1.0.0")
    _publish(catalog, tmp_path, "whisper-tiny", "1.0.0", names=["whisper"])  # the same bytes: names still added
    with catalog.session() as s:
        assert show_model(s, "whisper").model.slug == "whisper-tiny"
    with pytest.raises(Conflict, match="already names the model whisper-tiny"):
        _publish(catalog, tmp_path, "whisper-base", "1.0.0", names=["whisper"])
    with pytest.raises(Conflict, match="another name of the model whisper-tiny"):
        _publish(catalog, tmp_path, "whisper", "1.0.0")
    with catalog.session() as s:  # nothing of the refused publishes was kept
        assert [m.slug for m in search_models(s)] == ["whisper-tiny"]
