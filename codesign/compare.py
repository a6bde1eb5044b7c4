"""Bit-accuracy verdicts: exact equality with the first mismatching element, and agreement for float models."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from codesign.arrays import as_rows
from codesign.errors import ReferenceUnavailableError, SpecError
from codesign.final_heads import (  # noqa: F401  (the reference's names, re-exported)
    LOGITS_REFERENCE_NAME,
    REFERENCE_NAME,
    SIGMOID_LOGITS_REFERENCE_NAME,
    SIGMOID_REFERENCE_NAME,
    SOFTMAX_REFERENCE_NAME,
    apply_twin,
    logits_reference_name,
)
from codesign.precision import FixedPrecision


@dataclass(frozen=True)
class BitAccuracy:
    """Outcome of an exact comparison of firmware outputs with a reference."""

    exact: bool
    n_samples: int
    n_mismatch: int
    max_abs_diff: float
    reference: str
    first_mismatch: dict | None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for report.json."""
        return asdict(self)

    def describe(self) -> str:
        """One line a person reads."""
        if self.exact:
            return f"bit-exact on {self.n_samples} samples against {self.reference}"
        fm = self.first_mismatch or {}
        return (
            f"NOT bit-exact against {self.reference}: {self.n_mismatch} of {self.n_samples} samples differ, "
            f"max |diff| {self.max_abs_diff:.6g}; first at sample {fm.get('index')} "
            f"output {fm.get('output')}: expected {fm.get('expected')!r}, got {fm.get('got')!r}"
        )


def compare_exact(
    expected: np.ndarray | list[np.ndarray], got: np.ndarray | list[np.ndarray], *, reference: str
) -> BitAccuracy:
    """Compare element by element with exact equality (NaN never equals); report the first mismatch."""
    e, g = as_rows(expected), as_rows(got)
    if e.shape != g.shape:
        raise SpecError(f"cannot compare outputs of shape {g.shape} with reference {reference} of shape {e.shape}")
    neq = ~(e == g)
    bad_rows = np.flatnonzero(neq.any(axis=1))
    diff = np.abs(e - g)
    max_abs = float(np.nanmax(diff)) if diff.size and not np.all(np.isnan(diff)) else 0.0
    if np.any(np.isnan(diff)):
        max_abs = float("nan")
    first = None
    if bad_rows.size:
        i = int(bad_rows[0])
        j = int(np.flatnonzero(neq[i])[0])
        first = {"index": i, "output": j, "expected": float(e[i, j]), "got": float(g[i, j])}
    return BitAccuracy(
        exact=bad_rows.size == 0,
        n_samples=int(e.shape[0]),
        n_mismatch=int(bad_rows.size),
        max_abs_diff=max_abs if bad_rows.size else 0.0,
        reference=reference,
        first_mismatch=first,
    )


def agreement(float_out: np.ndarray | list[np.ndarray], fw_out: np.ndarray | list[np.ndarray]) -> dict[str, Any]:
    """How closely firmware follows a float model that has no bit-exact reference (max |diff|, argmax agreement)."""
    f, w = as_rows(float_out), as_rows(fw_out)
    if f.shape != w.shape:
        raise SpecError(f"float outputs {f.shape} and firmware outputs {w.shape} differ in shape")
    diff = np.abs(f - w)
    out: dict[str, Any] = {
        "reference": "float model (no bit-exact reference)",
        "n_samples": int(f.shape[0]),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "mean_abs_diff": float(diff.mean()) if diff.size else 0.0,
    }
    if f.shape[1] > 1:
        out["argmax_agreement"] = float(np.mean(np.argmax(f, axis=1) == np.argmax(w, axis=1)))
    else:
        out["argmax_agreement"] = None
    return out


