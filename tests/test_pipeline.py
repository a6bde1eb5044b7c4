"""The step runner: order, timing records, cache reuse, invalidation downstream of a change, --force."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from codesign.durable import record_report_digest
from codesign.errors import BitAccuracyError
from codesign.parts import resolve_part
from codesign.pipeline import BuildContext, BuildState, Step, require_bit_exact, run_steps


class Counting(Step):
    """A cacheable step that appends its name to the notes and persists a file."""

    def __init__(self, name: str, config: dict, runs: list[str]):
        self.name, self.config, self.runs = name, config, runs

    def inputs(self, ctx):
        return self.config.get(self.name)

    def run(self, ctx, state):
        self.runs.append(self.name)
        return state.note(self.name)

    def save(self, ctx, state):
        ctx.path(f"{self.name}.out").write_text(self.name)

    def load(self, ctx, state):
        path = ctx.path(f"{self.name}.out")
        return state.note(path.read_text()) if path.is_file() else None


class Cheap(Step):
    name = "cheap"

    def __init__(self, runs):
        self.runs = runs

    def run(self, ctx, state):
        self.runs.append(self.name)
        return state


def _ctx(tmp_path, force=False):
    return BuildContext(spec=None, hls4ml_config=None, part=resolve_part("xcvu9p"), out_dir=tmp_path, force=force)


def _steps(config, runs):
    return [Counting("a", config, runs), Cheap(runs), Counting("b", config, runs), Counting("c", config, runs)]


def test_steps_run_in_order_and_are_reused(tmp_path, monkeypatch):
    monkeypatch.setattr("codesign.pipeline.input_file_digests", lambda ctx: {})
    config, runs = {"a": 1, "b": 1, "c": 1}, []
    state = run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["a", "cheap", "b", "c"]
    assert [r.name for r in state.records] == ["a", "cheap", "b", "c"]
    assert not any(r.cached for r in state.records)
    assert state.notes == ("a", "b", "c")

    runs.clear()
    state = run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["cheap"]  # cheap steps always rerun; cacheable ones are loaded
    assert [r.cached for r in state.records] == [True, False, True, True]
    assert state.notes == ("a", "b", "c")
    times = json.loads((tmp_path / ".codesign" / "steps.json").read_text())
    assert [t["name"] for t in times] == ["a", "cheap", "b", "c"]


def test_a_change_reruns_that_step_and_everything_after(tmp_path, monkeypatch):
    monkeypatch.setattr("codesign.pipeline.input_file_digests", lambda ctx: {})
    config, runs = {"a": 1, "b": 1, "c": 1}, []
    run_steps(_ctx(tmp_path), _steps(config, runs))
    runs.clear()
    config["b"] = 2
    run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["cheap", "b", "c"]


def test_missing_artefact_reruns_and_force_reruns_all(tmp_path, monkeypatch):
    monkeypatch.setattr("codesign.pipeline.input_file_digests", lambda ctx: {})
    config, runs = {"a": 1, "b": 1, "c": 1}, []
    run_steps(_ctx(tmp_path), _steps(config, runs))
    (tmp_path / "b.out").unlink()
    runs.clear()
    run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["cheap", "b", "c"]
    runs.clear()
    run_steps(_ctx(tmp_path, force=True), _steps(config, runs))
    assert runs == ["a", "cheap", "b", "c"]


def test_input_file_change_invalidates(tmp_path, monkeypatch):
    digest = {"data.h5": "x"}
    monkeypatch.setattr("codesign.pipeline.input_file_digests", lambda ctx: dict(digest))
    config, runs = {"a": 1, "b": 1, "c": 1}, []
    run_steps(_ctx(tmp_path), _steps(config, runs))
    digest["data.h5"] = "y"
    runs.clear()
    run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["a", "cheap", "b", "c"]


def test_require_bit_exact():
    ok = replace(BuildState(), bit_accuracy={"exact": True})
    require_bit_exact(ok)
    require_bit_exact(replace(BuildState(), bit_accuracy={"exact": None}))  # float model: no reference
    bad = replace(BuildState(), bit_accuracy={"exact": False, "n_mismatch": 3, "n_samples": 10, "reference": "QKeras"})
    with pytest.raises(BitAccuracyError, match="3 of 10"):
        require_bit_exact(bad)
    # the two C-simulation paths disagreeing fails the build even for a float model (no reference)
    split = {"exact": None, "library_vs_testbench": {"exact": False, "n_mismatch": 2, "n_samples": 10}}
    with pytest.raises(BitAccuracyError, match="library and the g\\+\\+ testbench disagree on 2 of 10"):
        require_bit_exact(replace(BuildState(), bit_accuracy=split))


def test_up_to_date_build_reads_the_report_back(tmp_path, monkeypatch):
    monkeypatch.setattr("codesign.pipeline.input_file_digests", lambda ctx: {})
    config, runs = {"a": 1, "b": 1, "c": 1}, []
    run_steps(_ctx(tmp_path), _steps(config, runs))
    # no report.json yet: not up to date, cached steps are loaded and cheap ones rerun
    runs.clear()
    run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["cheap"]
    report = json.dumps({"bit_accuracy": {"exact": True}, "notes": ["n"]})
    (tmp_path / "report.json").write_text(report)
    runs.clear()  # a report.json codesign did not write (no digest): never read back as the build's verdict
    assert run_steps(_ctx(tmp_path), _steps(config, runs)).bit_accuracy is None and runs == ["cheap"]
    assert not (tmp_path / "report.json").exists()  # removed when the build started, as any rebuild does
    (tmp_path / "report.json").write_text(report)
    record_report_digest(tmp_path)  # as the report step does after writing it
    runs.clear()
    state = run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == []
    assert all(r.cached for r in state.records) and state.bit_accuracy == {"exact": True}
    # edited by hand (a verdict flipped), or report.md damaged: the steps run again instead of trusting it
    for name, text in (("report.json", json.dumps({"bit_accuracy": {"exact": False}})), ("report.md", "edited")):
        (tmp_path / "report.json").write_text(report)
        record_report_digest(tmp_path)
        (tmp_path / name).write_text(text)
        runs.clear()
        assert run_steps(_ctx(tmp_path), _steps(config, runs)).bit_accuracy is None and runs == ["cheap"], name
    config["c"] = 2  # any change: not up to date any more
    runs.clear()
    run_steps(_ctx(tmp_path), _steps(config, runs))
    assert runs == ["cheap", "c"]


def test_shipped_files_are_found_in_an_install_without_a_checkout(tmp_path, monkeypatch):
    """A wheel install has no repository around the package: the shipped files come from <prefix>/share."""
    from codesign import resources

    share = tmp_path / "share" / "codesign"
    (share / "firmware_templates").mkdir(parents=True)
    (share / "firmware_templates" / "testbench.cpp.tmpl").write_text("// t")
    monkeypatch.setattr(resources, "REPO_ROOT", tmp_path / "no_checkout")
    monkeypatch.setattr(resources, "SHARE_ROOT", share)
    assert resources.shipped_path("firmware_templates", "testbench.cpp.tmpl") == share / "firmware_templates" / "testbench.cpp.tmpl"
    # missing everywhere: the checkout's path, which the error that follows names
    assert resources.shipped_path("models", "data") == tmp_path / "no_checkout" / "models" / "data"
