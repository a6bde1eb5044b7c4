"""The emulator's kernels of hls4ml 1.3's other activations (``nnet_activation.h``, io_parallel).

- the table activations softplus, softsign (over [-8, 8), indexed as the sigmoid), ELU and SELU (their negative
  side over [-8, 0]: ``index = x * N / -8``, clipped; ELU multiplies the entry by its alpha in ``param_t``, SELU's
  positive side is ``lambda * x`` with lambda in ``ap_ufixed<16,1>``); the entries as :mod:`.tables` builds them;
- the hard activations (``HardActivation``): ``clip(slope * x + shift, 0, 1)`` exact in the sum's own type,
  ``2 * s - 1`` for hard_tanh, then the cast to ``result_t``;
- ThresholdedReLU (``x > theta ? x : 0``, theta in ``param_t``), LeakyReLU and PReLU (``x > 0 ? x : alpha * x``,
  the product in full precision; PReLU with one slope per value).

Each is the C++ function's arithmetic on integer codes; the tests compare them with the g++ C-simulation.
"""

from __future__ import annotations

import numpy as np

from codesign.firmware import tables
from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import INT64_BITS, EmulationError, cast, check_width, frac, from_float, sbits
from codesign.firmware.tensor import Tensor
from codesign.precision import FixedPrecision, Overflow

TABLE_ACTIVATIONS = ("softplus", "softsign", "selu")  # hls4ml Activation layers with a table (ELU is parametrized)
_SELU_LAMBDA = FixedPrecision.parse("ap_ufixed<16,1>")  # nnet_activation.h's selu_const_t


def negative_side_index(codes: np.ndarray, f: int, size: int) -> np.ndarray:
    """``int index = x * N / -8`` for x < 0 (truncation toward zero of a positive quotient), clipped to the table;
    0 where x >= 0 (unused there)."""
    neg = np.where(codes < 0, -codes.astype(np.int64), 0)
    num = neg * size if f >= 0 else (neg * size) << (-f)
    q = num // (8 << f) if f >= 0 else num // 8
    return np.clip(q, 0, size - 1)


def table_activation(layer: LayerDesc, x: Tensor, act: str) -> Tensor:
    """softplus / softsign / selu of an ``Activation`` layer."""
    rp, table_t = layer.type("result"), layer.type("table")
    size = int(layer.attrs.get("table_size", 1024))
    codes = x.codes.astype(np.int64)
    table = tables.activation_table(act, size, table_t)
    if act in ("softplus", "softsign"):
        index = tables.table_index(codes, frac(x.prec), size, 16)
        return Tensor(cast(table[index], frac(table_t), rp, bits_from=sbits(table_t)), rp)
    # selu: lambda * x for x >= 0 (the product in full precision), the table entry for x < 0
    lam = int(from_float(np.array([1.0507009873554805]), _SELU_LAMBDA)[0])
    check_width(sbits(x.prec) + sbits(_SELU_LAMBDA), f"layer '{layer.name}': selu's lambda * x")
    pos = cast(codes * lam, frac(x.prec) + frac(_SELU_LAMBDA), rp, bits_from=sbits(x.prec) + sbits(_SELU_LAMBDA))
    neg = cast(table[negative_side_index(codes, frac(x.prec), size)], frac(table_t), rp, bits_from=sbits(table_t))
    return Tensor(np.where(codes >= 0, pos, neg), rp)


def elu(layer: LayerDesc, x: Tensor) -> Tensor:
    """``x >= 0 ? x : alpha * table[index]``, alpha the call's literal in ``param_t``, the product in full precision."""
    rp, table_t, pt = layer.type("result"), layer.type("table"), layer.type("param")
    size = int(layer.attrs.get("table_size", 1024))
    codes = x.codes.astype(np.int64)
    alpha = int(from_float(np.array([float(layer.attrs.get("activ_param", 1.0))]), pt)[0])
    entries = tables.activation_table("elu", size, table_t)[negative_side_index(codes, frac(x.prec), size)]
    bits = sbits(table_t) + sbits(pt)
    check_width(bits, f"layer '{layer.name}': elu's alpha * table entry")
    neg = cast(entries.astype(np.int64) * alpha, frac(table_t) + frac(pt), rp, bits_from=bits)
    pos = cast(codes, frac(x.prec), rp, bits_from=sbits(x.prec))
    return Tensor(np.where(codes >= 0, pos, neg), rp)


