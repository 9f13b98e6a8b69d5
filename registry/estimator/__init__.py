"""Latency, memory and compute-unit estimates per device from an ONNX graph's cost, calibrated on published figures."""
