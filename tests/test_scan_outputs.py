"""What a scan says about its points beyond the demo grid: an anomaly model's TPR objective at the FPRs its
background resolves, built points that cannot be ranked, a scan whose every point failed or none fits the budget
(scan.md, the console line and the exit code), and pareto.png drawn against the scan's own objectives.

Fast: records from the stand-in build of tests/scan_stub.py, and anomaly metrics from codesign.metrics."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from codesign.errors import SpecError
from codesign.metrics.anomaly import anomaly_metrics
from codesign.scan import run_scan
from codesign.scan_points import physics_figures
from codesign.scan_spec import load_scan
from tests.scan_stub import fake_point
from tests.test_scan import write_scan

VAE = {"name": "vae", "data": {"source": "l1", "n_train": 500, "n_test": 500},
       "model": {"family": "vae", "encoder": [8], "latent_dim": 2, "decoder": [8]}}  # fmt: skip


def _tpr_by_hand(bkg: np.ndarray, sig: np.ndarray, fpr: float) -> float:
    """The signal fraction above the threshold that keeps floor(fpr * N) background events (no ties here)."""
    keep = int(np.floor(fpr * len(bkg)))
    threshold = np.sort(bkg)[::-1][keep]
    return float(np.mean(sig > threshold))


@pytest.mark.parametrize("n_bkg, smallest", [(2000, 1e-3), (20000, 1e-4), (200000, 1e-5)])
def test_tpr_at_fpr_is_the_tpr_at_the_smallest_fpr_the_background_resolves(n_bkg, smallest):
    """tpr_at_fpr was the TPR at FPR 1e-5 alone, which a background test sample below 100000 events cannot resolve
    (the demo VAE tests on 20000): every point of a scan ranked on it had no value, and the front was empty without
    a word. It is now the mean over the signals at the smallest resolved FPR, and each resolved FPR has its own."""
    rng = np.random.default_rng(7)
    bkg = rng.normal(0.0, 1.0, n_bkg)
    sigs = {"a": rng.normal(1.0, 1.0, 3000), "b": rng.normal(2.0, 1.5, 2000)}
    figures = physics_figures(anomaly_metrics(bkg, sigs).to_dict())
    expected = {f: np.mean([_tpr_by_hand(bkg, s, f) for s in sigs.values()]) for f in (1e-5, 1e-4, 1e-3)}
    resolved = [f for f in (1e-5, 1e-4, 1e-3) if f * n_bkg >= 1]
    assert figures["fpr"] == smallest == resolved[0]
    assert figures["tpr_at_fpr"] == pytest.approx(expected[smallest], abs=1e-12)
    for f, name in ((1e-5, "tpr_at_fpr_1e-5"), (1e-4, "tpr_at_fpr_1e-4"), (1e-3, "tpr_at_fpr_1e-3")):
        if f in resolved:
            assert figures[name] == pytest.approx(expected[f], abs=1e-12)
        else:
            assert name not in figures


def test_tpr_objective_at_a_named_fpr_is_accepted_for_anomaly_models_only(tmp_path):
    vae = load_scan(write_scan(tmp_path, spec=VAE, axes={"quantize.bits": [6, 8]},
                               objectives={"tpr_at_fpr_1e-4": "max", "lut": "min"}))  # fmt: skip
    assert vae.objectives == {"tpr_at_fpr_1e-4": "max", "lut": "min"}
    with pytest.raises(SpecError, match=r"objectives.tpr_at_fpr_1e-6': the report has no figure.*tpr_at_fpr_1e-3"):
        load_scan(write_scan(tmp_path, spec=VAE, objectives={"tpr_at_fpr_1e-6": "max"}))
    with pytest.raises(SpecError, match=r"objectives.tpr_at_fpr_1e-4': the report has no figure .* for a mlp model"):
        load_scan(write_scan(tmp_path, objectives={"tpr_at_fpr_1e-4": "max"}))


def _cli(tmp_path, monkeypatch, scan_path, fail_bits: str):
    """``codesign scan`` on the stand-in build; returns (exit code, stdout, stderr, scan.md)."""
    import codesign.scan

    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", fail_bits)
    monkeypatch.setenv("SCAN_STUB_SLEEP", "0")
    monkeypatch.setattr(codesign.scan, "run_scan", functools.partial(run_scan, point_fn=fake_point,
                                                                     show_progress=False))  # fmt: skip
    from codesign.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["scan", str(scan_path), "--out", str(out), "--workers", "1"])
    return res.exit_code, res.stdout, res.stderr, (out / "scan.md").read_text()


def test_a_scan_whose_every_point_failed_exits_1_and_says_why(tmp_path, monkeypatch):
    """It exited 0 with '2 failed' on the last line, as a scan with a front does."""
    scan = write_scan(tmp_path, axes={"quantize.bits": [4, 6]})
    code, _, err, md = _cli(tmp_path, monkeypatch, scan, fail_bits="4,6")
    assert code == 1 and "every point failed (2): nothing to rank" in err
    assert "| (no feasible point: every point failed, see Failed points) |" in md and "five bits are refused" in md


def test_a_scan_without_a_value_for_an_objective_exits_1_and_names_it(tmp_path, monkeypatch):
    """The stand-in's points report no mean AUC: ranked on auc, every built point was left off the front, and
    scan.md said '(no feasible point)' beside '2 built, 0 failed, 0 over the budget'."""
    scan = write_scan(tmp_path, axes={"quantize.bits": [4, 6]}, objectives={"auc": "max", "lut": "min"})
    code, _, err, md = _cli(tmp_path, monkeypatch, scan, fail_bits="")
    assert code == 1 and "no built point has a value for every objective (2 built)" in err
    assert "2 built, 0 failed, 0 over the budget, 2 built without a value for an objective (not ranked)" in md
    assert "## Built, not ranked (an objective has no value)" in md and "auc: not in the point's report" in md


def test_a_scan_with_a_front_exits_0_and_one_over_the_budget_says_so(tmp_path, monkeypatch):
    code, out, err, md = _cli(tmp_path, monkeypatch, write_scan(tmp_path, axes={"quantize.bits": [4, 5]}), "5")
    assert code == 0 and err == "" and "2 points (0 done before, 2 now, 1 failed)" in out
    over = write_scan(tmp_path, axes={"quantize.bits": [8], "hls.reuse_factor": [1]})  # the stand-in's LUT 8000
    code, _, err, md = _cli(tmp_path / "b", monkeypatch, over, "")
    assert code == 0 and "no point on the Pareto front: 1 of 1 built point(s) over the budget" in err
    assert "| (no feasible point: 1 over the budget) |" in md and "## Over the budget" in md


def test_pareto_plot_puts_the_scans_own_objectives_on_its_axes(tmp_path, monkeypatch):
    """pareto.png showed accuracy against LUT, DSP and latency whatever the objectives: a scan ranked on FF and II
    saw neither, and its front looked dominated in LUT; a second physics objective was not drawn."""
    from codesign import scan_report
    from codesign.scan_spec import parse_scan

    monkeypatch.setenv("SCAN_STUB_SLEEP", "0")
    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", "")
    kept = []
    real = scan_report._save
    monkeypatch.setattr(scan_report, "_save", lambda fig, path: (kept.append(fig), real(fig, path)))
    raw = yaml.safe_load(write_scan(tmp_path).read_text())
    cases = [({"accuracy": "max", "ff": "min", "ii_cycles": "min"}, ["FF", "II [cycles]", "LUT", "DSP", "latency [ns]"]),
             ({"accuracy": "max", "lut": "min"}, ["LUT", "DSP", "latency [ns]"]),
             ({"accuracy": "max", "mean_auc": "max", "latency_ns": "min"}, ["latency [ns]", "LUT", "DSP"])]  # fmt: skip
    for objectives, columns in cases:
        scan = parse_scan({**raw, "objectives": objectives}, tmp_path / "scan.yaml")
        records = [fake_point({"id": f"p{i:04d}", "params": p, "build_dir": str(tmp_path / "o" / "points" / f"p{i}")})
                   for i, p in enumerate(scan.grid())]  # fmt: skip
        scan_report.write_plot(scan, records, scan_report.front(scan, records), tmp_path / "pareto.png")
        fig = kept.pop()
        rows = [n for n in objectives if n in ("accuracy", "mean_auc")]
        assert [ax.get_xlabel() for ax in fig.axes] == columns * len(rows)
        assert [ax.get_ylabel() for ax in fig.axes] == [f"firmware {r}" for r in rows for _ in columns]


def test_scan_md_writes_counts_as_whole_numbers():
    """A DeepSets point's FF of 14665 was written '1.466e+04' in scan.md's front and per-axis tables."""
    from codesign.scan_report import _fmt

    assert [_fmt(v) for v in (14665.0, 15474.6667, 35.0, 0.2075, 1.5)] == ["14665", "15475", "35", "0.2075", "1.5"]


def test_more_optuna_trials_than_points_is_refused(tmp_path):
    """trials: 10 over 4 points ran 4 and stopped, its progress bar at 4/10 with 'remaining=6' and scan.md saying
    nothing of the 6 trials asked and never run."""
    axes = {"quantize.bits": [4, 6], "hls.reuse_factor": [1, 2]}
    assert load_scan(write_scan(tmp_path, axes=axes, mode="optuna", trials=4)).trials == 4
    with pytest.raises(SpecError, match=r"key 'trials': 10 is more than the 4 points the axes hold .*accepted: 1 to 4"):
        load_scan(write_scan(tmp_path, axes=axes, mode="optuna", trials=10))


def test_an_optuna_space_too_large_to_list_is_counted_not_listed(tmp_path):
    """The trials check counted the space by listing every point: an Optuna scan over 14 x 45 x 64 x 1000 x 1000
    points (what NSGA-II is for) would not load. space_size is the product of the axes' lengths."""
    from codesign.scan_spec import space_size

    axes = {"quantize.bits": list(range(3, 17)), "prune.sparsity": [i / 100 for i in range(0, 90, 2)],
            "hls.reuse_factor": list(range(1, 65)), "train.seed": list(range(1000)), "data.seed": list(range(1000))}  # fmt: skip
    scan = load_scan(write_scan(tmp_path, axes=axes, mode="optuna", trials=20))
    assert scan.trials == 20 and space_size(scan.axes) == 14 * 45 * 64 * 1000 * 1000


