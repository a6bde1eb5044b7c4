"""hls4ml's per-layer trace of a written project's firmware (:func:`build_trace`) for ``codesign check``."""

from __future__ import annotations

import ctypes
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codesign import keras_env
from codesign.errors import SpecError, first_line

keras_env.setup()

import hls4ml  # noqa: E402  (keras_env.setup must run first)

from codesign.hls import library_build  # noqa: E402
from codesign.hls.project import (  # noqa: E402
    _read_written_config,
    on_big_stack,
)

_TRACE_BLOCK = re.compile(r"#ifndef __SYNTHESIS__\n(?:\s*nnet::save_layer_output<[^\n]*\n)+#endif\n")


@dataclass(frozen=True)
class LayerTrace:
    """hls4ml's per-layer C-simulation outputs (``ModelGraph.trace``) of a project's firmware."""

    outputs: dict[str, np.ndarray]  # hls4ml layer name -> (n_samples, *shape), float64
    order: tuple[str, ...]  # traced layers in firmware order
    type_names: dict[str, dict[str, str]]  # layer -> {"result": "layer4_t", "accum": ..., "weight": ...}
    top_matches: bool  # the project's top function equals hls4ml's for its config (trace hooks aside)
    path: Path
    classes: dict[str, str] = field(default_factory=dict)  # layer -> hls4ml class (Dense, Activation, ...)


@dataclass(frozen=True, eq=False)
class TraceBuild:
    """A compiled copy of a project's firmware with hls4ml's trace hooks (from :func:`build_trace`)."""

    graph: Any
    top_matches: bool
    path: Path

    def trace(self, x: np.ndarray | list[np.ndarray]) -> LayerTrace:
        """Every traced layer's output for ``x`` (float64 rows on the input grid; a list, one array per input, for
        firmware with several inputs)."""
        import contextlib
        import io

        def rows(a: Any) -> np.ndarray:
            return np.ascontiguousarray(np.asarray(a, dtype=np.float64))

        arg = [rows(a).reshape(len(a), -1) for a in x] if isinstance(x, (list, tuple)) else rows(x)

        def work() -> Any:
            with contextlib.redirect_stdout(io.StringIO()):  # "Recompiling ... with tracing": it does not here
                return self.graph.trace(arg)

        _, traced = on_big_stack(work, "hls4ml-trace")
        order, types, classes = [], {}, {}
        for layer in self.graph.get_layers():
            if layer.name not in traced:
                continue
            order.append(layer.name)
            classes[layer.name] = str(layer.class_name)
            types[layer.name] = {"result": layer.get_output_variable().type.name}
            for tname, t in layer.types.items():
                role = tname.removesuffix("_t")
                if role in ("accum", "weight", "bias", "table"):
                    types[layer.name][role] = t.name
        outputs = {k: np.asarray(v, dtype=np.float64) for k, v in traced.items()}
        return LayerTrace(outputs, tuple(order), types, self.top_matches, self.path, classes)


def build_trace(project_dir: Path, model: Any, work_dir: Path, weights_dir: Path | None = None) -> TraceBuild:
    """Compile the firmware in ``project_dir``, as it is now, with hls4ml's per-layer trace enabled.

    hls4ml writes trace hooks only when it writes a project, so ``model`` (the model as converted) is
    converted again with the written config and tracing on into ``work_dir``; the project's own firmware
    files (weights, ``defines.h``, ``parameters.h``, kernels) are copied over it, with ``weights_dir``'s
    ``.txt`` files (the synthesized values) when given, so edits made after the build are traced. Only
    the top function is hls4ml's: :attr:`TraceBuild.top_matches` says whether it equals the project's.
    """
    import shutil

    project_dir, work_dir = Path(project_dir).resolve(), Path(work_dir).resolve()
    written = _read_written_config(project_dir)
    if not written.get("HLSConfig"):
        raise SpecError(f"{project_dir}: no hls4ml_config.yml written by hls4ml; convert the model again")
    cfg = json.loads(json.dumps(written["HLSConfig"]))
    for entry in (cfg.get("LayerName") or {}).values():
        entry["Trace"] = True
    shutil.rmtree(work_dir, ignore_errors=True)
    extra = {"clock_uncertainty": written["ClockUncertainty"]} if written.get("ClockUncertainty") else {}
    name = str(written.get("ProjectName", "myproject"))
    try:
        graph = hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, output_dir=str(work_dir), project_name=name, backend=written.get("Backend"),
            io_type=written.get("IOType"), part=written.get("Part"), clock_period=written.get("ClockPeriod"), **extra,
        )  # fmt: skip
    except Exception as exc:
        raise SpecError(f"hls4ml could not convert the model again for the trace: {first_line(exc)}") from exc
    graph.config.trace_output = True
    graph.write()
    src_fw, dst_fw = project_dir / "firmware", work_dir / "firmware"
    for f in src_fw.rglob("*"):
        rel = f.relative_to(src_fw)
        if f.is_file() and "ap_types" not in rel.parts and f.suffix != ".so" and rel.as_posix() != f"{name}.cpp":
            (dst_fw / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst_fw / rel)
    for f in Path(weights_dir).glob("*.txt") if weights_dir is not None else ():
        shutil.copyfile(f, dst_fw / "weights" / f.name)
    traced_top = (dst_fw / f"{name}.cpp").read_text()
    own_top = (src_fw / f"{name}.cpp").read_text() if (src_fw / f"{name}.cpp").is_file() else ""
    lib, _ = library_build.build_library(work_dir, name, graph.config.get_config_value("Stamp"))
    graph._top_function_lib = ctypes.cdll.LoadLibrary(str(lib))
    graph.compile = lambda: None  # trace() would write the project again and lose the copied firmware
    return TraceBuild(graph, _TRACE_BLOCK.sub("", traced_top) == own_top, work_dir)
