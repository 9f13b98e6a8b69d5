"""Edge Model Registry: versioned, per-device builds of edge AI models."""

__version__ = "0.1.0"
