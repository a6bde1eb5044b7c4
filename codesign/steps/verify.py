"""The build's verdicts on the firmware: bit for bit against the reference, overflow, and physics metrics per stage."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from codesign.pipeline import BuildContext, BuildState, Step
from codesign.steps.common import (
    _as_2d,
    _binary_scores,
    _predict,
    _softmax,
)

LIBRARY_SKIPPED = ("check.library: false: the firmware was C-simulated by codesign's g++ testbench alone, without "
                   "hls4ml's ctypes library as a second path")


class Compare(Step):
    """Firmware vs QKeras bit for bit (pre-softmax), and physics metrics float vs quantized vs firmware."""

    name = "compare"
    code = ("codesign.metrics", "codesign.metrics_bootstrap", "codesign.metrics_stages")

    def inputs(self, ctx):
        return ctx.spec.resolved().get("metrics") if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign import compare

        x = state.csim["inputs"]
        model = state.project.keras_model  # as converted: pruning wrappers and the final softmax stripped
        desc = compare.firmware_description(state.project)
        verification = compare.judge(
            model, x, fw=state.csim["testbench"], ct=state.csim.get("library"), types=state.project.layer_precisions,
            desc=desc,
            softmax=getattr(state.project, "final_softmax", None),
            logits=tuple(getattr(state.project, "removed_heads", ())),
            sigmoid=getattr(state.project, "final_sigmoid", None),
        )
        acc = verification.to_dict()
        if "library" not in state.csim:  # check.library: false (a scan's csim: testbench)
            acc["library_vs_testbench"] = {"checked": False, "reason": LIBRARY_SKIPPED}
        bn_line = compare.batchnorm_line(acc.get("batchnorm_as_model") or {})
        if bn_line is not None:
            state = state.note(f"WARNING: {bn_line} (bit_accuracy.batchnorm_as_model)")
        n_data = int(state.csim.get("n_data", 0))
        rep_label = str(state.csim.get("rep_label", "data inputs"))
        if verification.agreement is not None and n_data > 0:
            # a float model: the random grid inputs reach the range edges, where its sums may overflow the
            # firmware's types; the data rows say how close the firmware follows it where it is used
            ref, fw = _as_2d(verification.reference_out), _as_2d(verification.csim_out)
            acc["on_data"] = compare.agreement(ref[:n_data], fw[:n_data])
            acc["on_data"]["n_samples"] = n_data
            acc["on_data"]["inputs"] = rep_label
            if "float_agreement" in acc:
                acc["float_agreement"]["on_data"] = acc["on_data"]
        if verification.bit_accuracy is not None and not verification.bit_accuracy.exact:
            from codesign.firmware.check_trace import first_differing_layer

            # which layer first differs, from the check's per-layer trace (a second g++ build, on failure only)
            acc["first_mismatch"]["layer"] = first_differing_layer(
                state.project, model, x, verification.csim_out, ctx.path(".codesign", "trace"))
        acc["overflow"] = _overflow_profile(desc, x, n_data, rep_label)
        for line in acc["overflow"].get("details", []):
            state = state.note(f"WARNING: overflow on the {acc['overflow']['inputs']}: {line}")
        state = replace(state, bit_accuracy=acc)
        if ctx.hls4ml_config is None or "InputData" not in ctx.hls4ml_config.config:  # the user's own tb data stays
            state = _write_tb_data(state, x, verification)
        if state.data is None:
            return state
        state = _score_stages(ctx, state)
        from codesign.score_check import tail_check, warning_lines

        for line in warning_lines(tail_check(state.metrics)):
            state = state.note(line)
        return state


def _write_tb_data(state: BuildState, x: np.ndarray, verification) -> BuildState:
    """The check's inputs and expected outputs into the project's tb_data/ for Vivado/Vitis csim and cosim."""
    from codesign import tb_data
    from codesign.arrays import n_rows

    exact_ref = verification.bit_accuracy is not None
    expected = verification.reference_out if exact_ref else verification.csim_out
    n = tb_data.write_tb_data(state.project.path, x, expected)
    what = "the bit-exact reference's outputs" if exact_ref else "the C-simulated firmware's outputs (no exact reference)"
    return state.note(
        f"hls/tb_data/: the first {n} of the {n_rows(x)} check inputs and, as expected outputs, {what}; the project's "
        "testbench reads them in csim/cosim"
    )


def _overflow_profile(desc, x: np.ndarray, n_data: int, rep_label: str = "data inputs") -> dict:
    """Per-layer ranges against the types on the data rows (else on all check inputs); the grid rows with the
    input type's edges are reported apart, by the layers they overflow."""
    from codesign.arrays import n_rows, take_rows
    from codesign.firmware import profile

    if n_data > 0:
        out = profile.overflow_report(desc, take_rows(x, slice(None, n_data)), f"{n_data} {rep_label}")
        if n_data < n_rows(x) and out.get("rows") is not None:
            edges = profile.overflow_report(desc, take_rows(x, slice(n_data, None)),
                                            "grid inputs with the input type's edges")  # fmt: skip
            out["edge_inputs_overflowing"] = edges.get("overflowing", [])
        return out
    return profile.overflow_report(desc, x, f"{n_rows(x)} check inputs on the input grid, edges included (no data)")


def _model_stages(state: BuildState) -> dict:
    """The Keras model of each model stage the build has, in report order: float, pruned, quantized."""
    stages = {"float": state.float_model}
    if state.pruned_model is not None:
        stages["pruned"] = state.pruned_model
    if state.qmodel is not None:
        stages["quantized"] = state.qmodel
    return stages


