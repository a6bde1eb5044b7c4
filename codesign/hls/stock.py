"""A Keras model written as a stock hls4ml project, with hls4ml's own default configuration and nothing changed.

codesign's own conversion (:func:`codesign.hls.convert`) edits the model and the configuration so that the firmware
is bit-exact; this one does not. It reproduces how hls4ml's own tests build their projects
(``config_from_keras_model`` then ``convert_from_keras_model``), so that a project can be set against a
C-synthesis report hls4ml published for that test (``benchmarks/hls4ml_baselines.py``). Only ``write()`` is
run: no compilation, no synthesis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hls4ml

#: the hls4ml backends a stock project can be written for here (those whose reports the estimator models)
STOCK_BACKENDS = ("Vivado", "Vitis")


def write_stock_project(
    model: Any,
    output_dir: Path,
    *,
    backend: str,
    io_type: str,
    part: str,
    clock_ns: float,
    strategy: str | None = None,
    granularity: str = "model",
    default_precision: str | None = None,
) -> Path:
    """Write ``model`` as hls4ml's tests do (its default config; ``strategy`` set at model level if given)."""
    if backend not in STOCK_BACKENDS:
        raise ValueError(f"backend {backend!r}: a stock project is written for one of {', '.join(STOCK_BACKENDS)}")
    if io_type not in ("io_parallel", "io_stream"):
        raise ValueError(f"io_type {io_type!r}: accepted are io_parallel, io_stream")
    kwargs: dict[str, Any] = {"granularity": granularity}
    if default_precision is not None:
        kwargs["default_precision"] = default_precision
    config = hls4ml.utils.config_from_keras_model(model, **kwargs)
    if strategy is not None:
        config["Model"]["Strategy"] = strategy
    graph = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=config,
        output_dir=str(output_dir),
        backend=backend,
        io_type=io_type,
        part=part,
        clock_period=clock_ns,
    )
    graph.write()
    return Path(output_dir)
