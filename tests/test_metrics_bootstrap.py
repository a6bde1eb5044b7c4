"""Bootstrap intervals: the resampled figures against codesign.metrics (sklearn) on the same resample weights, the
interval width against the spread over independent samples, the paired stage-vs-float flag, the data weights."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from codesign import metrics as M
from codesign import metrics_bootstrap as B
from codesign.errors import DataError, SpecError
from codesign.metrics_stages import event_weights, stage_metrics
from codesign.spec import parse_spec


def _draws(seed: int, sizes: list[int], n: int) -> list[list[np.ndarray]]:
    """The multiplicities the bootstrap draws: per resample, one vector per stratum, in order."""
    rng = np.random.default_rng(seed)
    return [[np.bincount(rng.integers(0, k, k), minlength=k).astype(float) for k in sizes] for _ in range(n)]


def test_anomaly_resamples_equal_the_metrics_on_the_same_weights():
    rng = np.random.default_rng(1)
    bkg = np.round(rng.normal(0, 1, 4000), 2)
    sig = {"a": np.round(rng.normal(1.5, 1, 300), 2), "b": np.round(rng.normal(0.5, 1, 200), 2)}
    wb = rng.exponential(1.0, 4000)
    ws = {"a": rng.exponential(1.0, 300)}
    fprs = (1e-3, 1e-2, 0.1)
    settings = B.BootstrapSettings(n=5, seed=7)
    res = B.anomaly_resamples({"float": {"background": bkg, **sig}}, settings, fprs, weights=wb, signal_weights=ws)
    for b, (mb, ma, mbb) in enumerate(_draws(7, [4000, 300, 200], 5)):
        ref = M.anomaly_metrics(bkg, sig, fprs, weights=wb * mb, signal_weights={"a": ws["a"] * ma, "b": mbb})
        for name in sig:
            assert res["float"][("auc", name)][b] == pytest.approx(ref.signal(name).auc, abs=1e-12)
            for p in ref.signal(name).points:
                assert res["float"][("tpr", name, p.fpr)][b] == pytest.approx(p.tpr, abs=1e-12)


def test_classification_resamples_equal_the_metrics_on_the_same_weights():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 1500)
    scores = np.round(rng.normal(size=(1500, 3)) + np.eye(3)[labels], 2)
    w = rng.exponential(1.0, 1500)
    settings = B.BootstrapSettings(n=4, seed=3)
    res = B.classification_resamples({"float": scores}, labels, "abc", settings, (0.3, 0.5), weights=w)
    members = [np.flatnonzero(labels == c) for c in range(3)]
    for b, draw in enumerate(_draws(3, [len(m) for m in members], 4)):
        mult = np.zeros(1500)
        for idx, m in zip(members, draw, strict=True):
            mult[idx] = m
        ref = M.classification_metrics(labels, scores, "abc", (0.3, 0.5), weights=w * mult)
        assert res["float"][("accuracy",)][b] == pytest.approx(ref.accuracy, abs=1e-12)
        for c in ref.per_class:
            assert res["float"][("auc", c.name)][b] == pytest.approx(c.auc, abs=1e-12)
            for e, rej in c.rejection.items():
                assert 1.0 / res["float"][("eps_b", c.name, e)][b] == pytest.approx(rej, rel=1e-12)


def _one_roc(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One resample's ROC the plain way: one running sum over all events sorted by score, a point per distinct score."""
    order = np.argsort(-s, kind="stable")
    ws, ys, ss = w[order], y[order], s[order]
    last = np.append(np.flatnonzero(np.diff(ss) != 0.0), len(ss) - 1)
    tp, fp = np.cumsum(np.where(ys, ws, 0.0))[last], np.cumsum(np.where(ys, 0.0, ws))[last]
    return np.concatenate([[0.0], fp / fp[-1]]), np.concatenate([[0.0], tp / tp[-1]])


