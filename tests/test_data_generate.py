"""Tiny generations: layout, reproducibility, worker independence, resume, refusal to overwrite."""

from __future__ import annotations

import click
import h5py
import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("pythia8mc")
pytest.importorskip("fastjet")

from codesign.cli.data import register  # noqa: E402
from codesign.data import read_jets, read_l1  # noqa: E402
from codesign.data.generate import config_dict, plan_chunks, prepare_parts, run_chunks, split_counts  # noqa: E402
from codesign.data.jets import JetConfig  # noqa: E402
from codesign.data.l1 import L1Config  # noqa: E402
from codesign.data.layouts import JET_COLUMNS  # noqa: E402
from codesign.data.production import produce_jets, produce_l1  # noqa: E402
from codesign.data.summary import l1_summary  # noqa: E402
from codesign.errors import DataError  # noqa: E402

FEATURES = ("j1_ptrel", "j1_etarel", "j1_phirel")


def _cli():
    @click.group()
    def main() -> None:
        """Test group."""

    register(main)
    return main


def _jets(path, n=10, seed=5, workers=1, chunk_size=2, **kw):
    return produce_jets(
        path, n, seed, JetConfig(n_constituents=8), workers, FEATURES, "float32", ("w", "t"), progress=False,
        chunk_size=chunk_size, **kw,
    )


def test_split_and_plan_are_balanced_and_interleaved():
    assert split_counts(7, ["a", "b", "c"], [1, 1, 1]) == {"a": 3, "b": 2, "c": 2}
    assert sum(split_counts(1000, ["w", "z", "t"], [0.894, 0.101, 0.005]).values()) == 1000
    tasks = plan_chunks("jets", {"g": 5, "q": 5}, 1, JetConfig(), chunk_size=2)
    assert [(t.label, t.index, t.n) for t in tasks][:4] == [("g", 0, 2), ("q", 0, 2), ("g", 1, 2), ("q", 1, 2)]
    assert len({t.seed for t in tasks}) == len(tasks)


def test_jets_are_reproducible_and_independent_of_workers(tmp_path):
    a = read_jets(_jets(tmp_path / "a.h5"), 8)
    b = read_jets(_jets(tmp_path / "b.h5", workers=2), 8)
    np.testing.assert_array_equal(a.hlf, b.hlf)
    np.testing.assert_array_equal(a.constituents, b.constituents)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.labels.sum(axis=0).tolist() == [0, 0, 5, 0, 5]
    assert a.constituent_names == FEATURES
    assert np.all(np.isfinite(a.hlf))
    pt = a.constituents[:, :, 0]
    assert np.all(np.diff(pt, axis=1) <= 0), "constituents are pT-ordered"
    assert np.all((pt.sum(axis=1) > 0.2) & (pt.sum(axis=1) <= 1.0 + 1e-5)), "leading pT fractions of the jet"
    with h5py.File(tmp_path / "a.h5") as f:
        table = f["jets"][()]
        names = [n.decode() for n in f["jetFeatureNames"][()]]
    jet_pt = table[:, names.index("j_pt")]
    assert np.all((jet_pt >= 800) & (jet_pt <= 1200))
    c = read_jets(_jets(tmp_path / "c.h5", seed=6), 8)
    assert not np.array_equal(a.hlf, c.hlf)


def test_resume_keeps_finished_chunks_and_overwrite_needs_force(tmp_path):
    full = read_jets(_jets(tmp_path / "full.h5", n=6), 8)
    out = tmp_path / "resumed.h5"
    config = JetConfig(n_constituents=8)
    # An interrupted run: its manifest and the first two chunks of the plan are on disk.
    tasks = plan_chunks("jets", {"w": 3, "t": 3}, 5, config, chunk_size=2, label_codes={"w": 2, "t": 4})
    manifest = {"kind": "jets", "seed": 5, "chunk_size": 2, "config": config_dict(config)}
    parts = prepare_parts(out, manifest, resume=False, force=False)
    run_chunks(tasks[:2], parts, workers=1, unit="jet", progress=False)
    # Mark a kept chunk so that we can see it is reused, not regenerated.
    kept = parts / tasks[0].filename
    with np.load(kept) as data:
        arrays = dict(data)
    arrays["columns"][:, JET_COLUMNS.index("j_zlogz")] = -123.0
    np.savez(kept, **arrays)
    with pytest.raises(DataError, match="--resume"):
        _jets(out, n=6)
    resumed = read_jets(_jets(out, n=6, resume=True), 8)
    zlogz = resumed.feature("j_zlogz")
    assert np.sum(zlogz == -123.0) == 2
    np.testing.assert_array_equal(full.hlf[zlogz != -123.0], resumed.hlf[zlogz != -123.0])
    assert not parts.exists()
    with pytest.raises(DataError, match="already exists"):
        _jets(out, n=6)
    _jets(out, n=6, force=True)


