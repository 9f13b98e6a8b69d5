"""The ingest pipeline: export, optimize per precision, compile, profile, evaluate and record builds."""