def _one_auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def _loop_classification(stages, labels, names, settings, efficiencies, weights):
    """The bootstrap one resample at a time (as codesign computed it before its resamples were computed in blocks)."""
    members = [np.flatnonzero(labels == c) for c in range(len(names))]
    rng, out = np.random.default_rng(settings.seed), {s: {} for s in stages}
    for _ in range(settings.n):
        mult = np.zeros(len(labels))
        for idx in members:
            mult[idx] = np.bincount(rng.integers(0, len(idx), len(idx)), minlength=len(idx))
        wb = weights * mult
        for stage, scores in stages.items():
            correct = np.argmax(scores, axis=1) == labels
            out[stage].setdefault(("accuracy",), []).append(float(np.sum(wb[correct]) / np.sum(wb)))
            for c, name in enumerate(names):
                fpr, tpr = _one_roc(labels == c, scores[:, c], wb)
                out[stage].setdefault(("auc", name), []).append(_one_auc(fpr, tpr))
                for e in efficiencies:
                    first = int(np.argmax(tpr >= e - 1e-12))
                    out[stage].setdefault(("eps_b", name, float(e)), []).append(float(fpr[first]))
    return out


def _loop_anomaly(stages, settings, fprs, weights, signal_weights):
    """The anomaly bootstrap one resample at a time: thresholds by threshold_at_fpr, TPR by fraction_above."""
    names = [k for k in next(iter(stages.values())) if k != "background"]
    rng, out = np.random.default_rng(settings.seed), {s: {} for s in stages}
    for _ in range(settings.n):
        wb = weights * np.bincount(rng.integers(0, len(weights), len(weights)), minlength=len(weights))
        ws = {k: signal_weights[k] * np.bincount(rng.integers(0, len(signal_weights[k]), len(signal_weights[k])),
                                                 minlength=len(signal_weights[k])) for k in names}  # fmt: skip
        for stage, scores in stages.items():
            bkg = scores["background"]
            for k in names:
                y = np.concatenate([np.zeros(len(bkg), bool), np.ones(len(scores[k]), bool)])
                fpr, tpr = _one_roc(y, np.concatenate([bkg, scores[k]]), np.concatenate([wb, ws[k]]))
                out[stage].setdefault(("auc", k), []).append(_one_auc(fpr, tpr))
                order = np.argsort(-scores[k], kind="stable")
                cum = np.cumsum(ws[k][order])
                for f in fprs:
                    thr = M.threshold_at_fpr(bkg, f, wb)[0]
                    above = int(np.sum(scores[k] > thr))
                    out[stage].setdefault(("tpr", k, float(f)), []).append((cum[above - 1] if above else 0.0) / cum[-1])
    return out


