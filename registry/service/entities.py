"""Moved to ``registry.entities`` (the wire entities the service, API, SDK and UI share). This alias only keeps
branches written before the move importing while they merge; import ``registry.entities``, and delete this file
once nothing does."""

from registry.entities import *  # noqa: F403
