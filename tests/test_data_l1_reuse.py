"""``produce_l1(reuse=...)`` / ``codesign data l1 --reuse``: the unchanged chunks of an earlier file are taken, not
generated, and the output equals a full regeneration (tiny event counts; QCD faked where its cost would matter)."""

from __future__ import annotations

from dataclasses import replace

import h5py
import numpy as np
import pytest

pytest.importorskip("pythia8mc")

import codesign.data.l1 as l1  # noqa: E402
from codesign.data import read_l1  # noqa: E402
from codesign.data.detector import DetectorModel  # noqa: E402
from codesign.data.hdf5io import read_attrs  # noqa: E402
from codesign.data.l1 import QCD, SUBPROCESS_NAMES, L1Config  # noqa: E402
from codesign.data.production import produce_l1  # noqa: E402
from codesign.errors import DataError  # noqa: E402

SIG = {"background": 6, "ato4l": 3}


def _produce(path, config=None, per_process=None, seed=3, **kw):
    per = per_process or SIG
    return produce_l1(path, per["background"], tuple(per), seed, config or L1Config(), 1, per, progress=False,
                      chunk_size=4, **kw)  # fmt: skip


def _only(allowed, real):
    """A generate_l1_chunk that fails for the labels that should have been reused."""

    def generate(label, *args, **kwargs):
        if label not in allowed:
            raise AssertionError(f"{label} was generated although the reused file holds it")
        return real(label, *args, **kwargs)

    return generate


def _fake_qcd(n, seed, config, progress=None):
    """Stand-in for the costly QCD b-bbar generation: seeded events and generation weights."""
    rng = np.random.default_rng(seed)
    particles = np.zeros((n, 19, 4), np.float32)
    particles[:, 5] = np.stack([rng.uniform(24, 60, n), rng.uniform(-2, 2, n), rng.uniform(-3, 3, n), np.full(n, 3)], 1)
    return l1.L1Chunk(particles, np.full(n, SUBPROCESS_NAMES.index(QCD)), 10 * n, rng.uniform(0.001, 0.01, n))


def test_reuse_takes_every_unchanged_chunk_and_gives_the_same_file(tmp_path, monkeypatch):
    first = _produce(tmp_path / "a.h5")
    real = l1.generate_l1_chunk
    monkeypatch.setattr(l1, "generate_l1_chunk", _only((), real))
    again = _produce(tmp_path / "b.h5", reuse=first)
    a, b = read_l1(first), read_l1(again)
    np.testing.assert_array_equal(a.particles, b.particles)
    np.testing.assert_array_equal(a.subprocess, b.subprocess)
    old, new = read_attrs(first), read_attrs(again)
    assert new["events_tried"] == old["events_tried"] and new["counts"] == old["counts"]
    assert new["reused_from"]["events"] == old["counts"] and new["reused_from"]["file"] == "a.h5"
    assert new["cpu_seconds"] == {} and set(old["cpu_seconds"]) == set(old["counts"])
    # a changed count is generated, the rest still reused: the background events are the same events
    monkeypatch.setattr(l1, "generate_l1_chunk", _only(("ato4l",), real))
    more = read_l1(_produce(tmp_path / "c.h5", per_process={"background": 6, "ato4l": 5}, reuse=first))
    assert len(more.select("ato4l")) == 5
    rows = lambda s: sorted(map(bytes, s.background().particles))  # noqa: E731
    assert rows(more) == rows(a)
    assert read_attrs(tmp_path / "c.h5")["reused_from"]["events"] == {k: v for k, v in old["counts"].items() if k != "ato4l"}


def test_reuse_adds_qcd_exactly_as_a_full_regeneration(tmp_path, monkeypatch):
    monkeypatch.setattr(l1, "_generate_qcd_chunk", _fake_qcd)
    qcd = L1Config(include_qcd=True)
    first = produce_l1(tmp_path / "a.h5", 8, ("background",), 3, qcd, 1, {"background": 8}, progress=False,
                       chunk_size=4, n_qcd=2)  # fmt: skip
    full = produce_l1(tmp_path / "full.h5", 10, ("background",), 3, qcd, 1, {"background": 10}, progress=False,
                      chunk_size=4, n_qcd=4)  # fmt: skip
    monkeypatch.setattr(l1, "generate_l1_chunk", _only((QCD,), l1.generate_l1_chunk))
    added = produce_l1(tmp_path / "b.h5", 10, ("background",), 3, qcd, 1, {"background": 10}, progress=False,
                       chunk_size=4, n_qcd=4, reuse=first)  # fmt: skip
    f, b = read_l1(full), read_l1(added)
    np.testing.assert_array_equal(f.particles, b.particles)
    np.testing.assert_array_equal(f.weights, b.weights)
    is_qcd = b.subprocess == SUBPROCESS_NAMES.index(QCD)
    assert is_qcd.sum() == 4 and b.weights[is_qcd].sum() == pytest.approx(0.338 / (1 - 0.003) * 10, rel=1e-12)  # no ttbar event
    assert QCD not in read_attrs(added)["reused_from"]["events"]