def _score_stages(ctx: BuildContext, state: BuildState) -> BuildState:
    """Every stage's scores and metrics; with a shared step cache (a scan), a model stage that another build of
    the same model computed is read from it (:mod:`codesign.stage_reuse`), and one computed here is stored."""
    from codesign import stage_reuse
    from codesign.metrics_stages import assemble, stage_parts

    bootstrap = bootstrap_settings(ctx)
    cache, keys = _stage_sharing(ctx, state)
    reused, damaged = {}, []
    for label, key in keys.items() if not ctx.force else ():  # --force: computed (and stored) like every step
        result, bad = stage_reuse.fetch(cache, key, label)
        if result is not None:
            reused[label] = result
        damaged += [label] if bad else []
    scores = stage_scores(ctx, state, skip=tuple(reused))
    parts = stage_parts(state.data, scores, bootstrap)
    for label, key in keys.items():
        if label not in reused:
            stage_reuse.store(cache, ctx.out_dir, key, label, stage_reuse.StageResult(scores[label], parts[label]))
    order = [*_model_stages(state), "firmware"]
    scores = {label: reused[label].scores if label in reused else scores[label] for label in order}
    parts = {label: reused[label].part if label in reused else parts[label] for label in order}
    state = replace(state, scores=scores, metrics=assemble(state.data, parts, bootstrap))
    lines = []
    if reused:
        lines.append(f"test-set scores and metrics of the {', '.join(reused)} model reused from the shared cache")
    if damaged:
        lines.append(
            f"the shared cache's entry of the {', '.join(damaged)} model's scores did not match its digest: "
            "computed again and stored anew"
        )
    return replace(state, step_note="; ".join(lines)) if lines else state


def _stage_sharing(ctx: BuildContext, state: BuildState):
    """(the shared step cache, {model stage: its result's key}); (None, {}) when the build has no shared cache or no
    spec (an hls4ml config's model comes from the convert step, not from a step keyed on it)."""
    if ctx.cache_dir is None or ctx.spec is None:
        return None, {}
    from codesign import stage_reuse
    from codesign.step_cache import SharedStepCache

    resolved = ctx.spec.resolved()
    settings = {"metrics": resolved.get("metrics"), "score": resolved.get("score")}
    keys = {}
    for label in _model_stages(state):
        model_key = state.keys.get(stage_reuse.STAGE_STEPS[label])
        if model_key is not None:
            keys[label] = stage_reuse.stage_key(model_key, label, settings)
    return SharedStepCache(ctx.cache_dir), keys


def stage_scores(ctx: BuildContext, state: BuildState, skip: tuple[str, ...] = ()) -> dict:
    """Test-set outputs per stage: class probabilities (classifiers) or {process: score} (anomaly models); the
    model stages named in ``skip`` are left out (their scores come from elsewhere).

    The firmware stage uses the C-simulated outputs of the test inputs (the first rows of the C-sim
    inputs; see :func:`_check_inputs`), so its metrics are the firmware's own: for an anomaly model the score the
    firmware computed. The float/pruned/quantized stages compute the same score with its float formula.
    """
    data = state.data
    fw = _as_2d(state.csim["testbench"])
    n_test = len(data.x_test)
    stages = {label: m for label, m in _model_stages(state).items() if label not in skip}
    scores: dict = {}
    if data.task == "classification":
        if fw.shape[1] == 1 and len(data.class_names) == 2:
            return _binary_stage_scores(stages, data.x_test, fw[:n_test], state.project)
        for label, model in stages.items():
            scores[label] = _predict(model, data.x_test)
        kept = getattr(state.project, "final_softmax", None) is not None  # the firmware outputs probabilities
        scores["firmware"] = fw[:n_test] if kept else _softmax(fw[:n_test])
        return scores
    from codesign import zoo

    score = ctx.spec.anomaly_score
    for label, model in stages.items():
        scored = zoo.score_model(model, score)
        scores[label] = {"background": _predict(scored, data.x_test)[:, 0]}
        for name, arr in data.signals.items():
            scores[label][name] = _predict(scored, arr)[:, 0]
    # the firmware outputs the score itself (computed in fixed point by the score layer)
    scores["firmware"] = {"background": fw[:n_test, 0]}
    start = n_test
    for name, arr in data.signals.items():
        scores["firmware"][name] = fw[start : start + len(arr), 0]
        start += len(arr)
    return scores


def _binary_stage_scores(stages: dict, x_test: np.ndarray, fw: np.ndarray, project) -> dict:
    """A one-output binary classifier: each stage's [1 - p, p]. A model ending in a sigmoid outputs p; one without
    outputs a logit, and so does firmware whose final sigmoid was left out: p is then the logit's sigmoid (the
    firmware's cut on its logit is the model's cut on p)."""
    from codesign.reference.graph import output_head

    scores = {label: _binary_scores(_predict(m, x_test), output_head(m) == "sigmoid") for label, m in stages.items()}
    scores["firmware"] = _binary_scores(fw, getattr(project, "final_sigmoid", None) is not None)
    return scores


def stage_metrics(data, scores: dict, bootstrap=None) -> dict:
    """Physics metrics of each stage's scores (weighted, with bootstrap intervals): :mod:`codesign.metrics_stages`."""
    from codesign.metrics_stages import stage_metrics as compute

    return compute(data, scores, bootstrap)


def bootstrap_settings(ctx: BuildContext):
    """The spec's ``metrics`` section as bootstrap settings (the defaults for an hls4ml-config build)."""
    from codesign.metrics_bootstrap import BootstrapSettings

    m = ctx.spec.metrics if ctx.spec is not None else None
    return BootstrapSettings() if m is None else BootstrapSettings(m.bootstrap, m.seed, m.confidence)
