"""Target SKUs, keyed by chipset, and the names users type for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base


class Device(Base):
    """A chipset such as ``qualcomm-snapdragon-8gen3`` (slug ``sd8g3``) with its public facts."""

    __tablename__ = "devices"

    chipset: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    marketing_name: Mapped[str] = mapped_column(String(120))
    soc_parts: Mapped[list[Any]] = mapped_column(default=list)
    world: Mapped[str] = mapped_column(String(32), default="")
    form_factors: Mapped[list[Any]] = mapped_column(default=list)
    npu_arch: Mapped[str | None] = mapped_column(String(32))
    # Public figures with their sources: {"name": {"value": ..., "unit": ..., "source": ...}}.
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DeviceName(Base):
    """Every normalized name that resolves to a device: slug, chipset, SoC part, marketing or device name."""

    __tablename__ = "device_names"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    chipset: Mapped[str] = mapped_column(ForeignKey("devices.chipset", ondelete="CASCADE"), index=True)
    display: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # slug | chipset | soc | marketing | device
