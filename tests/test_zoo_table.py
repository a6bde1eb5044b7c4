"""The constituent taggers' specs (DeepSets and interaction network at 8, 16, 32), their FLOP counts by hand,
and benchmarks/zoo_table.py --quick end to end (slow)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from codesign import keras_env

keras = keras_env.keras()

from codesign import flops, zoo  # noqa: E402
from codesign.spec import ModelSpec, load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = [f"jet_{fam}_{n}.yaml" for fam in ("deepsets", "in") for n in (8, 16, 32)]


@pytest.mark.parametrize("name", SPECS)
def test_constituent_specs_parse_and_build(name):
    spec = load_spec(ROOT / "models" / name)
    n = int(name.rsplit("_", 1)[1].split(".")[0])
    assert spec.data.n_constituents == n and spec.name == name.removesuffix(".yaml")
    assert spec.train.patience > 0 and spec.train.lr_patience > 0 and spec.train.epochs >= 100
    assert spec.quantize.epochs >= 40  # QAT early-stops on train.patience; 10 epochs stopped DS/IN still improving
    # 2402.01876's inputs: constituent pT in GeV, eta and phi relative to the jet axis
    assert spec.data.constituent_features == ("j1_pt", "j1_etarel", "j1_phirel")
    model = zoo.build_model(spec.model, (n, 3), 5, seed=0)
    assert model.output_shape == (None, 5)
    if "_deepsets_" in name:  # the paper's 3,461 at every size: phi 3-32-32-32, rho 32, 5 logits
        assert model.count_params() == (3 * 32 + 32) + 2 * (32 * 32 + 32) + (32 * 32 + 32) + (32 * 5 + 5) == 3461
    if "_in_" in name:
        assert model.get_layer("edge_1").output.shape[1] == n * (n - 1)


def test_flops_by_hand():
    ds = zoo.build_model(ModelSpec(family="deepsets", phi=(4,), rho=(3,)), (6, 2), 5, seed=0)
    # phi: 6 positions x 2*2*4; pool: 6*4 (5 adds + 1 division per channel); rho 2*4*3; logits 2*3*5
    assert flops.count(ds) == {"params": 12 + 15 + 20, "flops": 96 + 24 + 24 + 30}
    net = zoo.build_model(ModelSpec(family="interaction_net", phi=(4,), rho=()), (3, 2), 5, seed=0)
    # recv + send terms per node 2 * (3*2*2*4); 6 edges x 4 adds; receivers 3*(3-2)*4 adds; node 3*2*6*4;
    # mean pool 3*4; logits 2*4*5
    assert flops.count(net)["flops"] == 96 + 24 + 12 + 144 + 12 + 40
    assert flops.count(net)["params"] == net.count_params() == 12 + 8 + 28 + 25
    wide = zoo.build_model(ModelSpec(family="interaction_net", phi=(4,), node=(6,), rho=()), (3, 2), 5, seed=0)
    # the edge terms as above; node 3*2*6*6 ([x; messages] = 2 + 4 in, 6 out); mean pool 3*6; logits 2*6*5
    assert flops.count(wide)["flops"] == 96 + 24 + 12 + 216 + 18 + 60
    assert flops.count(wide)["params"] == wide.count_params() == 12 + 8 + 42 + 35


def test_flops_refuse_an_unknown_layer():
    inp = keras.Input((4,))
    m = keras.Model(inp, keras.layers.LayerNormalization(name="ln")(inp))
    with pytest.raises(ValueError, match="'ln' \\(LayerNormalization\\)"):
        flops.count(m)


@pytest.mark.slow
def test_zoo_table_quick_runs_end_to_end(tmp_path):
    """One quick row: a real build (training, QAT, hls4ml with the extension layers, g++ C-sim, estimate)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import zoo_table

    assert zoo_table.main(["--quick", "--families", "interaction_net", "--sizes", "8", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "zoo_table.json").read_text())["rows"]
    (row,) = rows
    assert row["model"] == "IN" and row["n"] == 8 and row["bit_exact"] is True
    assert row["accuracy_firmware"] > 0.3  # five balanced classes: chance is 0.2
    assert all(0.5 < a <= 1 for a in row["auc_firmware"])
    assert row["estimate"]["lut"] > 0 and row["estimate"]["latency_cycles"] > 0
    text = (tmp_path / "zoo_table.md").read_text()
    assert "QUICK MODE" in text and "2402.01876" in text and "codesign data jets" in text
    assert row["flops"] > row["params"] > 0


