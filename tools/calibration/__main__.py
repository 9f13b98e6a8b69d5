"""Regenerate the estimator's shipped data in one command: the calibration graphs that are missing (or all of
them, or some), then the fit that writes ``registry/estimator/data/params.json``.

    python -m tools.calibration                 # graphs missing from calibration_graphs.json, then the fit
    python -m tools.calibration --all           # re-export every graph (after a change to graphcost), then fit
    python -m tools.calibration --only yolov8_det --only mobilenet_v2
    python -m tools.calibration --fit-only      # no torch needed: the fit reads only the JSON and the CSV

The graph export needs the ``ml`` extra (torch, transformers, diffusers); the fit needs numpy only.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.calibration", description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="re-export every calibration graph")
    parser.add_argument("--only", action="append", default=[], metavar="MODEL_ID", help="re-export these models")
    parser.add_argument("--fit-only", action="store_true", help="skip the graph export; refit from the JSON")
    args = parser.parse_args(argv)
    if not args.fit_only:
        from tools.calibration import build_graphs

        graph_args = ["--all"] if args.all else []
        if args.only:
            graph_args += ["--only", *args.only]
        if status := build_graphs.main(graph_args):
            return status
    from registry.estimator import fit

    return fit.main([])


if __name__ == "__main__":
    raise SystemExit(main())
