"""The emulator's kernel for codesign's score layer (hls4ml ``HAnomalyScore``, ``nnet_anomaly_score.h``).

It runs the firmware as configured: the layer's types as hls4ml resolved them and the table as hls4ml wrote it
(the weight codes in the firmware description), with the emulator's own casts (:func:`codesign.firmware.fixed.cast`),
independently of the numpy twin (:mod:`codesign.reference.score`), which works from the score settings.
"""

from __future__ import annotations

import numpy as np

from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import EmulationError, cast, check_width, frac, sbits

KINDS = ("mu2", "rz", "kl", "sse")


def anomaly_score(layer: LayerDesc, ins: list) -> tuple[np.ndarray, object]:
    """(codes [n, 1], result type) of one score layer for its two input tensors."""
    kind = str(layer.attrs.get("score_kind"))
    if kind not in KINDS or len(ins) != 2:
        raise EmulationError(f"layer '{layer.name}': score kind {kind!r} with {len(ins)} inputs is not emulated")
    a, b = ins
    n = a.codes.shape[0]
    ip, ap, rp = layer.type("input"), layer.type("accum"), layer.type("result")
    fi, fa = frac(ip), frac(ap)

    def to(t, p):
        return cast(t.codes.reshape(n, -1), frac(t.prec), p, bits_from=sbits(t.prec)).astype(np.int64)

    ca = to(a, ip)
    if kind == "sse":
        cb = to(b, ip)
    elif kind in ("rz", "kl"):
        xp, tp = layer.type("index"), layer.type("table")
        table = np.asarray(layer.weights["table"]).ravel().astype(np.int64)
        ct, ft = table[to(b, xp) + (1 << (xp.width - 1))], frac(tp)  # two's complement code -> offset binary
    acc = np.zeros(n, dtype=np.int64)
    for i in range(ca.shape[1]):
        sq = ca[:, i] * ca[:, i]
        if kind in ("mu2", "sse"):
            d = ca[:, i] - cb[:, i] if kind == "sse" else None
            term, ft_ = (d * d if d is not None else sq), 2 * fi
        elif kind == "rz":
            term, ft_ = sq * ct[:, i], 2 * fi + ft
        else:
            ft_ = max(2 * fi + 1, ft)
            term = (sq << (ft_ - 2 * fi - 1)) + (ct[:, i] << (ft_ - ft))
        f = max(fa, ft_)
        check_width(max(ap.width + f - fa, 2 * ip.width + 2 + (layer.type("table").width if kind == "rz" else 0)) + 1,
                    f"layer '{layer.name}' sum")  # fmt: skip
        acc = cast((acc << (f - fa)) + (term << (f - ft_)), f, ap, bits_from=63).astype(np.int64)
    return cast(acc, fa, rp, bits_from=sbits(ap)).reshape(n, 1), rp


def range_inputs(layer: LayerDesc, ins: list) -> dict[str, tuple[object, np.ndarray]]:
    """What each cast of the score layer receives, as float64 values: {quantity: (type, values)} for the overflow
    profile (the inputs before ``input``/``index``, the exact sum before ``accum`` and ``result``)."""
    from codesign.firmware.fixed import to_float

    kind = str(layer.attrs.get("score_kind"))
    a, b = ins
    n = a.codes.shape[0]
    ip, ap, rp = layer.type("input"), layer.type("accum"), layer.type("result")
    av, bv = a.values().reshape(n, -1), b.values().reshape(n, -1)
    out = {"input": (ip, av)}
    mu = to_float(cast(a.codes.reshape(n, -1), frac(a.prec), ip, bits_from=sbits(a.prec)), ip)
    if kind == "sse":
        out["input"] = (ip, np.concatenate([av, bv], axis=1))
        nu = to_float(cast(b.codes.reshape(n, -1), frac(b.prec), ip, bits_from=sbits(b.prec)), ip)
        total = np.sum((mu - nu) ** 2, axis=1)
    elif kind == "mu2":
        total = np.sum(mu**2, axis=1)
    else:
        xp, tp = layer.type("index"), layer.type("table")
        out["index"] = (xp, bv)
        idx = cast(b.codes.reshape(n, -1), frac(b.prec), xp, bits_from=sbits(b.prec)).astype(np.int64)
        t = to_float(np.asarray(layer.weights["table"]).ravel().astype(np.int64), tp)[idx + (1 << (xp.width - 1))]
        total = np.sum(mu**2 * t if kind == "rz" else mu**2 / 2 + t, axis=1)
    out["accum"] = (ap, total)
    out["result"] = (rp, total)
    return out