def _zoo_table():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import zoo_table

    return zoo_table


def test_table_marks_epoch_limits_float_only_rows_and_the_data_digest():
    """Epochs run per stage with '*' where the limit was hit; a float-only row shows float AUCs, no firmware."""
    zt = _zoo_table()
    full = {"model": "DS", "n": 8, "params": 10, "flops": 20, "accuracy_float": 0.6, "accuracy_firmware": 0.59,
            "auc_firmware": [0.8, 0.81, 0.82, 0.83, 0.84], "bit_exact": True,
            "estimate": {"latency_cycles": 18, "latency_ns": 90.0, "ii_cycles": 1, "lut": 1234, "dsp": 5},
            "epochs_run": {"float": 61, "prune": 6, "qat": 9}, "max_epochs": {"float": 150, "prune": 6, "qat": 10}}  # fmt: skip
    only = {"model": "IN", "n": 32, "params": 30, "flops": 40, "accuracy_float": 0.7, "accuracy_firmware": None,
            "auc_firmware": [None] * 5, "auc_float": [0.9, 0.91, 0.92, 0.93, 0.94], "bit_exact": None,
            "estimate": None, "epochs_run": {"float": 150}, "max_epochs": {"float": 150, "prune": 6, "qat": 10},
            "float_only": True}  # fmt: skip
    lines = zt.table([full, only], "cmd (sha256 abc)", False, "xcvu9p").splitlines()
    assert lines[0] == "Data: `cmd (sha256 abc)`"
    ds = next(x for x in lines if x.startswith("| DS | 8 | codesign"))
    assert ds.endswith("| 61 / 6* / 9 |") and "| 1,234 | 5 |" in ds and "0.80 / 0.81 / 0.82 / 0.83 / 0.84 |" in ds
    net = next(x for x in lines if x.startswith("| IN | 32 | codesign"))
    assert "0.90 / 0.91 / 0.92 / 0.93 / 0.94 (float)" in net and net.endswith("| 150* / - / - |")
    assert "| 70.0 % | - |" in net
    assert next(x for x in lines if x.startswith("| IN | 32 | 2402.01876")).count("|") == ds.count("|")


def test_data_label_names_the_shipped_file_digest():
    from codesign.datasets import file_digest
    from codesign.resources import shipped_path

    label = _zoo_table().data_label()
    assert label.startswith("codesign data jets") and label.endswith(f"(sha256 {file_digest(shipped_path('models', 'data', 'jets.h5'))})")


@pytest.mark.slow
def test_zoo_table_float_only_quick_row(tmp_path):
    """--float-only: the build's float steps only; the row has float accuracy and AUC and no firmware figures."""
    zt = _zoo_table()
    assert zt.main(["--quick", "--float-only", "--families", "deepsets", "--sizes", "8", "--out", str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "zoo_table.json").read_text())["rows"]
    assert row["float_only"] and row["estimate"] is None and row["accuracy_firmware"] is None
    assert row["accuracy_float"] > 0.3 and all(0.5 < a <= 1 for a in row["auc_float"])
    assert row["epochs_run"] == {"float": 4} and (tmp_path / row["name"] / "models" / "float.h5").exists()


@pytest.mark.parametrize("n", [8, 16, 32])
def test_zoo_mlp_entry_takes_the_papers_flattened_constituents(n):
    """The MLP row is the DeepSets spec with only the model (and name) swapped: 2402.01876's MLP flattens the
    same (pT, eta_rel, phi_rel) constituents its DeepSets reads, so the data, training and firmware keys match."""
    import yaml

    from codesign.spec.build import BuildSpec

    zt = _zoo_table()
    mlp, ds = zt.spec_for("mlp", n, quick=False), zt.spec_for("deepsets", n, quick=False)
    assert ds == yaml.safe_load((ROOT / "models" / f"jet_deepsets_{n}.yaml").read_text())
    assert {k: v for k, v in mlp.items() if k not in ("model", "name")} == {
        k: v for k, v in ds.items() if k not in ("model", "name")
    }
    assert mlp["model"] == {"family": "mlp", "hidden": [64, 32, 32]} and mlp["name"] == f"jet_mlp_const_{n}"
    spec = BuildSpec.model_validate(mlp)
    assert spec.data.constituent_features == ("j1_pt", "j1_etarel", "j1_phirel")
    model = zoo.build_model(spec.model, (n, 3), 5, seed=0)
    # flattened n x 3 inputs into 64-32-32-5
    assert model.count_params() == (3 * n * 64 + 64) + (64 * 32 + 32) + (32 * 32 + 32) + (32 * 5 + 5)


