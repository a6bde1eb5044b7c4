"""Does the VAE score's exp table range cost tail? The log-variances of a finished build against the table's grid.

R_z's firmware looks exp(-logvar) up in a table indexed by logvar cast to ``score.table_input`` (ap_fixed<10,5>:
[-16, 16) by default) and stores the entries as ``score.table_precision`` (ap_ufixed<26,18>: at most 2^18, so
exp(-logvar) saturates for logvar below -ln 2^18 = -12.5). A log-variance below the index range is an index
overflow (the report's ``anomaly_score (index)`` warning); one below the entry's range is a saturated entry. Per
process, on the build's quantized model (the values the firmware sees up to its own rounding): how many events have
a latent in each case, and, at the given FPRs, whether those events pass the firmware's threshold and the exact
formula's threshold on the same quantized outputs (R_z in float64): an event the exact score selects and the
firmware does not is tail lost to the score's types.

Usage: ``python benchmarks/score_range.py BUILD_DIR [--fpr 1e-3,1e-2]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def _latents(build: Path, data) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{process: (z_mean, z_log_var)} of the build's quantized model on the test background and each signal."""
    from codesign import keras_env, modelio

    keras = keras_env.keras()
    model = modelio.load_model(build / "models" / "quantized.h5")
    enc = keras.Model(model.input, [model.get_layer("z_mean").output, model.get_layer("z_log_var").output])
    out = {}
    for name, x in (("background", data.x_test), *data.signals.items()):
        mu, lv = enc.predict(x, batch_size=4096, verbose=0)
        out[name] = (np.asarray(mu, np.float64), np.asarray(lv, np.float64))
    return out


def _firmware(build: Path, data) -> dict[str, np.ndarray]:
    """{process: C-simulated score} in the build's order (test background, then each signal)."""
    z = np.load(build / "csim" / "csim_results.npz")
    fw = z["testbench"].reshape(len(z["testbench"]), -1)[:, 0]
    out, start = {}, 0
    for name, x in (("background", data.x_test), *data.signals.items()):
        out[name] = fw[start : start + len(x)]
        start += len(x)
    return out


def main() -> None:
    """Print, per process, the latents outside the table's grid and what happens to those events at each FPR."""
    from codesign import metrics
    from codesign.api import load_any_spec
    from codesign.datasets import load_dataset
    from codesign.metrics_stages import event_weights

    ap = argparse.ArgumentParser()
    ap.add_argument("build", type=Path)
    ap.add_argument("--fpr", default="1e-3,1e-2")
    args = ap.parse_args()
    report = json.loads((args.build / "report.json").read_text())
    spec = load_any_spec(report["spec"])
    if spec.anomaly_score is None or spec.anomaly_score.kind.value != "rz":
        raise SystemExit("this build's score is not rz: no exp table")
    data = load_dataset(spec.data, spec.model.family, spec.quantize.input)
    weights, _ = event_weights(data)
    lat, fw = _latents(args.build, data), _firmware(args.build, data)
    ti, tp = spec.anomaly_score.table_input, spec.anomaly_score.table_precision
    lv_index, lv_entry = ti.min_value, -np.log(tp.max_value)
    print(f"table_input {ti.to_hls()}: index range from {lv_index:g}; table_precision {tp.to_hls()}: exp(-logvar) "
          f"saturates below logvar {lv_entry:.3f}")  # fmt: skip
    exact = {n: np.sum(mu**2 * np.exp(-lv), axis=-1) for n, (mu, lv) in lat.items()}
    print("| process | events | min logvar | events with a latent below the index range | below the entry range |")
    print("|---|---|---|---|---|")
    for n, (_, lv) in lat.items():
        print(f"| {n} | {len(lv)} | {lv.min():.3f} | {int(np.any(lv < lv_index, axis=1).sum())} | "
              f"{int(np.any(lv < lv_entry, axis=1).sum())} |")  # fmt: skip
    for f in (float(v) for v in args.fpr.split(",")):
        t_fw, _ = metrics.threshold_at_fpr(fw["background"], f, weights)
        t_ex, _ = metrics.threshold_at_fpr(exact["background"], f, weights)
        print(f"\nFPR {f:g}: threshold firmware {t_fw:.6g}, exact formula {t_ex:.6g}")
        print("| process | saturated events passing firmware / exact | all events passing firmware / exact | "
              "exact-only / firmware-only |")
        print("|---|---|---|---|")
        for n, (_, lv) in lat.items():
            sat = np.any(lv < lv_entry, axis=1)
            p_fw, p_ex = fw[n] > t_fw, exact[n] > t_ex
            print(f"| {n} | {int((p_fw & sat).sum())} / {int((p_ex & sat).sum())} | {int(p_fw.sum())} / "
                  f"{int(p_ex.sum())} | {int((p_ex & ~p_fw).sum())} / {int((p_fw & ~p_ex).sum())} |")  # fmt: skip


if __name__ == "__main__":
    main()
