"""A written hls4ml project (:class:`HlsProject`): its ports and types, ctypes compile/predict on a big stack, reload from disk."""

from __future__ import annotations

import ctypes
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from codesign.errors import SpecError, ToolError
from codesign.firmware import description as fw_description
from codesign.hls import library_build
from codesign.precision import FixedPrecision
from codesign.reference.graph import FINAL_HEADS

BACKENDS = ("Vivado", "Vitis")


IO_TYPES = ("io_parallel", "io_stream")


STRATEGIES = ("Latency", "Resource")


DEFAULT_INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")


IO_SIDECAR = "codesign_io.json"


PREDICT_STACK_BYTES = 1 << 30  # unrolled weights are stack arrays in C-simulation


_STACK_SIZE_LOCK = threading.Lock()


def on_big_stack(fn: Any, name: str) -> Any:
    """``fn()`` in a thread with a 1 GiB stack (hls4ml's compiled library keeps unrolled weights on the stack);
    its exception is re-raised here."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["out"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["err"] = exc

    with _STACK_SIZE_LOCK:  # the size is process-wide: two callers at once (overlapped C-sim) must not interleave
        old = threading.stack_size()
        threading.stack_size(PREDICT_STACK_BYTES)
        try:
            t = threading.Thread(target=work, name=name)
            t.start()
        finally:
            threading.stack_size(old)
    t.join()
    if "err" in box:
        raise box["err"]
    return box["out"]


COMPILE_TIMEOUT_S = library_build.COMPILE_TIMEOUT_S


def _dlclose(lib: ctypes.CDLL) -> None:
    """Unload a ctypes library (as hls4ml does before loading a rebuilt one under the same name)."""
    close = ctypes.CDLL(None).dlclose  # glibc >= 2.34 has it in libc; the process already links libdl otherwise
    close.argtypes = [ctypes.c_void_p]
    close.restype = ctypes.c_int
    close(lib._handle)


@dataclass(frozen=True)
class TopPort:
    """One argument of the generated top function, as the testbench must declare and fill it."""

    name: str
    type_name: str
    size: int
    definition: str
    precision: FixedPrecision | None


@dataclass(frozen=True, eq=False)
class HlsProject:
    """A written hls4ml project: where it is, its types, the config as written, and what codesign adjusted."""

    path: Path
    project_name: str
    backend: str
    io_type: str
    part: str
    clock_ns: float
    input_precision: FixedPrecision | None
    output_precision: FixedPrecision | None
    layer_precisions: dict[str, dict[str, FixedPrecision]]
    config: dict[str, Any]
    notes: tuple[str, ...]
    inputs: tuple[TopPort, ...]
    outputs: tuple[TopPort, ...]
    keras_model: Any = field(default=None, repr=False)
    final_softmax: dict | None = None  # softmax_twin.SoftmaxConfig.to_dict() when the firmware ends in a softmax
    final_sigmoid: dict | None = None  # sigmoid_twin.SigmoidConfig.to_dict() when the firmware ends in a sigmoid
    reuse_factors: dict[str, int] = field(default_factory=dict)  # per layer with multipliers, as in parameters.h
    _graph: Any = field(default=None, repr=False)
    _state: dict = field(default_factory=dict, repr=False)

    @property
    def removed_heads(self) -> tuple[str, ...]:
        """The final activations ('softmax', 'sigmoid') codesign left out of the firmware (its outputs are logits)."""
        starts = {h: (f"final {h} layer '", f"{h} activation of final layer '") for h in FINAL_HEADS}
        return tuple(h for h in FINAL_HEADS if any(n.startswith(starts[h]) for n in self.notes))

    @property
    def softmax_removed(self) -> bool:
        """True when codesign left a final softmax or sigmoid out of the firmware (its outputs are then logits)."""
        return bool(self.removed_heads)

    @property
    def n_inputs(self) -> int:
        """Number of input values per sample (all inputs flattened)."""
        return sum(p.size for p in self.inputs)

    @property
    def n_outputs(self) -> int:
        """Number of output values per sample (all outputs flattened)."""
        return sum(p.size for p in self.outputs)

    def compile(self, pch: Path | None = None) -> Path:
        """Build hls4ml's ctypes library (build_lib.sh's steps, :mod:`~codesign.hls.library_build`) and load it;
        an up-to-date library is not rebuilt, an edited firmware is rebuilt and loaded again. ``pch``: a
        precompiled header (:func:`codesign.hls.pch.header`) for its units (the same library, faster)."""
        if self._graph is None:
            raise ToolError(f"{self.path}: this project was loaded from disk; convert it again to compile it")
        graph = self._graph
        lib, key = library_build.build_library(self.path, self.project_name, graph.config.get_config_value("Stamp"),
                                                 pch=pch)
        if self._state.get("lib_key") == key:
            return lib
        if graph._top_function_lib is not None:  # the old build: unloaded first, or dlopen returns it again
            _dlclose(graph._top_function_lib)
        graph._top_function_lib = ctypes.cdll.LoadLibrary(str(lib))
        self._state.update(lib=lib, lib_key=key)
        return lib

    def predict(self, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
        """Run hls4ml's compiled C-simulation on float64 inputs; returns float64 (one array per output)."""
        if "lib" not in self._state:
            self.compile()
        xs = x if isinstance(x, (list, tuple)) else [x]
        xs = [np.ascontiguousarray(np.asarray(a, dtype=np.float64)) for a in xs]
        n = xs[0].shape[0]
        xs = [a.reshape(n, -1) for a in xs]
        arg = xs if len(xs) > 1 else xs[0]
        y = on_big_stack(lambda: self._graph.predict(arg), "hls4ml-predict")
        ys = y if isinstance(y, list) else [y]
        ys = [np.asarray(a, dtype=np.float64).reshape(n, -1) for a in ys]
        return ys if len(self.outputs) > 1 else ys[0]

    def firmware_description(self) -> fw_description.FirmwareDescription:
        """The firmware as configured (layers, types, weight codes), written next to the project at conversion."""
        return fw_description.FirmwareDescription.load(self.path / fw_description.FILE_NAME)

    def summary(self) -> dict[str, Any]:
        """JSON-able description: types as C++ strings, notes, ports."""
        return {
            "path": str(self.path),
            "project_name": self.project_name,
            "backend": self.backend,
            "io_type": self.io_type,
            "part": self.part,
            "clock_ns": self.clock_ns,
            "input_precision": self.input_precision.to_hls() if self.input_precision else None,
            "output_precision": self.output_precision.to_hls() if self.output_precision else None,
            "layer_precisions": {
                ln: {k: p.to_hls() for k, p in types.items()} for ln, types in self.layer_precisions.items()
            },
            "notes": list(self.notes),
            "inputs": [_port_dict(p) for p in self.inputs],
            "outputs": [_port_dict(p) for p in self.outputs],
            "final_softmax": self.final_softmax,
            "final_sigmoid": self.final_sigmoid,
            "reuse_factors": dict(self.reuse_factors),
        }

    @classmethod
    def load(cls, path: Path) -> HlsProject:
        """Re-open a project written by :func:`convert` (no ctypes predict; C-simulation via csim works)."""
        path = Path(path)
        side = path / IO_SIDECAR
        if not side.exists():
            raise SpecError(f"{path} is not a project written by codesign (missing {IO_SIDECAR})")
        d = json.loads(side.read_text())

        def prec(s: str | None) -> FixedPrecision | None:
            return FixedPrecision.parse(s) if s else None

        return cls(
            path=path,
            project_name=d["project_name"],
            backend=d["backend"],
            io_type=d["io_type"],
            part=d["part"],
            clock_ns=float(d["clock_ns"]),
            input_precision=prec(d["input_precision"]),
            output_precision=prec(d["output_precision"]),
            layer_precisions={
                ln: {k: FixedPrecision.parse(v) for k, v in t.items()} for ln, t in d["layer_precisions"].items()
            },
            config=_read_written_config(path),
            notes=tuple(d["notes"]),
            inputs=tuple(_port_from(p) for p in d["inputs"]),
            outputs=tuple(_port_from(p) for p in d["outputs"]),
            final_softmax=d.get("final_softmax"),
            final_sigmoid=d.get("final_sigmoid"),
            reuse_factors={k: int(v) for k, v in (d.get("reuse_factors") or {}).items()},
        )


def _port_dict(p: TopPort) -> dict[str, Any]:
    return {
        "name": p.name,
        "type_name": p.type_name,
        "size": p.size,
        "definition": p.definition,
        "precision": p.precision.to_hls() if p.precision else None,
    }


def _port_from(d: dict[str, Any]) -> TopPort:
    return TopPort(
        d["name"],
        d["type_name"],
        int(d["size"]),
        d["definition"],
        FixedPrecision.parse(d["precision"]) if d["precision"] else None,
    )


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that reads hls4ml's ``!keras_model`` tag as the saved model's path."""


_ConfigLoader.add_constructor("!keras_model", lambda loader, node: loader.construct_scalar(node))


def _read_written_config(path: Path) -> dict[str, Any]:
    f = path / "hls4ml_config.yml"
    if not f.exists():
        return {}
    with open(f) as fh:
        return yaml.load(fh, Loader=_ConfigLoader) or {}
