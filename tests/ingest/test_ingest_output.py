"""What `registry ingest` shows: progress from the first second (models and builds done out of the total, stage,
elapsed, ETA), one summary table, and third-party warnings and logs in the run log instead of the terminal."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import cli_env

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "docs" / "examples" / "hello" / "model.onnx"

NOISY = textwrap.dedent(
    """
    import logging, os, subprocess, sys, warnings
    from pathlib import Path
    from ingest.runlog import third_party_output_to

    logging.basicConfig(level=logging.INFO)  # what onnxruntime's quantizer does
    with third_party_output_to(Path(sys.argv[1])) as terminal:
        terminal.write("our progress\\n")
        warnings.warn("float16 underflow", UserWarning)
        logging.getLogger("onnxruntime.quantization").info("Quantization parameters for tensor x")
        os.write(2, b"native: Axis 1 is out-of-range\\n")
        child = "import sys; sys.stderr.write('worker: torchvision is not installed\\\\n')"
        subprocess.run([sys.executable, "-c", child])
    sys.stderr.write("after the run\\n")
    """
)


def test_third_party_output_goes_to_the_log_and_ours_to_the_terminal(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    out = subprocess.run(
        [sys.executable, "-c", NOISY, str(log)],
        env=cli_env({"PYTHONPATH": str(ROOT)}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == "our progress\nafter the run\n"  # the terminal: our line, and stderr restored after
    logged = log.read_text()
    for noise in ("float16 underflow", "Quantization parameters", "Axis 1 is out-of-range", "torchvision"):
        assert noise in logged


def test_ingest_shows_counted_progress_and_one_summary_table(tmp_path: Path) -> None:
    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    args = ["--precisions", "float,w8a8", "--executor", "serial", "--profile-runs", "3"]
    out = subprocess.run(
        [*reg, "ingest", "--onnx", str(HELLO), "--name", "hello", "--task", "classification", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    err = out.stderr
    log_path = re.search(r"^log: (\S+)", err, re.M)
    assert log_path and Path(log_path[1]).is_file()
    assert "[0/1 models, 0/2 builds, 0:00] plan: 1 models, 2 builds" in err
    assert re.search(r"\[0/1 models, 1/2 builds, \d+:\d\d, ETA \d+:\d\d\] hello", err)
    assert "[1/1 models, 2/2 builds, " in err
    assert "ingest summary" in err and "hello@1.0.0" in err and "succeeded" in err
    for noise in ("Warning", "INFO", "warnings.warn"):  # no library noise on the terminal
        assert noise not in err, err
