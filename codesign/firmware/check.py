"""``codesign check``: is a finished build's firmware, as it is now on disk, bit-exact with its reference?

The check reads what the build left (``models/converted.h5``, ``hls/``, ``csim/csim_results.npz``,
``.codesign/firmware.json``), says which firmware files changed since, C-simulates the firmware with
codesign's parallel g++ testbench (recompiled only when a source changed) on N inputs and on edge cases,
and compares with the float64 reference exactly. The weights simulated are the ones HLS synthesizes
(``weights/*.h``); when they differ from the ``.txt`` files every C-simulation loads, that is reported and the
``.h`` values are simulated. With ``trace`` the first layer whose output differs is found from hls4ml's
trace of the firmware against the reference's per-layer outputs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codesign.arrays import as_rows, join_rows, n_rows
from codesign.compare import BN_NOTE, REFERENCE_NAME, BitAccuracy, compare_exact
from codesign.durable import IN_PROGRESS, SCAN_FILE
from codesign.errors import ReferenceUnavailableError, SpecError
from codesign.firmware import files as fwfiles
from codesign.firmware.check_trace import reference_source, trace_layers
from codesign.firmware.layers import LayerVerdict

WORK = "check"  # the check's own folder inside the build (synthesized weights, trace project, check.json)


@dataclass(frozen=True)
class OutputVerdict:
    """One firmware output (flattened index) over the main inputs."""

    index: int
    n_mismatch: int
    n_samples: int
    first: dict | None  # {sample, expected, got}


@dataclass(frozen=True)
class EdgeVerdict:
    """One edge-case input."""

    label: str
    exact: bool
    first: dict | None  # {output, expected, got}


@dataclass(frozen=True)
class CheckResult:
    """What ``codesign check`` found; ``exact`` is the verdict (exit 0 when true, 1 when false)."""

    build_dir: Path
    exact: bool
    reference: str
    inputs: str
    n_data: int
    n_random: int
    outputs: BitAccuracy
    per_output: tuple[OutputVerdict, ...]
    edges: tuple[EdgeVerdict, ...]
    firmware: fwfiles.FirmwareChanges
    weights: tuple[fwfiles.WeightsMismatch, ...]
    testbench_rebuilt: bool
    layers: tuple[LayerVerdict, ...] | None = None
    trace_notes: tuple[str, ...] = ()
    junit: Path | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def first_differing_layer(self) -> LayerVerdict | None:
        """The first traced layer (firmware order) whose output differs from the reference."""
        return next((v for v in self.layers or () if v.status == "differs"), None)

    def lines(self) -> list[str]:
        """The console report, one finding per line."""
        out = [f"firmware: {self.firmware.describe()}"
               + ("; testbench recompiled" if self.testbench_rebuilt else "; testbench reused")]  # fmt: skip
        out += [f"weights: {w.describe()}; the check simulates the .h values" for w in self.weights]
        out.append(f"inputs: {self.inputs}; {len(self.edges)} edge cases apart")
        out.append(f"reference: {self.reference}")
        o = self.outputs
        if o.exact:
            out.append(f"outputs: exact on {o.n_samples} inputs ({len(self.per_output)} outputs each)")
        else:
            fm = o.first_mismatch or {}
            out.append(f"outputs: NOT exact: {o.n_mismatch} of {o.n_samples} inputs differ (max |diff| "
                       f"{o.max_abs_diff:.6g}); first mismatch: sample {fm.get('index')}, output {fm.get('output')}: "
                       f"expected {fm.get('expected')!r}, got {fm.get('got')!r}")  # fmt: skip
        bad = [e for e in self.edges if not e.exact]
        if not bad:
            out.append(f"edge cases: exact on all {len(self.edges)}")
        else:
            f = bad[0].first or {}
            out.append(f"edge cases: NOT exact on {len(bad)} of {len(self.edges)}; first: '{bad[0].label}', output "
                       f"{f.get('output')}: expected {f.get('expected')!r}, got {f.get('got')!r}")  # fmt: skip
        if self.layers is not None:
            first = self.first_differing_layer
            out.append(f"trace: first layer that differs: {first.describe()}" if first is not None
                       else "trace: no traced layer differs from the reference")  # fmt: skip
            out += [f"  {v.describe()}" for v in self.layers]
            out += [f"  note: {n}" for n in self.trace_notes]
        out += [f"note: {n}" for n in self.notes]
        if self.junit is not None:
            out.append(f"junit: {self.junit}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``<build>/check/check.json``)."""
        d = asdict(self)
        d["build_dir"], d["junit"] = str(self.build_dir), str(self.junit) if self.junit else None
        d["first_differing_layer"] = self.first_differing_layer.name if self.first_differing_layer else None
        return d


