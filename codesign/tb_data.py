"""The emitted project's own testbench data: ``tb_data/tb_input_features.dat`` and ``tb_output_predictions.dat``.

hls4ml's ``myproject_test.cpp`` reads these two files in Vivado/Vitis csim and cosim (one sample per line,
values separated by spaces, every input and every output flattened side by side); without them it runs on a
single default input. codesign writes its check's inputs and the expected outputs there, so the vendor flow
runs on the same inputs codesign proved. Values are written with Python's ``repr`` (shortest round-trip),
so on-grid fixed-point values are read back exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from codesign.arrays import as_rows

MAX_ROWS = 1000  # cosim time grows with every sample; the first rows are the data inputs


def _write(path: Path, rows: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        for row in rows:
            fh.write(" ".join(repr(float(v)) for v in row) + " \n")
    tmp.replace(path)


def write_tb_data(project_dir: Path, inputs, outputs, max_rows: int = MAX_ROWS) -> int:
    """Write the first ``max_rows`` samples of ``inputs`` and their expected ``outputs``; returns the row count."""
    x, y = as_rows(inputs), as_rows(outputs)
    n = min(len(x), len(y), max_rows)
    folder = Path(project_dir) / "tb_data"
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "tb_input_features.dat", x[:n])
    _write(folder / "tb_output_predictions.dat", y[:n])
    return n


def read_dat(path: Path) -> np.ndarray:
    """Read a .dat file written by :func:`write_tb_data` (or by hls4ml) as [n, k] float64."""
    return np.loadtxt(path, ndmin=2)