def test_a_width_axis_of_another_family_is_refused_before_any_work(tmp_path):
    """model.hidden on a DeepSets base was accepted, and every point built the same network (the spec ignored it)."""
    ds = {"name": "ds", "data": {"source": "jets_constituents", "n_constituents": 8},
          "model": {"family": "deepsets", "phi": [8], "rho": [8]}}  # fmt: skip
    with pytest.raises(SpecError, match=r"key 'axes.model.hidden': value \[8\] does not give a valid spec: .*'hidden' "
                       r"does not shape model.family deepsets and would be ignored \(it takes phi, rho"):  # fmt: skip
        load_scan(write_scan(tmp_path, spec=ds, axes={"model.hidden": [[8], [16, 8]]}))
    assert load_scan(write_scan(tmp_path, spec=ds, axes={"model.phi": [[8], [16, 8]]})).axes["model.phi"] == ((8,), (16, 8))


def test_axes_under_a_mapping_of_the_spec_prune_layers_and_budget(tmp_path):
    """prune.layers.<layer> (a per-layer sparsity) and budget.max_fraction.lut were refused as 'the spec has no such
    key': the scan knew the layer-name mappings hls.layers and quantize.layers alone."""
    scan = load_scan(write_scan(tmp_path, axes={"prune.layers.dense_1": [0.0, 0.5], "budget.max_fraction.lut": [0.01]}))
    spec = scan.point_spec(scan.grid()[1], name="toy_p0001")
    assert spec["prune"]["layers"] == {"dense_1": 0.5} and spec["budget"]["max_fraction"] == {"lut": 0.01}
    for axes, match in (({"prune.layers.dense_1": [1.5]}, r"'axes.prune.layers.dense_1': value 1.5 does not give a valid"),
                        ({"budget.max_fraction.lutz": [0.1]}, r"'axes.budget.max_fraction.lutz': the spec has no such key"),
                        ({"prune.layers.dense_1.x": [0.1]}, r"'axes.prune.layers.dense_1.x': the spec has no such key")):  # fmt: skip
        with pytest.raises(SpecError, match=match):
            load_scan(write_scan(tmp_path, axes=axes))


