"""The emulator's LSTM and GRU kernels: hls4ml 1.3's ``nnet_recurrent.h`` (``lstm_stack`` / ``gru_stack``, io_parallel
and io_stream), step by step over the sequence and vectorised over samples.

Each step is what ``lstm_static`` / ``gru_static`` compute (``lstm`` / ``gru``, the non-static ones, do the same
arithmetic: the state lives in the stack's arrays instead of static ones, reset to 0 at the first step either way):

- the input and the recurrent products are two Dense layers (:mod:`.dense`) whose result type is ``accum_t``
  (``mult_config1``: weight, bias; ``mult_config2``: recurrent_weight, recurrent_bias);
- each gate input is their sum cast to ``accum_t``; the recurrent activation (``ACT_CONFIG_LSTM/GRU``) and the
  activation (``ACT_CONFIG_T``) map ``accum_t`` to ``accum_t`` through ``nnet_activation.h``'s tables (the layer's
  ``table_t`` and ``table_size``), or ``relu``;
- LSTM: ``c = (res_t)(act(c~) * i + c * f)``; ``h = (res_t)(o * act(c))``, ``act(c)`` read from ``res_t`` into
  ``accum_t``; Keras' gate order i, f, c~, o;
- GRU (Keras, reset_after=True order): ``h~ = act((accum_t)(x W_h + b_h) + (accum_t)(r * (accum_t)(h U_h + br_h)))``,
  ``h = (res_t)(h~ * (1 - z) + h * z)``; gate order z, r, h~.

``bidirectional_stack`` (io_parallel only: hls4ml 1.3 has no streaming one) runs a forward cell over the sequence
and a backward cell over it reversed, each an LSTM or a GRU as above with its own weights, weight types and
activations and the layer's one ``accum_t``, ``result_t`` and table; the output concatenates the two states
(``merge_mode='concat'``, the only one its C++ writes): forward then backward, at step t the backward state after it
read step t (Keras' order), or the forward state after the last step then the backward state after the first.

The products and sums of ``ap_fixed`` values in these expressions are exact (full precision) until the assignment,
which casts with the target's rounding and overflow modes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from codesign.firmware import tables
from codesign.firmware.dense import dense_codes
from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import EmulationError, cast, check_width, frac, sbits
from codesign.firmware.tensor import Tensor
from codesign.precision import FixedPrecision

KINDS = ("LSTM", "GRU")
ACTIVATIONS = ("sigmoid", "tanh", "relu")  # hls4ml 1.3's nnet::activation classes for recurrent layers
_SPANS = {"sigmoid": 16, "tanh": 8}  # the input range each table covers: [-span/2, span/2)


@lru_cache(maxsize=32)
def _table(act: str, size: int, table_t: FixedPrecision) -> np.ndarray:
    table = tables.sigmoid_table(size, table_t) if act == "sigmoid" else tables.tanh_table(size, table_t)
    return table.astype(np.int64)


def _activate(act: str, codes: np.ndarray, xp: FixedPrecision, to: FixedPrecision, layer: LayerDesc) -> np.ndarray:
    """``nnet::activation::<act><x_T, y_T>``: codes of ``xp`` to int64 codes of ``to``."""
    if act == "relu":  # nnet::relu: datareg > 0 ? datareg : 0, assigned to res_T
        return cast(np.maximum(codes, 0), frac(xp), to, bits_from=sbits(xp)).astype(np.int64)
    table_t = layer.type("table")
    size = int(layer.attrs.get("table_size", 1024))
    index = tables.table_index(codes, frac(xp), size, _SPANS[act])
    return cast(_table(act, size, table_t)[index], frac(table_t), to, bits_from=sbits(table_t)).astype(np.int64)


Term = tuple[np.ndarray, np.ndarray, FixedPrecision, FixedPrecision]  # two code arrays and their types


def _sum_of_products(terms: list[Term], to: FixedPrecision, where: str) -> np.ndarray:
    """``(to)(a0 * a1 + b0 * b1 + ...)`` of ap_fixed code arrays, exact until the cast; int64 codes."""
    fs = [frac(p) + frac(q) for _, _, p, q in terms]
    f = max(fs)
    bits = max(sbits(p) + sbits(q) + f - fi for (_, _, p, q), fi in zip(terms, fs, strict=True)) + len(terms) - 1
    check_width(bits, where)
    total = sum((u * v) << (f - fi) for (u, v, _, _), fi in zip(terms, fs, strict=True))
    return cast(total, f, to, bits_from=bits).astype(np.int64)


class _Cell:
    """What every step of one recurrent layer needs: its types, activations and the two Dense products."""

    def __init__(self, layer: LayerDesc, n_gates: int):
        at = layer.attrs
        strategy = str(at.get("strategy", "latency")).lower()
        if strategy != "latency":
            raise EmulationError(f"layer '{layer.name}' ({layer.kind}): strategy '{strategy}' is not emulated "
                                 "(accepted: Latency)")  # fmt: skip
        if at.get("pytorch") or at.get("pass_initial_states") or str(at.get("direction", "forward")) != "forward":
            raise EmulationError(f"layer '{layer.name}' ({layer.kind}): only a forward Keras layer without initial "
                                 "states is emulated")  # fmt: skip
        self.act = str(at.get("activation", "")).lower()
        self.recr_act = str(at.get("recurrent_activation", "")).lower()
        for name in (self.act, self.recr_act):
            if name not in ACTIVATIONS:
                raise EmulationError(f"layer '{layer.name}' ({layer.kind}): activation '{name}' is not emulated "
                                     f"(accepted: {', '.join(ACTIVATIONS)}, the activations hls4ml 1.3 has for it)")  # fmt: skip
        self.ap, self.rp = layer.type("accum"), layer.type("result")
        self.n_state = int(at["n_out"])
        self.n_gates = n_gates
        self.seq = bool(at.get("return_sequences", False))

        def sub(role: str, w: str, b: str) -> LayerDesc:
            types = {"weight": layer.type(w), "bias": layer.type(b), "accum": self.ap, "result": self.ap}
            return LayerDesc(f"{layer.name} ({role})", "Dense", (), "", (), types)

        self.inp, self.rec = sub("input product", "weight", "bias"), sub("recurrent product", "recurrent_weight",
                                                                          "recurrent_bias")  # fmt: skip
        n = self.n_state * n_gates
        self.w, self.b = layer.weights["weight"].reshape(-1, n), layer.weights.get("bias")
        self.wr, self.br = (
            layer.weights["recurrent_weight"].reshape(self.n_state, n),
            layer.weights.get("recurrent_bias"),
        )

    def products(self, x_t: Tensor, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(accum_t)(x W + b)`` and ``(accum_t)(h U + br)`` as int64 codes."""
        a = dense_codes(x_t, self.w, self.b, self.inp).codes.astype(np.int64)
        r = dense_codes(Tensor(h, self.rp), self.wr, self.br, self.rec).codes.astype(np.int64)
        return a, r

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``(accum_t)(a + b)`` of two accum_t code arrays."""
        return cast(a + b, frac(self.ap), self.ap, bits_from=sbits(self.ap) + 1).astype(np.int64)


def _sequence(layer: LayerDesc, ins: list[Tensor]) -> tuple[Tensor, int]:
    if len(ins) != 1:
        raise EmulationError(f"layer '{layer.name}' ({layer.kind}): initial states are not emulated")
    x = ins[0]
    n_t, n_in = int(layer.attrs["n_timesteps"]), int(layer.attrs["n_in"])
    if x.codes.reshape(x.codes.shape[0], -1).shape[1] != n_t * n_in:
        raise EmulationError(f"layer '{layer.name}': input has {x.codes[0].size} values per sample, expected "
                             f"{n_t} steps of {n_in}")  # fmt: skip
    return Tensor(x.codes.reshape(x.codes.shape[0], n_t, n_in), x.prec), n_t


def _stack(layer: LayerDesc, cell: _Cell, steps: list[np.ndarray]) -> Tensor:
    out = np.stack(steps, axis=1) if cell.seq else steps[-1]
    return Tensor(out.reshape(out.shape[0], *layer.shape), cell.rp)


def lstm(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """``lstm_stack``: h and c start at 0; each step as ``lstm_static``; the last h, or every step's h."""
    cell = _Cell(layer, 4)
    x, n_t = _sequence(layer, ins)
    ns, ap, rp = cell.n_state, cell.ap, cell.rp
    h = np.zeros((x.codes.shape[0], ns), dtype=np.int64)
    c = h.copy()
    steps = []
    where = f"layer '{layer.name}': the state update"
    for t in range(n_t):
        a, r = cell.products(Tensor(x.codes[:, t], x.prec), h)
        gates = cell.add(a, r)
        ifo = _activate(cell.recr_act, np.concatenate([gates[:, : 2 * ns], gates[:, 3 * ns :]], axis=1), ap, ap, layer)
        g = _activate(cell.act, gates[:, 2 * ns : 3 * ns], ap, ap, layer)
        i, f, o = ifo[:, :ns], ifo[:, ns : 2 * ns], ifo[:, 2 * ns :]
        c = _sum_of_products([(g, i, ap, ap), (c, f, rp, ap)], rp, where)
        c_act = _activate(cell.act, c, rp, ap, layer)
        h = _sum_of_products([(o, c_act, ap, ap)], rp, where)
        steps.append(h)
    return _stack(layer, cell, steps)


