"""The catalog's tables (SQLAlchemy 2, typed). Import from here: ``from registry.models import Build``."""

from registry.models.audit import AuditEvent
from registry.models.base import Base
from registry.models.catalog import Alias, Blob, Build, BuildFile, Model, ModelName, Version
from registry.models.device import Device, DeviceName
from registry.models.metrics import Benchmark, Evaluation
from registry.models.ops import ApiToken, IngestRun
from registry.models.signing import Signature

__all__ = [
    "Alias",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Benchmark",
    "Blob",
    "Build",
    "BuildFile",
    "Device",
    "DeviceName",
    "Evaluation",
    "IngestRun",
    "Model",
    "ModelName",
    "Signature",
    "Version",
]
