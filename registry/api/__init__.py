"""The HTTP API (FastAPI). ``create_app()`` builds it; ``registry serve`` runs it under uvicorn."""

from registry.api.app import create_app

__all__ = ["create_app"]