def grid_inputs(precision: FixedPrecision, shape: tuple[int, ...], n: int, seed: int | tuple[int, ...]) -> np.ndarray:
    """``n`` random inputs on the precision's grid: full-range values, range edges and large magnitudes.

    A quarter of the samples are built from the grid's edges (min, max, 0, +-lsb) only, so the products
    and sums downstream reach the extremes of the intermediate types (and overflow a too-narrow one); a
    quarter are uniform over the whole range; the rest are normal with a scale of a quarter of the range,
    where most real data lies. ``seed``: an integer, or a tuple (one stream per input of a model with several).
    """
    rng = np.random.default_rng(seed)
    size = (n,) + tuple(shape)
    lo, hi = precision.min_value, precision.max_value
    n_edge = n // 4
    n_unif = n // 4
    out = np.empty(size, dtype=np.float64)
    edges = precision.grid_edges()
    out[:n_edge] = rng.choice(edges, size=(n_edge,) + tuple(shape))
    out[n_edge : n_edge + n_unif] = rng.uniform(lo, hi, size=(n_unif,) + tuple(shape))
    rest = n - n_edge - n_unif
    out[n_edge + n_unif :] = rng.normal(0.0, max(abs(lo), abs(hi)) / 4, size=(rest,) + tuple(shape))
    if n_edge:
        # whole samples at the extremes: every input at max (or min) maximises the accumulators
        out[0] = hi
        if n_edge > 1:
            out[1] = lo
    snapped = precision.quantize(np.clip(out, lo, hi))
    return rng.permutation(snapped, axis=0) if n > 1 else snapped


@dataclass(frozen=True)
class Verification:
    """Steps 7-8 for one project: firmware (g++ testbench) vs the exact reference, vs hls4ml's ctypes library,
    and vs codesign's fixed-point emulator of the firmware as configured.

    For a quantized model the reference is the QKeras model (float64) and the emulator is an extra check;
    for a float model the emulator is the reference (exactness against the configured types), and
    :attr:`agreement` says how closely the firmware follows the float model.
    """

    bit_accuracy: BitAccuracy | None
    ctypes_vs_csim: BitAccuracy | None
    agreement: dict | None
    no_reference_reason: str | None
    csim_out: Any = None
    ctypes_out: Any = None
    reference_out: Any = None
    reference_unavailable: str | None = None
    emulator_vs_csim: BitAccuracy | None = None
    emulator_reason: str | None = None
    batchnorm_as_model: dict | None = None

    @property
    def exact(self) -> bool | None:
        """True when the firmware is bit-exact with the reference and every other path agrees with it.

        None when there is no bit-exact reference (a float model the emulator cannot run, or a quantized model
        whose reference cannot be computed: see :attr:`reference_unavailable`) and the two C-simulation paths
        agree; False whenever the C-simulation paths or the emulator disagree with the firmware, reference or not.
        """
        if self.ctypes_vs_csim is not None and not self.ctypes_vs_csim.exact:
            return False
        if self.emulator_vs_csim is not None and not self.emulator_vs_csim.exact:
            return False
        if self.bit_accuracy is None:
            return None
        return self.bit_accuracy.exact

    def to_dict(self) -> dict[str, Any]:
        """report.json's ``bit_accuracy`` entry; ``exact`` is the overall verdict (see :attr:`exact`)."""
        if self.bit_accuracy is not None:
            out = self.bit_accuracy.to_dict()
            if self.agreement is not None:
                out["float_agreement"] = dict(self.agreement)
                out["note"] = (
                    f"{self.no_reference_reason}; judged bit for bit against the emulator of the firmware's "
                    "configured types, agreement with the float model under float_agreement"
                )
        else:
            out = dict(self.agreement or {})
            out["note"] = self.no_reference_reason
        out["exact"] = self.exact
        if self.reference_unavailable is not None:
            out["reference"] = "none (quantized model: the bit-exact reference could not be computed)"
            out["reference_unavailable"] = self.reference_unavailable
        if self.batchnorm_as_model is not None:
            out["batchnorm_as_model"] = dict(self.batchnorm_as_model)
        if self.ctypes_vs_csim is not None:
            out["library_vs_testbench"] = self.ctypes_vs_csim.to_dict()
        if self.emulator_vs_csim is not None:
            out["emulator_vs_testbench"] = self.emulator_vs_csim.to_dict()
        else:
            out["emulator_vs_testbench"] = {"available": False, "reason": self.emulator_reason}
        return out