def _require(build: Path, rel: str, what: str) -> Path:
    """``build / rel``, or a SpecError naming the folder given and what it is instead (a scan folder, an unfinished
    build) when that file is missing."""
    path = build / rel
    if not path.exists():
        if (build / SCAN_FILE).is_file():
            points = sorted(p.name for p in (build / "points").glob("p*") if (p / "report.json").is_file())[:3]
            raise SpecError(f"{build}: a scan folder ({SCAN_FILE}), not a build: `codesign check` takes one point's "
                            f"folder (accepted: {build / 'points' / (points[0] if points else '<id>')}; finished "
                            f"points: {', '.join(points) if points else 'none yet'})")  # fmt: skip
        state = " (its build was interrupted or failed before its report)" if (
            build / ".codesign" / IN_PROGRESS).exists() else ""  # fmt: skip
        raise SpecError(f"{build}: not a finished codesign build{state} ({what} {path} is missing; accepted: the --out "
                        "folder of a finished `codesign build` of this version, or a spec to build first)")  # fmt: skip
    return path


def _per_output(ref: np.ndarray, fw: np.ndarray) -> tuple[OutputVerdict, ...]:
    out = []
    for j in range(ref.shape[1]):
        bad = np.flatnonzero(~(ref[:, j] == fw[:, j]))
        first = None
        if bad.size:
            i = int(bad[0])
            first = {"sample": i, "expected": float(ref[i, j]), "got": float(fw[i, j])}
        out.append(OutputVerdict(j, int(bad.size), len(ref), first))
    return tuple(out)


def _edges(labels: tuple[str, ...], ref: np.ndarray, fw: np.ndarray) -> tuple[EdgeVerdict, ...]:
    out = []
    for i, label in enumerate(labels):
        bad = np.flatnonzero(~(ref[i] == fw[i]))
        first = None
        if bad.size:
            j = int(bad[0])
            first = {"output": j, "expected": float(ref[i, j]), "got": float(fw[i, j])}
        out.append(EdgeVerdict(label, bad.size == 0, first))
    return tuple(out)