def _assert_identical(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for stage in want:
        assert list(got[stage]) == list(want[stage])  # same figures, in the same order
        for key, values in want[stage].items():
            np.testing.assert_array_equal(got[stage][key], np.asarray(values), err_msg=f"{stage} {key}")


@pytest.mark.parametrize("weighted", [False, True])
def test_blocks_of_resamples_equal_one_resample_at_a_time_to_the_last_bit(monkeypatch, weighted):
    """Every resampled figure equals the plain one-resample-at-a-time computation exactly (same random stream,
    same sums), in blocks of several resamples and with a block cut short; scores with and without ties."""
    rng = np.random.default_rng(21)
    monkeypatch.setattr(B, "BLOCK_VALUES", 3 * 1200)  # 3 resamples a block, the last block shorter
    labels = rng.integers(0, 3, 1200)
    fine = rng.normal(size=(1200, 3)) + 1.3 * np.eye(3)[labels]
    stages = {"float": fine, "firmware": np.round(fine, 1)}  # the firmware's coarse scores: many ties
    w = rng.exponential(1.0, 1200) if weighted else np.ones(1200)
    settings = B.BootstrapSettings(n=8, seed=5)
    got = B.classification_resamples(stages, labels, "abc", settings, (0.3, 0.6), weights=w if weighted else None)
    _assert_identical(got, _loop_classification(stages, labels, "abc", settings, (0.3, 0.6), w))

    monkeypatch.setattr(B, "BLOCK_VALUES", 2 * 1400)
    bkg, sig = rng.gamma(2.0, 1.0, 1000), {"a": rng.gamma(3.0, 1.2, 250), "b": rng.gamma(2.5, 1.0, 150)}
    stages = {
        "float": {"background": bkg, **sig},
        "firmware": {"background": np.round(bkg, 1), **{k: np.round(v, 1) for k, v in sig.items()}},
    }
    wb = rng.exponential(1.0, 1000) if weighted else np.ones(1000)
    ws = {"a": rng.exponential(1.0, 250) if weighted else np.ones(250), "b": np.ones(150)}
    fprs = (0.002, 0.05, 0.3)
    got = B.anomaly_resamples(stages, settings, fprs, weights=wb if weighted else None,
                              signal_weights={"a": ws["a"]} if weighted else None)  # fmt: skip
    _assert_identical(got, _loop_anomaly(stages, settings, fprs, wb, ws))


def test_interval_width_matches_the_spread_over_independent_samples():
    """The 68 % band of one sample's bootstrap is about +-1 standard deviation of the AUC and of the TPR at
    FPR 1e-3 (thresholds redrawn) over many independent samples of the same size: what an interval must mean."""
    rng = np.random.default_rng(11)

    def sample():
        return {"background": rng.normal(0, 1, 20_000), "s": rng.normal(1.5, 1, 400)}

    aucs, tprs = [], []
    for _ in range(80):
        d = sample()
        m = M.anomaly_metrics(d["background"], {"s": d["s"]}, fprs=(1e-3,))
        aucs.append(m.signal("s").auc)
        tprs.append(m.signal("s").tpr_at(1e-3))
    one = sample()
    out = stage_metrics(SimpleNamespace(task="anomaly", x_test=one["background"], signals={"s": one["s"]}),
                        {"float": one}, B.BootstrapSettings(n=300, seed=0))  # fmt: skip
    s = out["float"]["signals"]["s"]
    lo, hi = s["auc_interval"]
    assert lo < s["auc"] < hi
    assert 0.7 < (hi - lo) / 2 / np.std(aucs) < 1.4
    lo, hi = s["points"]["0.001"]["tpr_interval"]
    assert lo <= s["points"]["0.001"]["tpr"] <= hi
    assert 0.6 < (hi - lo) / 2 / np.std(tprs) < 1.6


def _anomaly_data(rng, n_bkg=5000, n_sig=500):
    bkg, sig = rng.normal(0, 1, n_bkg), rng.normal(1.2, 1, n_sig)
    data = SimpleNamespace(task="anomaly", x_test=bkg, signals={"s": sig})
    return data, bkg, sig


def test_firmware_vs_float_flag_is_paired():
    rng = np.random.default_rng(4)
    data, bkg, sig = _anomaly_data(rng, 20_000)
    settings = B.BootstrapSettings(n=200, seed=1)
    # a firmware whose scores saturate at 0.8: the tail above it, where the signal lives, is lost
    coarse = {"background": np.minimum(bkg, 0.8), "s": np.minimum(sig, 0.8)}
    same = {"background": bkg.copy(), "s": sig.copy()}
    out = stage_metrics(data, {"float": {"background": bkg, "s": sig}, "quantized": same, "firmware": coarse},
                        settings)  # fmt: skip
    q = out["quantized"]["signals"]["s"]["vs_float"]
    assert q["AUC"]["value"] == 0.0 and q["AUC"]["paired_interval"] == [0.0, 0.0] and not q["AUC"]["beyond_noise"]
    assert q["AUC"]["float_interval"] == out["float"]["signals"]["s"]["auc_interval"]
    fw = out["firmware"]["signals"]["s"]["vs_float"]
    assert fw["AUC"]["value"] < 0 and fw["AUC"]["beyond_noise"]
    assert fw["AUC"]["stage"] < fw["AUC"]["float_interval"][0]
    assert fw["TPR at FPR 0.001"]["beyond_noise"] and fw["TPR at FPR 0.001"]["paired_interval"][1] < 0
    assert "TPR at FPR 1e-05" not in fw  # not resolved by 20000 background events: no comparison
    assert out["firmware"]["signals"]["s"]["points"]["1e-05"]["tpr_interval"] is None
    # FPR 1e-4: a threshold on 2 background events, a rough interval, never flagged even though the TPR drops
    assert fw["TPR at FPR 0.0001"]["rough"] and not fw["TPR at FPR 0.0001"]["beyond_noise"]
    assert fw["TPR at FPR 0.0001"]["value"] < 0
    assert out["float"]["signals"]["s"]["points"]["0.0001"]["tpr_interval_rough"] is True
    assert out["float"]["signals"]["s"]["points"]["0.001"]["tpr_interval_rough"] is False
    lines = B.beyond_noise(out)
    assert any(line.startswith("firmware vs float: s AUC") and "68 % bootstrap interval" in line for line in lines)
    json.dumps(out, allow_nan=False)
    # a firmware that moves the AUC by a real but small amount (the paired band leaves out 0) stays within the
    # float figure's interval: not flagged
    b2, s2 = bkg.copy(), sig.copy()
    b2[:100] += rng.normal(0, 0.5, 100)
    out = stage_metrics(data, {"float": {"background": bkg, "s": sig}, "firmware": {"background": b2, "s": s2}},
                        settings)  # fmt: skip
    auc = out["firmware"]["signals"]["s"]["vs_float"]["AUC"]
    assert auc["paired_interval"][1] < 0 and not auc["beyond_noise"]
    assert B.beyond_noise(out) == []


def test_classifier_intervals_and_rejection_ratio():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 3, 3000)
    logits = rng.normal(size=(3000, 3)) + 1.2 * np.eye(3)[labels]
    data = SimpleNamespace(task="classification", x_test=logits, y_test=labels, class_names=("a", "b", "c"))
    worse = logits + rng.normal(0, 1.5, logits.shape)
    out = stage_metrics(data, {"float": logits, "firmware": worse}, B.BootstrapSettings(n=150, seed=2))
    fl, fw = out["float"], out["firmware"]
    assert fl["accuracy_interval"][0] < fl["accuracy"] < fl["accuracy_interval"][1]
    rej, (lo, hi) = fl["per_class"]["a"]["rejection"]["0.5"], fl["per_class"]["a"]["rejection_interval"]["0.5"]
    assert lo < rej < hi
    assert fw["vs_float"]["accuracy"]["beyond_noise"] and fw["vs_float"]["accuracy"]["value"] < 0
    ratio = fw["per_class"]["a"]["vs_float"]["1/eps_B at eps_S 0.5"]
    assert ratio["kind"] == "ratio" and ratio["value"] < 1 and ratio["paired_interval"][1] < 1 and ratio["beyond_noise"]
    assert ratio["stage"] == pytest.approx(fw["per_class"]["a"]["rejection"]["0.5"])
    assert ratio["float_interval"] == fl["per_class"]["a"]["rejection_interval"]["0.5"]
    assert "vs_float" not in fl and fl["bootstrap"]["n"] == 150 and fl["bootstrap"]["weighted"] is False
    again = stage_metrics(data, {"float": logits, "firmware": worse}, B.BootstrapSettings(n=150, seed=2))
    assert again == out  # seeded