BN_NOTE = "; BatchNormalization scale and bias as the firmware stores them (its scale/bias types)"


def _unavailable(model: Any, x: np.ndarray, types: Any) -> tuple[Any, str | None]:
    """(reference outputs, None), or (None, why) for a quantized model whose reference cannot be computed."""
    from codesign import reference
    from codesign.reference.layers import HGQ_PROXY_LAYERS

    proxies = [f"'{lyr.name}' ({type(lyr).__name__})" for lyr in model.layers if type(lyr).__name__ in HGQ_PROXY_LAYERS]
    if proxies:
        return None, (
            f"layer(s) {', '.join(proxies[:4])}{' ...' if len(proxies) > 4 else ''} are HGQ proxy quantizers: codesign "
            "has no independent bit-exact reference for HGQ models yet (hls4ml takes the firmware's types from these "
            "quantizers); compare the firmware with the proxy model's own outputs yourself (tests/test_hgq.py shows how)"
        )
    floats = reference.float_weight_layers(model)
    if floats:
        return None, (
            f"layer(s) {', '.join(repr(n) for n in floats)} of a quantized model have float weights (no QKeras "
            "kernel quantizer, or a non-zero bias without a bias_quantizer): the firmware rounds them to its default "
            "precision, which the model does not define, so nothing about them can be proven; give them QKeras "
            "quantizers (QDense/QConv with kernel_quantizer and bias_quantizer quantized_bits)"
        )
    try:
        return reference.reference_outputs(model, x, types=types), None
    except ReferenceUnavailableError as exc:
        return None, str(exc)


def has_batchnorm(model: Any) -> bool:
    """Whether ``model`` has a standalone (Q)BatchNormalization, whose reference uses the firmware's scale/bias."""
    from codesign.reference.layers import BATCHNORM

    return any(type(lyr).__name__ in BATCHNORM for lyr in model.layers)


def batchnorm_as_model(model: Any, x: Any, ref: Any, types: Any) -> dict:
    """The model's own outputs (its unrounded BatchNormalization scale and bias) against ``ref``, the verdict's
    reference (the same model with them rounded as the firmware stores them; the model defines no fixed-point type
    for them): on how many inputs the model itself gives other outputs than the firmware it is judged by."""
    from codesign import reference

    try:
        own = reference.reference_outputs(model, x, types=types, batchnorm_as_model=True)
    except ReferenceUnavailableError as exc:
        return {"computed": False, "reason": str(exc)}
    acc = compare_exact(as_rows(ref), as_rows(own),
                        reference="the model with its own unrounded BatchNormalization scale and bias")  # fmt: skip
    return {"computed": True, "exact": acc.exact, "n_mismatch": acc.n_mismatch, "n_samples": acc.n_samples,
            "note": BN_AS_MODEL_NOTE, "input_batchnorms": input_batchnorms(model)}  # fmt: skip


def input_batchnorms(model: Any) -> list[str]:
    """Names of the BatchNormalization layers that read the model's input (no layer before them to fold into)."""
    names = []
    for i, layer in enumerate(model.layers):
        if type(layer).__name__ != "BatchNormalization":
            continue
        nodes = getattr(layer, "_inbound_nodes", None) or []
        srcs = nodes[0].inbound_layers if nodes else []
        srcs = srcs if isinstance(srcs, list) else [srcs]
        if (not srcs and i == 0) or (srcs and all(type(s).__name__ == "InputLayer" for s in srcs)):
            names.append(layer.name)
    return names