def check_arguments(
    *, n: int | None, junit: Path | str | None, trace: bool, seed: int, workers: int | None = None
) -> None:
    """Refuse bad check arguments before any work (a spec target's build included): SpecError naming the option."""
    from codesign.durable import check_output_file

    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1):
        # 0 fell back to the default without a word, 2.5 was cut to 2, 'two' was a ValueError
        raise SpecError(f"codesign.check: workers {workers!r}: accepted: an integer >= 1, or None for the spec's "
                        "check.workers (else the cores)")  # fmt: skip

    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise SpecError(f"--n {n!r}: the number of inputs must be an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SpecError(f"--seed {seed!r}: accepted: an integer >= 0")
    if not isinstance(trace, bool):
        raise SpecError(f"codesign.check: trace must be True or False, got {trace!r}")
    if junit is not None and not isinstance(junit, (str, os.PathLike)):  # was a TypeError (exit 7) from os.path
        raise SpecError(f"codesign.check: junit {junit!r}: accepted: a file path (str or Path), or None")
    if junit is not None:  # before the check runs, so that its verdict is not lost to an unwritable path
        check_output_file(junit, "--junit")


def check(
    build_dir: Path | str,
    *,
    n: int | None = None,
    junit: Path | str | None = None,
    trace: bool = False,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> CheckResult:
    """Check a finished build's firmware against its bit-exact reference on ``n`` inputs plus edge cases."""
    from codesign import csim, hls, modelio, tools
    from codesign.firmware import junit as junit_xml
    from codesign.firmware.check_inputs import check_memory, choose_inputs, choose_several
    from codesign.firmware.several_inputs import stored_inputs

    start = time.perf_counter()
    if progress is not None and not callable(progress):  # was a TypeError (exit 7) at the first line it was given
        raise SpecError(f"codesign.check: progress must be a function taking one line of text, or None; got {progress!r}")
    say = progress or (lambda _m: None)
    check_arguments(n=n, junit=junit, trace=trace, seed=seed, workers=workers)
    build = Path(build_dir)
    if not build.is_dir():
        raise SpecError(f"{build}: no such build folder (accepted: the --out folder of a finished `codesign build`, "
                        "or a spec file)")  # fmt: skip
    build = build.resolve()
    if junit is not None:  # --junit report.json replaced the build's report with the XML (exit 0)
        from codesign.durable import check_not_an_input

        check_not_an_input(junit, build, "--junit", junit_xml.is_junit, "an earlier JUnit report")
    report = _read_report(_require(build, "report.json", "report"))
    hls_dir = build / "hls"
    _require(build, f"hls/{hls.IO_SIDECAR}", "project description")
    converted = _require(build, "models/converted.h5", "converted model")
    results = _require(build, "csim/csim_results.npz", "C-simulation results")
    project = hls.HlsProject.load(hls_dir)
    several = len(project.inputs) > 1
    if not several and project.input_precision is None:
        raise ReferenceUnavailableError(f"{hls_dir}: codesign check draws its inputs on the firmware's input type; "
                                        f"input '{project.inputs[0].name}' has no fixed-point type "
                                        f"({project.inputs[0].definition})")  # fmt: skip
    say("loading the converted model")
    model = modelio.load_model(converted)
    ref_source = reference_source(build, model, project)

    with np.load(results) as z:
        stored = stored_inputs(z, str(results))
        n_data = int(z["n_data"]) if "n_data" in z.files else 0
        if "rep_label" in z.files and str(z["rep_label"]) != "data inputs":
            n_data = 0  # a build without data led with N(0,1) stand-ins, not data: the check draws its own inputs
    spec_check = ((report.get("spec") or {}).get("check") or {}) if isinstance(report, dict) else {}
    default_n = int(spec_check.get("n_samples") or 2000)
    if several:  # built without data (refused with data): random inputs on each input's own grid
        if n is not None:
            check_memory(int(n), (project.n_inputs,))
        chosen = choose_several(model, project.inputs, n=n, default_n=default_n, seed=int(seed), where=str(hls_dir))
    else:
        shape = tuple(int(d) for d in model.input_shape[1:])
        if n is not None:
            check_memory(int(n), shape)
        chosen = choose_inputs(stored[:n_data] if n_data else None, project.input_precision, shape, model, n=n,
                               default_n=default_n, seed=int(seed))  # fmt: skip

    changes = fwfiles.firmware_changes(build, hls_dir / "firmware")
    if changes.removed:  # g++ would fail on them: exit 5 'a tool failed' for a build folder that lost its files
        raise SpecError(f"{hls_dir / 'firmware'}: {len(changes.removed)} firmware file(s) the build wrote are missing "
                        f"({', '.join(changes.removed[:3])}{', ...' if len(changes.removed) > 3 else ''}); accepted: the "
                        "folder as `codesign build` left it (rerun the build, or restore the files)")  # fmt: skip
    weights_dir, mismatches = fwfiles.synthesized_weights(hls_dir / "firmware", build / WORK / "weights")
    exe = hls_dir / csim.TB_BINARY
    before = exe.stat().st_mtime_ns if exe.exists() else None
    x_all = join_rows([chosen.x, chosen.edge_x])
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the traced copy of the firmware compiles beside the testbench (each g++ on its own core)
        trace_job = pool.submit(hls.build_trace, hls_dir, model, build / WORK / "trace", weights_dir) if trace else None
        say("compiling the testbench" + (" and the traced firmware" if trace else "") + " (when changed)")
        csim.build_testbench(project, weights_dir=weights_dir)
        say(f"C-simulating {n_rows(x_all)} inputs")
        fw = as_rows(csim.run_csim(project, x_all, workers=int(workers or spec_check.get("workers") or tools.cpu_count()),
                                 weights_dir=weights_dir))  # fmt: skip
        rebuilt = before is None or exe.stat().st_mtime_ns != before
        say("computing the reference")
        ref = as_rows(ref_source.outputs(x_all))
        traced = trace_job.result() if trace_job is not None else None
    k = n_rows(chosen.x)
    main = compare_exact(ref[:k], fw[:k], reference=ref_source.name)
    per_output = _per_output(ref[:k], fw[:k])
    edges = _edges(chosen.edge_labels, ref[k:], fw[k:])
    simulated_exact = main.exact and all(e.exact for e in edges)
    exact = simulated_exact and not mismatches
    notes = ["the simulated outputs match, but the project's weights/*.txt (read by Vitis csim and hls4ml) differ "
             "from the synthesized weights/*.h: not exact"] if simulated_exact and mismatches else []  # fmt: skip
    if ref_source.name == REFERENCE_NAME + BN_NOTE:  # the quantized model's reference, with a BatchNormalization
        from codesign.compare import batchnorm_as_model, batchnorm_line

        bn_line = batchnorm_line(batchnorm_as_model(model, x_all, ref, project.layer_precisions))
        notes += [bn_line] if bn_line is not None else []
    layer_verdicts, trace_notes = None, ()
    if traced is None and not simulated_exact:
        # not exact: the first layer that differs is what a reader needs next, so it is traced unasked
        say("compiling the traced firmware (outputs differ)")
        traced = hls.build_trace(hls_dir, model, build / WORK / "trace", weights_dir)
    if traced is not None:
        say("tracing the firmware layer by layer (hls4ml trace)")
        layer_verdicts, trace_notes = trace_layers(traced, project, ref_source, x_all, ref, fw)
    result = CheckResult(
        build_dir=build, exact=exact, reference=ref_source.name, inputs=chosen.source, n_data=chosen.n_data,
        n_random=chosen.n_random, outputs=main, per_output=per_output, edges=edges, firmware=changes,
        weights=mismatches, testbench_rebuilt=rebuilt, layers=layer_verdicts, trace_notes=trace_notes,
        junit=Path(junit).resolve() if junit is not None else None, seconds=time.perf_counter() - start,
        notes=tuple(notes),
    )  # fmt: skip
    if junit is not None:
        junit_xml.write(Path(junit), junit_suites(result))
    try:
        _write_summary(build / WORK / "check.json", result)
    except OSError as exc:
        say(f"could not write {build / WORK / 'check.json'}: {exc.strerror or exc} (the result stands)")
    return result


def _read_report(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: cannot be read as JSON ({exc}); rerun `codesign build` for this folder") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not a codesign report (a JSON object is expected)")
    return data


def junit_suites(result: CheckResult) -> dict[str, list]:
    """JUnit suites of a check: one case per firmware output, per edge case, per traced layer, and the weights."""
    from codesign.firmware.junit import Case

    outputs = []
    for o in result.per_output:
        f = o.first or {}
        fail = None if o.n_mismatch == 0 else (
            f"output {o.index}: {o.n_mismatch} of {o.n_samples} inputs differ; first at sample {f.get('sample')}: "
            f"expected {f.get('expected')!r}, got {f.get('got')!r}")  # fmt: skip
        outputs.append(Case(f"output[{o.index}]", "codesign.check.outputs", fail, result.inputs if fail is None else fail))
    edges = []
    for e in result.edges:
        f = e.first or {}
        fail = None if e.exact else f"'{e.label}': output {f.get('output')}: expected {f.get('expected')!r}, got {f.get('got')!r}"
        edges.append(Case(e.label, "codesign.check.edge_cases", fail))
    files = [Case("weights .h (synthesized) == .txt (C-simulated)", "codesign.check.firmware",
                  "; ".join(w.describe() for w in result.weights) or None, result.firmware.describe())]  # fmt: skip
    suites = {"outputs": outputs, "edge_cases": edges, "firmware_files": files}
    if result.layers is not None:
        cases = []
        for v in result.layers:
            if v.status == "no counterpart":
                cases.append(Case(v.name, "codesign.check.layers", skipped=v.describe()))
            else:
                cases.append(Case(v.name, "codesign.check.layers", v.describe() if v.status == "differs" else None,
                                  v.describe()))  # fmt: skip
        suites["layers"] = cases
    return suites


def _write_summary(path: Path, result: CheckResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=1, default=str))
    tmp.replace(path)