def test_cli_jets_and_info(tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli.h5"
    args = ["data", "jets", "--n", "4", "--out", str(out), "--seed", "2", "--constituents", "4",
            "--features", "j1_ptrel,j1_deltaR", "--classes", "g,q", "--quiet"]
    result = runner.invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    with h5py.File(out) as f:
        command = f.attrs["codesign_command"]
    assert command.startswith("codesign data jets --n 4 --out") and "--features j1_ptrel,j1_deltaR" in command
    info = runner.invoke(_cli(), ["data", "info", str(out)])
    assert info.exit_code == 0 and "made by: codesign data jets" in info.output
    bad = runner.invoke(_cli(), ["data", "jets", "--n", "4", "--out", str(tmp_path / "x.h5"), "--features", "j1_bogus"])
    assert bad.exit_code != 0 and "j1_bogus" in bad.output


def test_l1_events_layout_and_trigger(tmp_path):
    path = produce_l1(
        tmp_path / "l1.h5", 6, ("background", "ato4l"), 3, L1Config(), 1, {"background": 6, "ato4l": 3},
        progress=False, chunk_size=4,
    )
    sample = read_l1(path)
    assert len(sample) == 9 and len(sample.background()) == 6 and sample.signal_names == ("ato4l",)
    p = sample.particles
    assert np.all(p[:, 0, 3] == 1) and np.all(p[:, 0, 1] == 0)
    for slots, kind in ((slice(1, 5), 2), (slice(5, 9), 3), (slice(9, 19), 4)):
        t = p[:, slots, 3]
        assert np.all((t == 0) | (t == kind))
        assert np.all(np.diff(p[:, slots, 0], axis=1) <= 0), "pT-ordered within each class"
    leptons = np.concatenate([p[:, 1:5, 0], p[:, 5:9, 0]], axis=1)
    assert np.all(leptons.max(axis=1) > 23.0), "every event passes the single-lepton trigger"
    assert np.all(p[:, 9:, 0][p[:, 9:, 3] == 4] > 15.0)
    again = read_l1(produce_l1(
        tmp_path / "l1b.h5", 6, ("background", "ato4l"), 3, L1Config(), 1, {"background": 6, "ato4l": 3},
        progress=False, chunk_size=4,
    ))
    np.testing.assert_array_equal(sample.particles, again.particles)
    summary = l1_summary(path)
    assert summary["per_process"]["background"]["n"] == 6 and summary["per_process"]["ato4l"]["n"] == 3
    assert abs(sum(summary["per_process"]["background"]["mixture"].values()) - 1.0) < 1e-9


def test_progress_counts_every_item_across_processes(tmp_path, capsys):
    """The shared counter behind the progress bar moves per jet, inside a chunk, from worker processes."""
    import multiprocessing

    from codesign.data import generate

    tasks = plan_chunks("jets", {"w": 3, "t": 2}, 5, JetConfig(n_constituents=8), chunk_size=3)
    counter = multiprocessing.get_context("spawn").Value("q", 0)
    generate._init_worker(counter)
    try:
        generate._run_chunk(tasks[0])
    finally:
        generate._init_worker(None)
    assert counter.value == tasks[0].n == 3
    parts = prepare_parts(tmp_path / "p.h5", {"kind": "jets"}, resume=False, force=False)
    files = run_chunks(tasks, parts, workers=2, unit="jet", progress=True)
    assert all(f.is_file() for f in files)
    assert "5/5" in capsys.readouterr().err


def test_workers_beyond_the_chunks_left_start_no_more_processes(tmp_path, monkeypatch):
    """--workers 10000 on a 10-jet file spawned 10000 interpreters (the machine ran out of memory): the pool holds
    at most one process per chunk left to make, and the file equals a one-worker run's."""
    import multiprocessing

    import codesign.data.generate as generate

    sizes = []
    real = multiprocessing.get_context

    class Recording:
        def __init__(self, ctx):
            self._ctx = ctx

        def __getattr__(self, name):
            return getattr(self._ctx, name)

        def Pool(self, processes=None, **kw):  # noqa: N802 (multiprocessing's name)
            sizes.append(processes)
            assert processes <= 2, f"a pool of {processes} processes for two chunks"  # fail before spawning them
            return self._ctx.Pool(processes=processes, **kw)

    monkeypatch.setattr(generate.multiprocessing, "get_context", lambda method=None: Recording(real(method)))
    wide = read_jets(_jets(tmp_path / "wide.h5", n=4, workers=10000), 8)
    assert sizes == [2], sizes  # 4 jets in chunks of 2: two chunks, two processes
    one = read_jets(_jets(tmp_path / "one.h5", n=4, workers=1), 8)
    np.testing.assert_array_equal(wide.hlf, one.hlf)