def test_a_seed_in_a_grid_scan_is_refused_naming_the_training_seeds(tmp_path):
    """seed: 3 in a grid scan was accepted and used by nothing (the grid draws nothing; a user meaning the training's
    seed got the same models)."""
    with pytest.raises(SpecError, match=r"key 'seed': only for mode: optuna .*train.seed, data.seed"):
        load_scan(write_scan(tmp_path, seed=3))
    assert load_scan(write_scan(tmp_path, axes={"train.seed": [0, 1]})).axes == {"train.seed": (0, 1)}
    assert load_scan(write_scan(tmp_path, mode="optuna", trials=3, seed=3)).seed == 3


def test_over_the_budget_says_by_how_much(tmp_path):
    """scan.md's 'Over the budget' named the check alone ('lut'): a point 54x over read as one 1 % over."""
    from pathlib import Path

    from codesign.api import BuildResult
    from codesign.scan_points import record_from_result
    from codesign.scan_report import write_markdown

    checks = [{"name": "lut", "value": 6446.0, "limit": 118.224, "pass": False, "unit": "LUT"},
              {"name": "ff", "value": 1053.0, "limit": 118224.0, "pass": True, "unit": "FF"},
              {"name": "latency_ns", "value": None, "limit": 100.0, "pass": False, "unit": "ns"}]  # fmt: skip
    report = {"name": "toy", "bit_accuracy": {"exact": True}, "budget": {"pass": False, "checks": checks}}
    rec = record_from_result(BuildResult.from_report(report, Path("/x")), {"quantize.bits": 4}, "p0000", 1.0)
    assert rec["budget_failed"] == ["lut", "latency_ns"]
    assert rec["budget_over"] == [{"name": "lut", "value": 6446.0, "limit": 118.224, "unit": "LUT"},
                                  {"name": "latency_ns", "value": None, "limit": 100.0, "unit": "ns"}]  # fmt: skip
    scan = load_scan(write_scan(tmp_path, axes={"quantize.bits": [4]}))
    write_markdown(scan, [rec], [], tmp_path / "scan.md")
    md = (tmp_path / "scan.md").read_text()
    assert '- `p0000` {"quantize.bits": 4}: lut 6446 > 118.2 LUT, 54.5x; latency_ns unknown (limit 100 ns)' in md


