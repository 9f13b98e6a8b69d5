"""``registry sync-qaihub-devices``: merge Qualcomm AI Hub's device list into the device catalog."""

from __future__ import annotations

import typer

from registry.cli.output import info, print_json


def register(app: typer.Typer) -> None:
    app.command("sync-qaihub-devices")(sync_qaihub_devices)


def sync_qaihub_devices(json_out: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Add AI Hub's devices (chipset, hexagon:vNN, fp16 support) to the catalog; sourced facts are kept.

    Needs an AI Hub token: `qai-hub configure` or REGISTRY_QAIHUB_TOKEN.
    """
    from pathlib import Path

    from ingest.backends.qaihub import QaiHubBackend
    from registry.embedded import EmbeddedCatalog
    from registry.service.qaihub_devices import fetch_hub_devices, merge_hub_devices

    catalog = EmbeddedCatalog()
    backend = QaiHubBackend(catalog.settings, work_dir=Path(catalog.settings.home))
    devices = fetch_hub_devices(backend.connect())
    assert backend.config is not None
    with catalog.session() as session:
        report = merge_hub_devices(session, devices, f"Qualcomm AI Hub device list, {backend.config.api_url}")
    if json_out:
        print_json({"devices": len(devices), **report.to_dict()})
        return
    info(
        f"{len(devices)} AI Hub devices: {len(report.updated)} chipsets updated, "
        f"{len(report.names_added)} names added, {len(report.unknown_chipsets)} chipsets not in the catalog."
    )
    for conflict in report.conflicts:
        info(f"  kept ours: {conflict}")
    for chipset, names in report.unknown_chipsets.items():
        info(f"  unknown chipset {chipset}: {', '.join(names)}")
