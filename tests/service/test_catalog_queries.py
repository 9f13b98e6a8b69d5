"""A page of catalog search costs the same number of SQL queries whatever its size (no query per model)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from registry.embedded import EmbeddedCatalog
from registry.service import lifecycle
from registry.service.catalog import search_page
from registry.service.publish import publish_directory
from registry.vocab import ModelFilter
from tests.helpers import model_card, write_publish_dir


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _publish(catalog: EmbeddedCatalog, root: Path, slug: str, versions: list[str]) -> None:
    for version in versions:
        d = write_publish_dir(root / f"{slug}-{version}", slug=slug, version=version, card=model_card(slug))
        with catalog.session() as s:
            publish_directory(s, catalog.store, d)


def _page_queries(catalog: EmbeddedCatalog, limit: int, flt: ModelFilter | None = None) -> tuple[int, list[str]]:
    with catalog.session() as s, _counting(catalog.engine) as statements:
        items, _ = search_page(s, flt, limit=limit)
    return len(statements), [m.slug for m in items]


def test_search_page_query_count_does_not_grow_with_the_page(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    _publish(catalog, tmp_path, "m00", ["1.0.0"])
    _publish(catalog, tmp_path, "m01", ["1.0.0"])
    small, slugs = _page_queries(catalog, limit=100)
    assert slugs == ["m00", "m01"]
    for i in range(2, 12):
        _publish(catalog, tmp_path, f"m{i:02d}", ["1.0.0", "1.1.0"] if i % 3 == 0 else ["1.0.0"])
    large, slugs = _page_queries(catalog, limit=100)
    assert len(slugs) == 12
    assert large == small, f"{small} queries for 2 models, {large} for 12"
    assert large <= 3  # the page of models, their versions with aliases, their other names: one query each
    filtered, slugs = _page_queries(catalog, limit=100, flt=ModelFilter(precision="w8a8"))
    assert len(slugs) == 12 and filtered == large


def test_search_page_summaries_keep_latest_version_and_aliases(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    _publish(catalog, tmp_path, "alpha", ["1.0.0", "1.2.0", "2.0.0-rc.1"])
    _publish(catalog, tmp_path, "beta", ["0.1.0"])
    _publish(catalog, tmp_path, "gamma", ["1.0.0", "1.1.0"])
    with catalog.session() as s:
        lifecycle.set_alias(s, "alpha", "stable", "1.0.0")
        lifecycle.set_alias(s, "alpha", "next", "2.0.0-rc.1")
        lifecycle.yank(s, "gamma", "1.1.0", reason="broken")
    with catalog.session() as s:
        items, cursor = search_page(s, None, limit=2)
        assert cursor is not None
        more, end = search_page(s, None, limit=2, cursor=cursor)
    by_slug = {m.slug: m for m in [*items, *more]}
    assert end is None and list(by_slug) == ["alpha", "beta", "gamma"]
    assert by_slug["alpha"].latest_version == "1.2.0"
    assert by_slug["alpha"].aliases == {"stable": "1.0.0", "next": "2.0.0-rc.1"}
    assert by_slug["beta"].latest_version == "0.1.0" and by_slug["beta"].aliases == {}
    assert by_slug["gamma"].latest_version == "1.0.0"