def batchnorm_line(own: dict) -> str | None:
    """The sentence a build's notes and ``codesign check`` give when the model's own normalisation differs from the
    reference (``own``: :func:`batchnorm_as_model`'s result); None when it does not or could not be computed."""
    if own.get("exact") is not False:
        return None
    at_input = own.get("input_batchnorms") or []
    advice = "fold BatchNormalization into the layer before it for firmware equal to the model"
    if at_input:
        names = ", ".join(f"'{n}'" for n in at_input)
        advice = (f"BatchNormalization {names} reads the model's input: standardize the data with its mean and "
                  f"variance before the model instead, and fold any other into the layer before it, for firmware "
                  "equal to the model")  # fmt: skip
    return (f"the reference rounds the BatchNormalization scale and bias as the firmware stores them; the model's own "
            f"unrounded ones give other outputs on {own['n_mismatch']} of {own['n_samples']} inputs ({advice})")  # fmt: skip


BN_AS_MODEL_NOTE = (
    "the verdict's reference normalises with the BatchNormalization scale and bias rounded to the firmware's "
    "scale/bias types; the model itself normalises with unrounded ones (fold BatchNormalization into the Dense/Conv "
    "before it, as codesign's quantize step does, for a firmware equal to the model's own outputs)"
)

EMULATOR_NAME = "codesign fixed-point emulator of the firmware's configured types"
FLOAT_REFERENCE_NAME = f"{EMULATOR_NAME} (float model: exactness against its ap_fixed types)"


def _emulate(desc: Any, x: np.ndarray, fw: Any, softmax: dict | None = None,
             sigmoid: dict | None = None) -> tuple[BitAccuracy | None, str | None, Any]:  # fmt: skip
    """(emulator vs firmware, reason it could not run, emulator outputs); a kept final softmax/sigmoid through its
    twin (:func:`codesign.final_heads.emulate_through_head`), the reference's name then says so."""
    if desc is None:
        return None, "no firmware description (project converted before the emulator existed)", None
    from codesign.final_heads import emulate_through_head
    from codesign.firmware import emulator

    try:
        emu, head = emulate_through_head(desc, x, softmax, sigmoid)
    except emulator.EmulationError as exc:
        return None, str(exc), None
    return compare_exact(emu, fw, reference=EMULATOR_NAME + (head or "")), None, emu