def _fake_chunk(label, n, seed, config, progress=None):
    """Stand-in for every sub-process (the bookkeeping is under test, not Pythia): seeded events, QCD weighted."""
    if label == QCD:
        return _fake_qcd(n, seed, config)
    rng = np.random.default_rng(seed)
    particles = np.zeros((n, 19, 4), np.float32)
    particles[:, 1] = np.stack([rng.uniform(24, 60, n), rng.uniform(-2, 2, n), rng.uniform(-3, 3, n), np.full(n, 2)], 1)
    return l1.L1Chunk(particles, np.full(n, SUBPROCESS_NAMES.index(label)), 3 * n + int(rng.integers(0, 5)))


def test_reuse_keeps_qcd_and_the_first_signal_chunks_when_only_a_signal_grows(tmp_path, monkeypatch):
    monkeypatch.setattr(l1, "generate_l1_chunk", _fake_chunk)
    qcd = L1Config(include_qcd=True)
    per = {"background": 40, "ato4l": 8}
    first = produce_l1(tmp_path / "a.h5", 40, tuple(per), 3, qcd, 1, per, progress=False, chunk_size=4, n_qcd=8)
    more = {"background": 40, "ato4l": 14}
    full = produce_l1(tmp_path / "full.h5", 40, tuple(more), 3, qcd, 1, more, progress=False, chunk_size=4, n_qcd=8)
    generated = []

    def only_new_signal(label, n, seed, *args, **kwargs):
        generated.append((label, n))
        if label != "ato4l":
            raise AssertionError(f"{label} was generated although the reused file holds it")
        return _fake_chunk(label, n, seed, *args, **kwargs)

    monkeypatch.setattr(l1, "generate_l1_chunk", only_new_signal)
    added = produce_l1(tmp_path / "b.h5", 40, tuple(more), 3, qcd, 1, more, progress=False, chunk_size=4, n_qcd=8,
                       reuse=first)  # fmt: skip
    assert generated == [("ato4l", 4), ("ato4l", 2)]  # chunks 0-1 of ato4l (8 events) reused, 2-3 (6) generated
    f, b, a = read_l1(full), read_l1(added), read_l1(first)
    np.testing.assert_array_equal(f.particles, b.particles)
    np.testing.assert_array_equal(f.weights, b.weights)
    # every event of the first file is in the new one, particles and weight byte for byte (QCD weights included)
    rows = lambda s: sorted(bytes(p) + np.float64(w).tobytes() for p, w in zip(s.particles, s.weights, strict=True))  # noqa: E731
    assert set(rows(a)) <= set(rows(b)) and len(rows(b)) == len(rows(a)) + 6
    old, new = read_attrs(first), read_attrs(added)
    assert new["events_tried"]["ato4l"] == read_attrs(full)["events_tried"]["ato4l"] > old["events_tried"]["ato4l"]
    assert new["events_tried"][QCD] == old["events_tried"][QCD]
    assert new["reused_from"]["events"] == {**old["counts"], "ato4l": 8}


def test_reuse_regenerates_a_signal_whose_last_chunk_was_partial(tmp_path, monkeypatch):
    monkeypatch.setattr(l1, "generate_l1_chunk", _fake_chunk)
    first = _produce(tmp_path / "a.h5", per_process={"background": 1, "ato4l": 2})
    generated = []

    def spy(label, n, *args, **kwargs):
        generated.append((label, n))
        return _fake_chunk(label, n, *args, **kwargs)

    monkeypatch.setattr(l1, "generate_l1_chunk", spy)
    _produce(tmp_path / "b.h5", per_process={"background": 1, "ato4l": 3}, reuse=first)
    assert generated == [("ato4l", 3)]  # chunks of 4: the old 2 events were a partial chunk, not the new chunk of 3


