"""Development tools kept out of the wheel (``pyproject.toml`` packages only ``registry``, ``ingest``, ``ui``)."""
