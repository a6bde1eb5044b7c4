"""Which C-synthesis report module is which hls4ml layer (codesign.synth_reports.module_for_config), including
the modules Vivado HLS names after the function alone (``softmax``; ``relu``, ``relu_1``, ...)."""

from __future__ import annotations

import pytest

from codesign.estimate.calibration_set import raw_dir, shared_dir
from codesign.estimate.design import build_calls
from codesign.estimate.settings import read_project
from codesign.synth_reports import find_reports, module_for_config
from codesign.synth_reports.results import ModuleFigures

NAMES = ("softmax", "relu", "relu_1", "dense_large", "dense_large_1", "conv_2d_cl_array_ap_fixed_4u_config2_s",
         "dense_resource_rf_gt_nin_rem0")  # fmt: skip
CALLS = [("conv_2d_cl", "config2"), ("relu", "relu_config3"), ("dense_large", "config4"), ("relu", "relu_config5"),
         ("dense_large", "config6"), ("softmax", "softmax_config20"), ("dense_resource", "config7")]  # fmt: skip


def _modules(names=NAMES) -> list[ModuleFigures]:
    return [ModuleFigures(instance=f"{n}_U0", module=n) for n in names]


def test_a_module_named_after_a_function_called_once_is_that_layers():
    mods = _modules()
    assert module_for_config(mods, "softmax_config20", CALLS).module == "softmax"
    assert module_for_config(mods, "config2", CALLS).module.endswith("_config2_s")  # by its config, as before
    assert module_for_config(mods, "softmax_config20") is None  # without the calls the name says nothing


def test_a_function_called_several_times_or_a_name_not_unique_maps_to_no_layer():
    mods = _modules()
    assert module_for_config(mods, "relu_config3", CALLS) is None  # relu twice: relu / relu_1 cannot be told apart
    assert module_for_config(mods, "config4", CALLS) is None
    # called once, but a second module of that name (an instantiation inside another layer): ambiguous
    assert module_for_config(_modules((*NAMES, "softmax_1")), "softmax_config20", CALLS) is None
    # a longer function name is another function (dense_resource_rf_gt_nin_rem0 is not dense_resource)
    assert module_for_config(mods, "config7", CALLS) is None
    assert module_for_config(mods, "config20", CALLS) is None  # config2's module is not config20's


RAW = raw_dir()
PROJECT = "filipemlins_nas-hls4ml/b35afc4f68/model_multistart/0/hls4ml_prj"


@pytest.mark.skipif(RAW is None or not (shared_dir() / "raw" / PROJECT).is_dir(),
                    reason="calibration reports (../shared/calibration/raw) not present")  # fmt: skip
def test_real_vivado_report_with_function_named_modules():
    """A committed Vivado HLS project whose every module is named after its function: the one softmax is found,
    the four ReLUs and three dense layers are not guessed."""
    project = shared_dir() / "raw" / PROJECT
    modules = find_reports(project).csynth.modules
    calls = [(c.function, c.config.get("config")) for c in build_calls(read_project(project))]
    assert ("softmax", "softmax_config19") in calls
    assert module_for_config(modules, "softmax_config19", calls).module == "softmax"
    assert module_for_config(modules, "softmax_config19") is None  # what the report's refresh found before
    for config in ("relu_config5", "relu_config9", "config11", "config14", "config17"):
        assert module_for_config(modules, config, calls) is None, config