def gru(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """``gru_stack``: h starts at 0; each step as ``gru_static`` (Keras order); the last h, or every step's h."""
    cell = _Cell(layer, 3)
    x, n_t = _sequence(layer, ins)
    ns, ap, rp = cell.n_state, cell.ap, cell.rp
    fa = frac(ap)
    h = np.zeros((x.codes.shape[0], ns), dtype=np.int64)
    steps = []
    where = f"layer '{layer.name}': the state update"
    if fa < 0:
        raise EmulationError(
            f"layer '{layer.name}' (GRU): an accum type with more integer bits than its width ({ap.to_hls()}) "
            "is not emulated"
        )
    # 1 - z (an int minus accum_t, exact) at accum_t's fractional bits: one integer bit more than z and than 1
    one_minus = FixedPrecision(max(ap.integer, 2) + 1 + fa, max(ap.integer, 2) + 1, True)
    for t in range(n_t):
        a, r = cell.products(Tensor(x.codes[:, t], x.prec), h)
        zr = _activate(cell.recr_act, cell.add(a[:, : 2 * ns], r[:, : 2 * ns]), ap, ap, layer)
        z, rg = zr[:, :ns], zr[:, ns:]
        check_width(2 * sbits(ap), f"layer '{layer.name}': r * (h U_h + br_h)")
        reset = cast(rg * r[:, 2 * ns :], 2 * fa, ap, bits_from=2 * sbits(ap)).astype(np.int64)
        cand = _activate(cell.act, cell.add(a[:, 2 * ns :], reset), ap, ap, layer)
        h = _sum_of_products([(cand, (1 << fa) - z, ap, one_minus), (h, z, rp, ap)], rp, where)
        steps.append(h)
    return _stack(layer, cell, steps)


KERNELS = {"LSTM": lstm, "GRU": gru}
DIRECTION_KEYS = ("weight", "recurrent_weight", "bias", "recurrent_bias")


def _direction(layer: LayerDesc, d: str) -> LayerDesc:
    """One direction of a Bidirectional layer as the LSTM/GRU layer its cell computes (every step returned)."""
    at = layer.attrs
    kind = str(at.get(f"{d}_class_name", ""))
    if kind not in KERNELS:
        raise EmulationError(f"layer '{layer.name}' (Bidirectional): {d} layer '{kind}' is not emulated (accepted: "
                             f"{', '.join(KINDS)})")  # fmt: skip
    types = {k: layer.types.get(f"{d}_{k}") for k in DIRECTION_KEYS}
    types.update({k: layer.types.get(k) for k in ("accum", "result", "table")})
    weights = {k: layer.weights[f"{d}_{k}"] for k in DIRECTION_KEYS if f"{d}_{k}" in layer.weights}
    n = int(at[f"{d}_n_states"])
    attrs = {"n_out": n, "n_timesteps": at["n_timesteps"], "n_in": at["n_in"], "return_sequences": True,
             "activation": at.get(f"{d}_activation"), "recurrent_activation": at.get(f"{d}_recurrent_activation"),
             **{k: at[k] for k in ("strategy", "table_size", "pytorch", "pass_initial_states") if k in at}}  # fmt: skip
    return LayerDesc(f"{layer.name} ({d})", kind, layer.inputs, layer.output, (int(at["n_timesteps"]), n), types,
                     weights, attrs)  # fmt: skip


def bidirectional(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """``bidirectional_stack``: the forward cell over the sequence, the backward one over it reversed, concatenated."""
    merge = layer.attrs.get("merge_mode", "concat")
    if merge != "concat":
        raise EmulationError(f"layer '{layer.name}' (Bidirectional): merge_mode '{merge}' is not emulated (hls4ml "
                             "1.3's bidirectional_stack writes the concatenation only; accepted: concat)")  # fmt: skip
    x, _ = _sequence(layer, ins)
    fwd_layer, bwd_layer = _direction(layer, "forward"), _direction(layer, "backward")
    fwd = KERNELS[fwd_layer.kind](fwd_layer, [x])
    bwd = KERNELS[bwd_layer.kind](bwd_layer, [Tensor(x.codes[:, ::-1], x.prec)])
    if layer.attrs.get("return_sequences", False):
        out = np.concatenate([fwd.codes, bwd.codes[:, ::-1]], axis=2)
    else:
        out = np.concatenate([fwd.codes[:, -1], bwd.codes[:, -1]], axis=1)
    return Tensor(out.reshape(out.shape[0], *layer.shape), fwd.prec)
