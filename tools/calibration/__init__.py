"""The estimator's calibration zoo: torch definitions of the published AI Hub models (``zoo/``), the graph
builder that reduces them to cost summaries (``build_graphs``), and ``python -m tools.calibration``, which
regenerates ``registry/estimator/data/`` (graphs, then the fitted ``params.json``). Development only: the wheel
ships the data and the pure-function estimator, not these definitions."""