def test_dataset_weights_reach_every_figure():
    rng = np.random.default_rng(8)
    data, bkg, sig = _anomaly_data(rng, 3000, 300)
    wb = rng.exponential(1.0, 3000)
    data.weights = {"test": wb, "s": np.full(300, 2.0), "train": np.ones(7)}
    out = stage_metrics(data, {"float": {"background": bkg, "s": sig}}, B.BootstrapSettings(n=20))
    ref = M.anomaly_metrics(bkg, {"s": sig}, weights=wb).to_dict()  # constant signal weights change nothing
    assert out["float"]["signals"]["s"]["auc"] == pytest.approx(ref["signals"]["s"]["auc"], abs=1e-12)
    assert out["float"]["weighted"] is True and out["float"]["bootstrap"]["weighted"] is True
    assert out["float"]["signals"]["s"]["points"]["0.001"]["rate_khz"] == ref["signals"]["s"]["points"]["0.001"]["rate_khz"]
    plain = stage_metrics(SimpleNamespace(task="anomaly", x_test=bkg, signals={"s": sig}),
                          {"float": {"background": bkg, "s": sig}})  # fmt: skip
    assert plain["float"]["signals"]["s"]["auc"] != out["float"]["signals"]["s"]["auc"]
    data.weights = wb  # a plain array: the test (background) events' weights
    assert event_weights(data)[0] is not None and event_weights(data)[1] == {}
    # the data branch's Dataset names the test rows' weights weights_test
    alt = SimpleNamespace(task="anomaly", x_test=bkg, signals={"s": sig}, weights_test=wb)
    np.testing.assert_array_equal(event_weights(alt)[0], wb)
    assert stage_metrics(alt, {"float": {"background": bkg, "s": sig}})["float"]["signals"]["s"]["auc"] == \
        ref["signals"]["s"]["auc"]