def hard_activation(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's HardActivation: ``s = clip(slope * x + shift, 0, 1)`` in the exact type of that sum; hard_sigmoid
    returns ``s``, hard_tanh ``2 * s - 1``; then the cast to ``result_t``."""
    x, rp = ins[0], layer.type("result")
    act = str(layer.attrs.get("activation", "")).lower()
    if act not in ("hard_sigmoid", "hard_tanh"):
        raise EmulationError(f"layer '{layer.name}': hard activation '{act}' is not emulated (accepted: "
                             "hard_sigmoid, hard_tanh)")  # fmt: skip
    st, sh = layer.type("slope"), layer.type("shift")
    slope = int(from_float(np.array([float(layer.attrs["slope"])]), st)[0])
    shift = int(from_float(np.array([float(layer.attrs["shift"])]), sh)[0])
    fp = frac(x.prec) + frac(st)
    f = max(fp, frac(sh), 0)
    bits = sbits(x.prec) + sbits(st) + (f - fp) + 2
    check_width(bits, f"layer '{layer.name}': slope * x + shift")
    s = (x.codes.astype(np.int64) * slope << (f - fp)) + (shift << (f - frac(sh)))
    s = np.clip(s, 0, 1 << f)
    if act == "hard_tanh":
        s = 2 * s - (1 << f)
    return Tensor(cast(s, f, rp, bits_from=f + 3), rp)


def thresholded_relu(layer: LayerDesc, x: Tensor) -> Tensor:
    """``x > theta ? x : 0``, theta the call's literal in ``param_t``, compared exactly."""
    rp, pt = layer.type("result"), layer.type("param")
    theta = int(from_float(np.array([float(layer.attrs["activ_param"])]), pt)[0])
    f = max(frac(x.prec), frac(pt))
    check_width(max(sbits(x.prec) + f - frac(x.prec), sbits(pt) + f - frac(pt)), f"layer '{layer.name}'")
    codes = x.codes.astype(np.int64)
    above = (codes << (f - frac(x.prec))) > (theta << (f - frac(pt)))
    return Tensor(cast(np.where(above, codes, 0), frac(x.prec), rp, bits_from=sbits(x.prec)), rp)


def leaky(layer: LayerDesc, x: Tensor, alpha: np.ndarray, pt: FixedPrecision) -> Tensor:
    """``x > 0 ? x : alpha * x`` with ``alpha`` codes of ``pt`` (one, or one per value), the product in full
    precision, cast to ``result_t``."""
    rp = layer.type("result")
    alpha, fp = np.asarray(alpha, dtype=np.int64), frac(pt)
    if fp < 0:  # a coarse slope type: its code times 2**-fp, on an integer grid
        alpha, fp = alpha << -fp, 0
    bits = sbits(x.prec) + sbits(pt) + max(0, -frac(pt))
    n = x.codes.shape[0]
    codes = x.codes.astype(np.int64).reshape(n, -1)
    if bits <= INT64_BITS:
        prod = np.where(codes > 0, codes << fp, codes * alpha)
        return Tensor(cast(prod, frac(x.prec) + fp, rp, bits_from=bits).reshape(x.codes.shape), rp)
    # A wide input (a float model's unquantized Dense sum): x > 0 is cast as it is (x << fp at frac + fp is the
    # same value), and x <= 0 is first replaced by a code giving the same cast of its product (small_product_codes).
    if rp.saturation_bits:
        check_width(bits, f"layer '{layer.name}': the slope's product")
    shift = frac(x.prec) + fp - frac(rp)
    small, small_bits = small_product_codes(np.where(codes > 0, 0, codes), shift, rp)
    pos = cast(codes, frac(x.prec), rp, bits_from=sbits(x.prec))
    neg = cast(small * alpha, frac(x.prec) + fp, rp, bits_from=small_bits + sbits(pt) + max(0, -frac(pt)))
    return Tensor(np.where(codes > 0, pos, neg).reshape(x.codes.shape), rp)


def small_product_codes(codes: np.ndarray, shift: int, rp: FixedPrecision) -> tuple[np.ndarray, int]:
    """Codes (<= 0) replaced by codes of at most ``max(shift, 0) + rp.width + 2`` bits whose product with any nonzero
    integer slope casts to ``rp`` (``shift`` fractional bits dropped) as the original product does; (codes, bits).

    Wrapping keeps a product's residue modulo 2**(shift + width) and its sign, which is all the rounding and the
    wrap read; saturation only needs the product to stay beyond the type's range on the same side, which a code of
    magnitude 2**(shift + width + 1) already is (|slope| >= 1 code).
    """
    span = 1 << (max(shift, 0) + rp.width + 1)
    if rp.overflow == Overflow.WRAP:
        small = np.where(codes < 0, codes % span - span, 0)
    else:
        small = np.clip(codes, -span, 0)
    return small.astype(np.int64), max(shift, 0) + rp.width + 2


def parametrized(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ParametrizedActivation: LeakyReLU, ThresholdedReLU, ELU."""
    x = ins[0]
    act = str(layer.attrs.get("activation", "")).lower()
    if act in ("leakyrelu", "leaky_relu"):  # a LeakyReLU layer, or Activation('leaky_relu'): one nnet::leaky_relu
        pt = layer.type("param")
        return leaky(layer, x, from_float(np.array([float(layer.attrs["activ_param"])]), pt), pt)
    if act == "thresholdedrelu":
        return thresholded_relu(layer, x)
    if act == "elu":
        return elu(layer, x)
    raise EmulationError(f"layer '{layer.name}': parametrized activation '{act}' is not emulated (accepted: "
                         "LeakyReLU, ThresholdedReLU, ELU)")  # fmt: skip


def prelu(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's PReLU: LeakyReLU with one slope per value (its ``param`` weights)."""
    if "param" not in layer.weights:
        raise EmulationError(f"layer '{layer.name}' (PReLU): its slopes are not in the firmware description "
                             f"({layer.attrs.get('unsupported', 'absent')})")  # fmt: skip
    return leaky(layer, ins[0], layer.weights["param"].ravel(), layer.type("param"))