def judge(
    model: Any,
    x: np.ndarray,
    fw: Any,
    ct: Any = None,
    *,
    types: Any = None,
    desc: Any = None,
    softmax: dict | None = None,
    logits: bool | tuple[str, ...] = False,
    sigmoid: dict | None = None,
) -> Verification:
    """Compare C-simulation outputs ``fw`` (g++ testbench) and ``ct`` (hls4ml ctypes library, optional)
    on inputs ``x`` with the exact reference of ``model`` (the model as converted, softmax removed) and
    with the emulator of ``desc`` (the project's firmware description, optional).
    ``softmax`` (``HlsProject.final_softmax``): the firmware ends in that table softmax; the reference's
    logits go through :func:`codesign.softmax_twin.apply` before the comparison (``sigmoid``,
    ``HlsProject.final_sigmoid``: the same with :func:`codesign.sigmoid_twin.apply`). ``logits``: the final softmax
    or sigmoid left out (``HlsProject.removed_heads``), which the reference's name says.

    A quantized model (any QKeras quantizer) gets a verdict only from a proof: when its reference cannot
    be computed, :attr:`Verification.reference_unavailable` names the layer and why (the build then exits
    with :class:`ReferenceUnavailableError`'s code); the emulator is an extra check, not a proof for it. A float
    model is judged against the emulator when it runs it (exactness against its configured types), else gets
    the agreement with its float outputs and the reason; its agreement with the float model is reported
    either way. ``types``: the firmware's layer types (``HlsProject.layer_precisions``), which a standalone
    BatchNormalization needs.
    """
    from codesign import reference

    ctypes_vs = compare_exact(ct, fw, reference="hls4ml compiled library (ctypes)") if ct is not None else None
    emu_vs, emu_reason, _ = _emulate(desc, x, fw, softmax, sigmoid)
    common = {"ctypes_vs_csim": ctypes_vs, "csim_out": fw, "ctypes_out": ct}
    unavailable = None
    if reference.is_quantized_model(model):
        ref, unavailable = _unavailable(model, x, types)
        reason = None if unavailable is None else f"no bit-exact reference for this quantized model: {unavailable}"
    else:
        # a float model keeps the agreement path (with an exact reference only when it has no weights at all)
        reason = reference.exact_reference_reason(model)
        if reason is None:
            try:
                ref = reference.reference_outputs(model, x, types=types)
            except ReferenceUnavailableError as exc:
                reason = str(exc)
    if reason is None:
        bn = has_batchnorm(model)
        name = logits_reference_name(logits) + (BN_NOTE if bn else "")
        bn_own = batchnorm_as_model(model, x, ref, types) if bn else None
        ref, twin = apply_twin(ref, softmax, sigmoid)
        if twin is not None:
            name = twin + (BN_NOTE if bn else "")
        return Verification(
            bit_accuracy=compare_exact(ref, fw, reference=name),
            agreement=None,
            no_reference_reason=None,
            reference_out=ref,
            emulator_vs_csim=emu_vs,
            emulator_reason=emu_reason,
            batchnorm_as_model=bn_own,
            **common,
        )
    xs = [np.asarray(a, dtype=np.float64) for a in x] if isinstance(x, (list, tuple)) else np.asarray(x, np.float64)
    float_out = model.predict(xs, verbose=0)
    agree = agreement(float_out, fw)
    agree["reference"] = "float model"
    if emu_vs is not None and unavailable is None:
        return Verification(
            bit_accuracy=replace(emu_vs, reference=emu_vs.reference.replace(EMULATOR_NAME, FLOAT_REFERENCE_NAME, 1)),
            agreement=agree,
            no_reference_reason=f"no QKeras reference: {reason}",
            reference_out=float_out,
            emulator_vs_csim=emu_vs,
            emulator_reason=None,
            **common,
        )
    return Verification(
        bit_accuracy=None,
        agreement=agree,
        no_reference_reason=reason if unavailable else f"no bit-exact reference: {reason}; the emulator: {emu_reason}",
        reference_out=float_out,
        emulator_vs_csim=emu_vs,
        emulator_reason=emu_reason,
        reference_unavailable=unavailable,
        **common,
    )


def verify(project: Any, x: np.ndarray, *, workers: int = 2, use_ctypes: bool = True) -> Verification:
    """Run the g++ testbench (and hls4ml predict) on ``x`` and :func:`judge` the outputs.

    ``project`` is a :class:`codesign.hls.HlsProject` from ``convert`` (its ``keras_model`` is the model
    that was converted, softmax removed).
    """
    from codesign import csim

    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    for port, a in zip(project.inputs, xs, strict=False):
        prec = port.precision
        if prec is not None and not prec.on_grid(a):
            raise SpecError(
                f"the check inputs of '{port.name}' are not on the input grid {prec.to_hls()}: the firmware would round "
                "them and the reference would not; snap them first (FixedPrecision.quantize)"
            )
    fw = csim.run_csim(project, x, workers=workers)
    ct = project.predict(x) if use_ctypes else None
    return judge(
        project.keras_model, x, fw, ct, types=project.layer_precisions, desc=firmware_description(project),
        softmax=getattr(project, "final_softmax", None), logits=tuple(getattr(project, "removed_heads", ())),
        sigmoid=getattr(project, "final_sigmoid", None),
    )


def firmware_description(project: Any) -> Any:
    """The project's firmware description, or None for a project written before codesign kept one."""
    from codesign.firmware.description import FILE_NAME, FirmwareDescription

    path = project.path / FILE_NAME
    return FirmwareDescription.load(path) if path.is_file() else None
