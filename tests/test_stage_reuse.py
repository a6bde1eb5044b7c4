"""A model stage's test-set results shared between builds (codesign.stage_reuse): the metrics assembled from stored
stages equal the metrics computed all at once, exactly (intervals and the paired stage-vs-float comparisons
included), and an entry that does not match its digest is never used.

Fast: synthetic scores and stand-in models (no training, no g++); the real two-point build is in
tests/test_stage_reuse_slow.py."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from codesign import parts, stage_reuse
from codesign.metrics_bootstrap import BootstrapSettings
from codesign.metrics_stages import assemble, stage_metrics, stage_parts
from codesign.pipeline import BuildContext, BuildState
from codesign.spec import BuildSpec
from codesign.step_cache import SharedStepCache

SETTINGS = BootstrapSettings(n=60, seed=3)


def _text(metrics: dict) -> str:
    """The metrics as report.json writes them (NaN included), key order kept: equal texts are equal reports."""
    return json.dumps(metrics)


def _classifier(rng, weighted: bool):
    labels = rng.integers(0, 3, 2000)
    logits = rng.normal(size=(2000, 3)) + 1.1 * np.eye(3)[labels]
    data = SimpleNamespace(task="classification", x_test=logits, y_test=labels, class_names=("a", "b", "c"),
                           weights=rng.uniform(0.2, 3.0, 2000) if weighted else None)  # fmt: skip
    soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scores = {"float": soft, "pruned": soft + rng.normal(0, 0.01, soft.shape),
              "quantized": np.round(soft * 16) / 16, "firmware": np.round(soft * 8) / 8}  # fmt: skip
    return data, scores


def _anomaly(rng, weighted: bool):
    bkg, sig, sig2 = rng.normal(0, 1, 5000), rng.normal(1.5, 1, 400), rng.normal(0.7, 1, 300)
    weights = {"test": rng.uniform(0.5, 2, 5000), "s": rng.uniform(0.5, 2, 400)} if weighted else None
    data = SimpleNamespace(task="anomaly", x_test=bkg, signals={"s": sig, "t": sig2}, weights=weights)

    def stage(f):
        return {"background": f(bkg), "s": f(sig), "t": f(sig2)}

    return data, {"float": stage(lambda a: a), "quantized": stage(lambda a: np.round(a * 4) / 4),
                  "firmware": stage(lambda a: np.minimum(np.round(a * 4) / 4, 1.0))}  # fmt: skip


@pytest.mark.parametrize("make, weighted", [(_classifier, False), (_classifier, True), (_anomaly, False),
                                            (_anomaly, True)])  # fmt: skip
def test_stored_stages_give_the_metrics_computed_all_at_once(tmp_path, make, weighted):
    data, scores = make(np.random.default_rng(7), weighted)
    whole = stage_metrics(data, scores, SETTINGS)
    models = [label for label in scores if label != "firmware"]
    # a first build computes the model stages (beside its firmware) and stores them ...
    first = stage_parts(data, scores, SETTINGS)
    for label in models:
        stage_reuse.write(tmp_path, f"k-{label}", label, stage_reuse.StageResult(scores[label], first[label]))
    # ... a second build reads them back and computes only its firmware stage
    read = {label: stage_reuse.read(tmp_path, f"k-{label}", label) for label in models}
    fw = stage_parts(data, {"firmware": scores["firmware"]}, SETTINGS)
    joined = assemble(data, {**{k: r.part for k, r in read.items()}, **fw}, SETTINGS)
    assert _text(joined) == _text(whole)
    assert "vs_float" in json.dumps(joined["firmware"])  # the paired comparison is there, on the stored resamples
    for label in models:
        got, want = read[label].scores, scores[label]
        if isinstance(want, dict):
            assert list(got) == list(want)
            for k in want:
                np.testing.assert_array_equal(got[k], want[k])
        else:
            np.testing.assert_array_equal(got, want)
    # the bootstrap off: the parts are the report dicts alone
    off = stage_parts(data, scores, BootstrapSettings(n=0))
    assert _text(assemble(data, off, BootstrapSettings(n=0))) == _text(stage_metrics(data, scores, None))


def _stored(tmp_path):
    data, scores = _classifier(np.random.default_rng(1), False)
    part = stage_parts(data, {"float": scores["float"]}, SETTINGS)["float"]
    stage_reuse.write(tmp_path, "key1", "float", stage_reuse.StageResult(scores["float"], part))
    return [tmp_path / rel for rel in stage_reuse.files("float")]


def test_a_damaged_or_edited_entry_is_never_read(tmp_path):
    meta, npz = _stored(tmp_path)
    assert stage_reuse.read(tmp_path, "key1", "float") is not None
    assert stage_reuse.read(tmp_path, "key2", "float") is None  # another key's entry
    good_meta, good_npz = meta.read_text(), npz.read_bytes()
    edited = json.loads(good_meta)
    edited["metrics"]["accuracy"] = 0.99  # a figure edited by hand, the digest left as it was
    meta.write_text(json.dumps(edited))
    assert stage_reuse.read(tmp_path, "key1", "float") is None
    meta.write_text(good_meta)
    blob = bytearray(good_npz)
    blob[len(blob) // 2] ^= 0x01  # one bit of the scores or resamples
    npz.write_bytes(bytes(blob))
    assert stage_reuse.read(tmp_path, "key1", "float") is None
    npz.write_bytes(good_npz[:-100])  # truncated
    assert stage_reuse.read(tmp_path, "key1", "float") is None
    npz.write_bytes(good_npz)
    meta.write_text(good_meta[:-5])  # unreadable JSON
    assert stage_reuse.read(tmp_path, "key1", "float") is None


def test_a_damaged_shared_entry_is_removed_and_the_stage_computed_again(tmp_path):
    cache = SharedStepCache(tmp_path / "cache")
    data, scores = _classifier(np.random.default_rng(1), False)
    part = stage_parts(data, {"float": scores["float"]}, SETTINGS)["float"]
    stage_reuse.store(cache, tmp_path / "a", "key1", "float", stage_reuse.StageResult(scores["float"], part))
    assert not (tmp_path / "a" / stage_reuse.files("float")[1]).exists()  # stored, no copy left in the build
    result, damaged = stage_reuse.fetch(cache, "key1", "float")
    assert result is not None and not damaged
    np.testing.assert_array_equal(result.scores, scores["float"])
    npz = cache.entry("key1") / stage_reuse.files("float")[1]
    npz.write_bytes(npz.read_bytes()[:-1] + b"x")
    result, damaged = stage_reuse.fetch(cache, "key1", "float")
    assert result is None and damaged and not cache.has("key1")  # removed: the next build stores it anew
    assert stage_reuse.fetch(cache, "key1", "float") == (None, False)


class _Model:
    """A stand-in Keras model: fixed class probabilities for the test rows; counts its predict calls."""

    calls = 0

    def __init__(self, probabilities: np.ndarray):
        self.probabilities = probabilities

    def predict(self, x, batch_size=None, verbose=0):
        _Model.calls += 1
        return self.probabilities[: len(x)]


def _point(tmp_path, name, cache, data, models, fw, keys):
    """A point's context and its state as the compare step gets it."""
    spec = BuildSpec.model_validate({"name": "p", "model": {"family": "mlp", "hidden": [4]},
                                     "metrics": {"bootstrap": 40, "seed": 5}})  # fmt: skip
    ctx = BuildContext(spec=spec, hls4ml_config=None, part=parts.resolve_part("xcvu9p"), out_dir=tmp_path / name,
                       cache_dir=cache)  # fmt: skip
    state = BuildState(data=data, float_model=models[0], pruned_model=models[1], qmodel=models[2], keys=keys,
                       csim={"testbench": fw}, project=SimpleNamespace(final_softmax=object()))  # fmt: skip
    return ctx, state