@pytest.mark.parametrize(
    ("weights", "match"),
    [(np.ones(10), "10 weights for 3000 background test events"), ({"bkg": np.ones(3000)}, "unknown entries"),
     ({"test": -np.ones(3000)}, "negative"), ({"s": np.full(300, np.nan)}, "NaN")],
)  # fmt: skip
def test_bad_dataset_weights_are_refused(weights, match):
    data, bkg, sig = _anomaly_data(np.random.default_rng(0), 3000, 300)
    data.weights = weights
    with pytest.raises(DataError, match=match):
        stage_metrics(data, {"float": {"background": bkg, "s": sig}})


def test_spec_metrics_section(tmp_path):
    spec = parse_spec({"name": "x", "model": {"family": "mlp"}, "metrics": {"bootstrap": 50, "confidence": 0.9}},
                      tmp_path / "s.yaml")  # fmt: skip
    assert (spec.metrics.bootstrap, spec.metrics.seed, spec.metrics.confidence) == (50, 0, 0.9)
    assert parse_spec({"name": "x", "model": {"family": "mlp"}}, tmp_path / "s.yaml").metrics.bootstrap == 200
    for bad in ({"bootstrap": -1}, {"confidence": 1.0}, {"resamples": 3}):
        with pytest.raises(SpecError, match="metrics"):
            parse_spec({"name": "x", "model": {"family": "mlp"}, "metrics": bad}, tmp_path / "s.yaml")


def test_no_bootstrap_leaves_the_figures_alone():
    rng = np.random.default_rng(9)
    data, bkg, sig = _anomaly_data(rng, 2000, 100)
    scores = {"float": {"background": bkg, "s": sig}}
    off = stage_metrics(data, scores, B.BootstrapSettings(n=0))
    assert off == stage_metrics(data, scores) and "bootstrap" not in off["float"]
    on = stage_metrics(data, scores, B.BootstrapSettings(n=10))
    for key in ("auc", "n"):
        assert on["float"]["signals"]["s"][key] == off["float"]["signals"]["s"][key]