def test_reuse_refuses_files_it_cannot_reproduce(tmp_path):
    first = _produce(tmp_path / "a.h5")
    with pytest.raises(DataError, match="same seed"):
        _produce(tmp_path / "s.h5", seed=4, reuse=first)
    assert not (tmp_path / "s.h5.parts").exists()  # a refusal leaves no parts folder: the next run needs no --force
    other = L1Config(detector=replace(DetectorModel(), trigger_lepton_pt=25.0))
    with pytest.raises(DataError, match="'detector'"):
        _produce(tmp_path / "d.h5", config=other, reuse=first)
    with h5py.File(first, "r+") as fh:  # swap a background and a signal event: no longer the shuffled chunks
        p, proc, sub = fh["Particles"][()], fh["Process"][()], fh["Subprocess"][()]
        i, j = int(np.argmax(proc == 0)), int(np.argmax(proc == 1))
        for key, arr in (("Particles", p), ("Process", proc), ("Subprocess", sub)):
            arr[[i, j]] = arr[[j, i]]
            fh[key][...] = arr
    with pytest.raises(DataError, match="cannot be reused"):
        _produce(tmp_path / "t.h5", reuse=first, force=True)
    with h5py.File(first, "r+") as fh:
        del fh.attrs["generation_config"]
    with pytest.raises(DataError, match="no generation settings"):
        _produce(tmp_path / "u.h5", reuse=first, force=True)


def test_final_lepton_pre_pass_keeps_exactly_the_events_could_fire_keeps():
    """The cheap pass over the Pythia record and could_fire on the copied particles agree event by event."""
    from codesign.data.detector import LEPTON_PRESELECTION, could_fire
    from codesign.data.pythia import final_state, has_final_lepton, make_pythia

    model = DetectorModel()
    pythia = make_pythia(l1.PROCESS_SETTINGS["w_lnu"], 11)
    decisions = []
    for _ in range(60):
        if pythia.next():
            fast = has_final_lepton(pythia.event, LEPTON_PRESELECTION * model.trigger_lepton_pt)
            decisions.append((fast, could_fire(final_state(pythia.event), model)))
    fast, slow = np.array(decisions).T
    assert 0 < slow.sum() < len(slow)  # both outcomes occur in W -> l nu (taus, acceptance)
    np.testing.assert_array_equal(fast, slow)


def test_shipped_l1_has_qcd_at_the_adc2021_weight_and_records_how_it_was_made():
    from codesign.data import SHIPPED_L1

    if not SHIPPED_L1.is_file():
        pytest.skip("shipped L1 sample not present")
    bkg = read_l1(SHIPPED_L1).background()
    w = bkg.event_weights
    qcd = bkg.subprocess == SUBPROCESS_NAMES.index(QCD)
    assert qcd.sum() >= 5100 and w[qcd].sum() / w.sum() == pytest.approx(0.338, rel=1e-9)
    attrs = read_attrs(SHIPPED_L1)
    assert "--with-qcd" in attrs["codesign_command"] and f"--n-qcd {int(qcd.sum())}" in attrs["codesign_command"]
    assert len(attrs["reused_from"]["sha256"]) == 64
    # the QCD's cost is in cpu_seconds when this file generated it, else (reused) in the recorded history of steps
    qcd_cpu = attrs["cpu_seconds"].get(QCD) or sum(h.get("cpu_seconds", {}).get(QCD, 0) for h in attrs["generation_history"])
    assert qcd_cpu > 0
    # 5,000 A->4l events (item 4's tail at FPR 1e-3 rests on ~100 selected ones), generated by the recorded command
    assert attrs["counts"]["ato4l"] == 5000 and "--n-signal 5000" in attrs["codesign_command"]
    assert attrs["cpu_seconds"]["ato4l"] > 0 or attrs["reused_from"]["events"].get("ato4l") == 5000
    # the l1 specs' split (seed 0, 30,000 training then 20,000 test events): the test background is worth more than
    # 10,000 unweighted events, so FPR 1e-3 rests on at least 10 of them, and no single event weighs 1e-3 of it
    test = np.random.default_rng(0).permutation(len(bkg))[30000:50000]
    assert w[test].sum() ** 2 / np.sum(w[test] ** 2) > 10000 and w[test].max() / w[test].sum() < 1e-3
