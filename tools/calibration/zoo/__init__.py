"""Calibration model definitions beyond ``build_graphs.py``: architecture-faithful torch or transformers
definitions of published AI Hub models, at the input size AI Hub profiles them (random weights: only shapes count)."""