def _build(*args):
    from codesign.steps.verify import _score_stages

    return _score_stages(*_point(*args))


def test_compare_reuses_the_model_stages_of_another_point_exactly(tmp_path):
    """Two points of one QAT model (two reuse factors: two firmwares) into a shared cache; the second point's
    metrics equal those of the same point computed without the shared cache, and only its firmware was scored."""
    data, scores = _classifier(np.random.default_rng(2), False)
    models = [_Model(scores[k]) for k in ("float", "pruned", "quantized")]
    keys = {"train_float": "f1", "prune": "p1", "quantize": "q1"}
    cache = tmp_path / "cache"
    first = _build(tmp_path, "a", cache, data, models, scores["firmware"], keys)
    assert first.step_note == "" and _Model.calls == 3
    fw2 = np.round(scores["quantized"] * 4) / 4  # the other reuse factor's firmware
    _Model.calls = 0
    second = _build(tmp_path, "b", cache, data, models, fw2, keys)
    assert _Model.calls == 0  # every model stage came from the first point
    assert second.step_note.startswith("test-set scores and metrics of the float, pruned, quantized model reused")
    alone = _build(tmp_path, "c", None, data, models, fw2, keys)
    assert _Model.calls == 3 and alone.step_note == ""
    assert _text(second.metrics) == _text(alone.metrics)
    assert list(second.scores) == ["float", "pruned", "quantized", "firmware"]
    for k in second.scores:
        np.testing.assert_array_equal(second.scores[k], alone.scores[k])
    # another pruning (another prune key, and so another QAT key): the float stage alone is reused
    _Model.calls = 0
    other = _build(tmp_path, "d", cache, data, models, fw2, {**keys, "prune": "p2", "quantize": "q2"})
    assert _Model.calls == 2 and "of the float model reused" in other.step_note
    # a damaged entry: found, never used, computed again and stored anew
    from codesign.steps.verify import _stage_sharing

    stored, stage_keys = _stage_sharing(*_point(tmp_path, "e", cache, data, models, fw2, keys))
    qkey = stage_keys["quantized"]
    meta = stored.entry(qkey) / stage_reuse.files("quantized")[0]
    edited = json.loads(meta.read_text())
    edited["metrics"]["accuracy"] = 1.0
    meta.write_text(json.dumps(edited))
    _Model.calls = 0
    again = _build(tmp_path, "e", cache, data, models, fw2, keys)
    assert _Model.calls == 1 and "quantized model's scores did not match its digest" in again.step_note
    assert _text(again.metrics) == _text(alone.metrics)
    assert stage_reuse.read(stored.entry(qkey), qkey, "quantized") is not None  # stored anew, valid