def test_an_optuna_point_running_when_the_scan_died_is_built_again_under_its_own_id(tmp_path, monkeypatch):
    """A trial running when the scan died was asked again under a new trial number: its first folder stayed in
    points/ with no line in points.jsonl (a real DeepSets scan killed with kill -9 left points/t0002 so)."""
    import json

    from codesign.errors import ToolError

    scan = load_scan(write_scan(tmp_path, mode="optuna", trials=12, seed=1))
    out = tmp_path / "out"
    monkeypatch.setenv("SCAN_STUB_KILL", "t0003")  # the worker building t0003 dies: t0003 (and its peer) unfinished
    with pytest.raises(ToolError, match="rerun with --resume"):
        run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    monkeypatch.delenv("SCAN_STUB_KILL")
    before = {json.loads(line)["id"] for line in (out / "points.jsonl").read_text().splitlines()}
    assert "t0003" not in before and (out / "points" / "t0003").is_dir()
    run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    ids = [json.loads(line)["id"] for line in (out / "points.jsonl").read_text().splitlines()]
    assert len(ids) == 12 == len(set(ids)) and "t0003" in ids
    assert sorted(p.name for p in (out / "points").iterdir()) == sorted(ids)  # every folder has its line


def test_an_inline_spec_without_a_name_takes_the_scan_files(tmp_path):
    """An inline spec without 'name:' was refused ('key name: required'), though the scan names every point itself."""
    spec = {k: v for k, v in VAE.items() if k != "name"}
    scan = load_scan(write_scan(tmp_path, spec=spec, axes={"quantize.bits": [6, 8]}, objectives={"auc": "max"}))
    assert scan.base["name"] == "scan" and scan.point_spec(scan.grid()[0], "scan_p0000")["name"] == "scan_p0000"
    assert load_scan(write_scan(tmp_path, spec=VAE, axes={"quantize.bits": [6]}, objectives={"auc": "max"})).base["name"] == "vae"