def test_in32_fit_takes_the_feature_count_from_the_shipped_spec(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import in32_fit

    assert in32_fit.n_features() == len(load_spec(ROOT / "models" / "jet_in_32.yaml").data.constituent_features) == 3
    text = (ROOT / "models" / "jet_in_32.yaml").read_text().replace(
        "constituent_features: [j1_pt, j1_etarel, j1_phirel], ", ""
    )
    (tmp_path / "no_features.yaml").write_text(text)
    with pytest.raises(SystemExit, match="constituent_features is not set"):
        in32_fit.n_features(tmp_path / "no_features.yaml")


def test_in32_spec_prunes_only_its_node_network():
    from codesign import prune

    spec = load_spec(ROOT / "models" / "jet_in_32.yaml")
    model = zoo.build_model(spec.model, (32, 3), 5, seed=0)
    targets = prune.layer_targets(model, spec.prune)  # refuses a name that is not a prunable layer of the model
    assert {k: v for k, v in targets.items() if v > 0} == {"node_1": 0.3, "node_2": 0.65}
    assert set(targets) == {"edge_1_recv", "edge_1_send", "node_1", "node_2", "rho_1", "output_logits"}


def test_in32_prune_variants_and_rough_lut():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import in32_prune

    name, updates, layers, lr = in32_prune.parse_variant("spare:node_1=0.3,epochs=15,lr=2e-4")
    assert (name, updates, layers, lr) == ("spare", {"epochs": 15, "layers": {"node_1": 0.3}}, {"node_1": 0.3}, 2e-4)
    assert in32_prune.parse_variant("base:")[1:] == ({}, {}, None)
    assert in32_prune.parse_variant("before:layers=none,sparsity=0.5")[1] == {"layers": {}, "sparsity": 0.5}
    for bad in ("no_colon", "x:node_1", "x:epochs=many"):
        with pytest.raises(SystemExit, match="variant"):
            in32_prune.parse_variant(bad)
    report = {
        "sparsity": {"quantized": {"layers": {"a": 0.5, "b": 0.75}}},
        "estimate": {"per_layer": [{"name": "a", "lut": 1000}, {"name": "b", "lut": 400}, {"name": "sum", "lut": 77}]},
    }
    # a: kept 1/2 -> 7/10 of its weights (x 1.4); b: kept 1/4 -> all (x 4); the layer without weights as built
    assert in32_prune.scaled_lut(report, {"a": 0.3, "b": 0.0}) == 1400 + 1600 + 77


def test_data_override_replaces_the_shipped_source_and_is_named_in_the_label(tmp_path):
    """--data / --n-train: every row reads the user's file (path, not the shipped source) with the given sizes, and
    the table's data line names the file's generation commands (each input's, for a merged file) and its digest."""
    import h5py

    from codesign.datasets import file_digest

    zt = _zoo_table()
    path = tmp_path / "jets_big.h5"
    with h5py.File(path, "w") as f:
        f.attrs["merged_from"] = json.dumps(["codesign data jets --seed 1", "codesign data jets --seed 2"])
    over = {"path": str(path), "n_train": 90000}
    spec = zt.spec_for("deepsets", 32, quick=False, data=over)
    assert "source" not in spec["data"] and spec["data"]["path"] == str(path) and spec["data"]["n_train"] == 90000
    assert spec["data"]["n_constituents"] == 32 and spec["data"]["augment"] == ["reflect_eta", "reflect_phi"]
    assert zt.spec_for("deepsets", 32, quick=False, data={"n_train": 5000})["data"]["source"] == "jets_constituents"
    assert zt.data_label(over) == (
        f"merged from: codesign data jets --seed 1 + codesign data jets --seed 2 (sha256 {file_digest(path)}), n_train 90000"
    )
    with pytest.raises(SystemExit):  # argparse: a missing file is named before any build
        zt.main(["--data", str(tmp_path / "missing.h5"), "--out", str(tmp_path / "o")])