def test_report_md_shows_intervals_and_flags():
    from codesign import report

    rng = np.random.default_rng(12)
    data, bkg, sig = _anomaly_data(rng)
    fw = {"background": np.minimum(bkg, 0.8), "s": np.minimum(sig, 0.8)}
    out = stage_metrics(data, {"float": {"background": bkg, "s": sig}, "firmware": fw}, B.BootstrapSettings(n=50))
    md = report.render_markdown(report.jsonable({"metrics": out}))
    row = next(line for line in md.splitlines() if line.startswith("| s AUC |"))
    lo, hi = out["float"]["signals"]["s"]["auc_interval"]
    assert f"[{report._fmt(lo)}, {report._fmt(hi)}]" in row and row.endswith("(!) |")
    assert "68 % bootstrap interval (percentiles 16-84 of 50 resamples" in md
    assert "### Changes from float beyond the statistical noise" in md and "firmware vs float: s AUC" in md
    assert "| s TPR at FPR 1e-05 (L1 rate 0.4 kHz) | n/r | n/r |" in md
    rough = next(line for line in md.splitlines() if line.startswith("| s TPR at FPR 0.001 "))
    cells = [c.strip() for c in rough.split("|")[2:4]]
    assert cells[0].endswith(" ~") and "(!)" not in rough  # 5 background events above the threshold
    # the firmware saturates at 0.8: the background ties there, so its threshold keeps no background at all
    assert cells[1].endswith(" ~ @ FPR 0") and "@ FPR x: the threshold reaches a background fraction x" in md
    assert "~: the threshold rests on fewer than 10 background events" in md
    plain = report.render_markdown(report.jsonable({"metrics": stage_metrics(data, {"float": fw})}))
    assert "No intervals" in plain and "(!)" not in plain
    labels = rng.integers(0, 2, 800)
    logits = rng.normal(size=(800, 2)) + np.eye(2)[labels]
    cdata = SimpleNamespace(task="classification", x_test=logits, y_test=labels, class_names=("q", "g"))
    md = report.render_markdown(report.jsonable({"metrics": stage_metrics(cdata, {"float": logits},
                                                                          B.BootstrapSettings(n=30))}))  # fmt: skip
    for label in ("| accuracy |", "| mean_auc |", "| q auc |", "| g 1/eps_B at eps_S=0.3 |"):
        assert any(line.startswith(label) and ("[" in line or label == "| mean_auc |") for line in md.splitlines())


@pytest.mark.slow  # a real VAE build: about 2 minutes on the shared 2-core machine
def test_build_carries_dataset_weights_and_intervals_into_the_report(tmp_path, monkeypatch):
    """A small VAE build whose dataset carries per-event weights (as l1.h5 will): report.json's metrics are the
    weighted figures of the stages' scores, with the spec's bootstrap, and report.md shows them."""
    pytest.importorskip("hls4ml")
    import yaml

    from codesign import datasets
    from codesign.api import run_build

    real = datasets.load_dataset

    def weighted(*args, **kwargs):
        data = real(*args, **kwargs)
        w = np.linspace(0.5, 2.0, len(data.x_test))
        object.__setattr__(data, "weights", {"test": w})  # the attribute the data branch adds to Dataset
        return data

    monkeypatch.setattr(datasets, "load_dataset", weighted)
    spec = {"name": "vae_w", "data": {"source": "l1", "n_train": 1500, "n_test": 400},
            "model": {"family": "vae", "encoder": [8], "latent_dim": 2, "decoder": [8]},
            "train": {"epochs": 1, "batch_size": 256}, "quantize": {"bits": 8, "integer": 1, "epochs": 1},
            "check": {"n_samples": 50}, "metrics": {"bootstrap": 30, "seed": 3}}  # fmt: skip
    path = tmp_path / "vae_w.yaml"
    path.write_text(yaml.safe_dump(spec))
    _, state = run_build(path, part="xcvu9p", out=tmp_path / "out", force=False, synth=False, progress=lambda *a: None)
    import json

    report = json.loads((tmp_path / "out" / "report.json").read_text())
    fw = report["metrics"]["firmware"]
    assert fw["weighted"] is True and fw["bootstrap"] == {**fw["bootstrap"], "n": 30, "seed": 3, "weighted": True}
    w = np.linspace(0.5, 2.0, 400)
    scores = state.scores["firmware"]
    ref = M.anomaly_metrics(scores["background"], {k: v for k, v in scores.items() if k != "background"}, weights=w)
    for name, sig in fw["signals"].items():
        assert sig["auc"] == ref.signal(name).auc
        assert sig["points"]["0.001"]["rate_khz"] == ref.signal(name).points[2].rate_khz
        assert len(sig["auc_interval"]) == 2 and "AUC" in sig["vs_float"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "Figures weighted by the data's per-event weights" in md and "30 resamples" in md
    assert (tmp_path / "out" / "plots" / "scores.png").is_file()
