"""Bad inputs of round ten: bounds of the training counts, scan axes that do not define a design, and hls4ml
settings of the wrong type. Rows in the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``; each
fails before any training, event generation or g++ build.
"""

from __future__ import annotations

from pathlib import Path

from bad_input_cases import _DROP, ACC, Case, build, cfg_case, hls4ml_config, spec
from command_cases import scan, scan_file

S = "spec.yaml"


def input_named_int(path: Path, width: int = 8, n_out: int = 2, name: str = "int") -> None:
    """A tiny float model whose input layer is named ``name`` ('int', a C++ keyword; a Dense named 'class' compiles)."""
    from codesign import keras_env, modelio

    keras_env.setup()
    keras = keras_env.keras()
    inp = keras.Input((width,), name=name)
    out = keras.layers.Dense(n_out, name="out")(keras.layers.Dense(4, activation="relu", name="class")(inp))
    modelio.save_model(keras.Model(inp, out), path)

ROUND_TEN_CASES: list[Case] = [
    # training counts: 10**12 was accepted (the pruning fine-tuning, which has no early stop, would run them all)
    Case("train-epochs-10-to-the-12", {S: spec(train={"epochs": 10**12})}, build(),
         (S, "train.epochs", "1000000000000", "an integer from 0 to 10000")),
    Case("train-batch-size-10-to-the-12", {S: spec(train={"batch_size": 10**12})}, build(),
         (S, "train.batch_size", "1000000000000", "an integer from 1 to 1048576")),
    Case("quantize-epochs-10-to-the-12", {S: spec(quantize={"epochs": 10**12})}, build(),
         (S, "quantize.epochs", "QAT epochs, 0 to 10000")),
    Case("prune-epochs-10-to-the-12", {S: spec(prune={"sparsity": 0.5, "epochs": 10**12})}, build(),
         (S, "prune.epochs", "fine-tuning epochs while pruning, 1 to 10000")),
    # scan axes that name or run a point: 'name' was replaced by <base>_<id> in every point without a word
    Case("scan-axis-over-name", {"s.yaml": scan_file(axes={"name": ["a", "b"]})}, scan(),
         ("s.yaml", "axes.name", "each point's name is the scan's", ACC)),
    Case("scan-axis-over-check-workers", {"s.yaml": scan_file(axes={"check.workers": [1, 2]})}, scan(),
         ("s.yaml", "axes.check.workers", "the same design and figures", ACC)),
    # hls4ml configs: a quoted number reached hls4ml as text (exit 5 from its conversion), 10**30 is no C++ unsigned
    cfg_case("cfg-table-size-text", ("config.yml", "HLSConfig.LayerName.d1_relu.table_size", "'1024'", ACC),
             HLSConfig={"LayerName": {"d1_relu": {"table_size": "1024"}}}),
    cfg_case("cfg-snake-reuse-factor-text", ("config.yml", "HLSConfig.LayerName.d1.reuse_factor", "'4'", ACC),
             HLSConfig={"LayerName": {"d1": {"reuse_factor": "4"}}}),
    cfg_case("cfg-reuse-10-to-the-30", ("config.yml", "HLSConfig.LayerName.d1.ReuseFactor", "at most 4294967295"),
             HLSConfig={"LayerName": {"d1": {"ReuseFactor": 10**30}}}),
    # a C++ keyword as the top function's name: g++ failed (exit 5) after the conversion / the training
    cfg_case("cfg-project-name-cpp-keyword", ("config.yml", "ProjectName", "'class'", "no C++ keyword"),
             ProjectName="class"),
    Case("hls-project-name-cpp-keyword", {S: spec(hls={"project_name": "int"})}, build(),
         (S, "hls.project_name", "'int' is a C++ keyword", ACC), extra={"before_training": True}),
    # an input layer named after a C++ keyword: hls4ml's top function took it as its argument, g++ failed (exit 5)
    Case("cfg-input-layer-cpp-keyword", {"config.yml": hls4ml_config(), "model.h5": input_named_int},
         build(spec_file="config.yml"), ("config.yml", "the model of KerasH5", "input layer name(s) 'int'", ACC)),
    Case("model-input-layer-cpp-keyword", {S: spec(model={"family": _DROP, "hidden": _DROP, "file": "m.h5"},
                                                   quantize=None), "m.h5": lambda p: input_named_int(p, 16, 5)},
         build(), ("m.h5", "input layer name(s) 'int'", ACC), extra={"before_training": True}),
    # an input named like hls4ml's own weights / types: 'w2' shadowed the weights (the C-simulation died of SIGBUS,
    # exit 135, no message), 'input_t' the input type (g++ failed, exit 5)
    Case("cfg-input-layer-named-w2", {"config.yml": hls4ml_config(), "model.h5": lambda p: input_named_int(p, name="w2")},
         build(spec_file="config.yml"), ("config.yml", "input layer name(s) 'w2'", "weights", ACC)),
    Case("cfg-input-layer-named-input-t", {"config.yml": hls4ml_config(),
                                           "model.h5": lambda p: input_named_int(p, name="input_t")},
         build(spec_file="config.yml"), ("config.yml", "input layer name(s) 'input_t'", ACC)),
    Case("cfg-input-layer-named-as-the-project", {"config.yml": hls4ml_config(),  # g++ failed (exit 5)
                                                  "model.h5": lambda p: input_named_int(p, name="myproject")},
         build(spec_file="config.yml"), ("config.yml", "input layer name(s) 'myproject'", "the project's", ACC)),
    # hls.parallelization_factor: applied to io_parallel Conv1D layers only (an MLP dropped it without a word); 0
    # reached the conversion's width % 0 (exit 7 after training on a DeepSets model)
    Case("hls-parallelization-factor-without-conv1d", {S: spec(hls={"parallelization_factor": 4})}, build(),
         ("hls.parallelization_factor 4", "the model has no Conv1D layer", ACC), extra={"before_training": True}),
    Case("hls-parallelization-factor-0", {S: spec(hls={"parallelization_factor": 0})}, build(),
         (S, "hls.parallelization_factor", "greater than or equal to 1")),
    # Model.Precision 'auto': 2 with no file or key named ("cannot parse precision 'auto'"), once the model was read
    cfg_case("cfg-model-precision-auto", ("config.yml", "HLSConfig.Model.Precision", "'auto'", ACC),
             HLSConfig={"Model": {"Precision": {"default": "auto"}}}),
    # a clock uncertainty of the whole period or more went into project.tcl as it was
    cfg_case("cfg-clock-uncertainty-150-percent", ("config.yml", "ClockUncertainty '150%'", "7.5 ns", ACC),
             ClockUncertainty="150%"),
    cfg_case("cfg-clock-uncertainty-above-the-period", ("config.yml", "ClockUncertainty 10", "5 ns ClockPeriod", ACC),
             ClockUncertainty=10),
]
