"""``codesign data jets | l1`` refuses what it cannot do before any event is generated or any parts folder made
(generator packages missing, options the run would not use), and a file whose write was cut short is never read
back as a complete data set."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from click.testing import CliRunner

from codesign.cli import main
from codesign.data import hdf5io
from codesign.data import layouts as L
from codesign.errors import DataError


class _Absent:
    """A meta-path finder for which the named top-level modules do not exist (as in an environment without them)."""

    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@pytest.fixture
def without(monkeypatch):
    """Hide modules from import for one test: ``without("pythia8mc")``."""

    def hide(*names: str) -> None:
        for loaded in [m for m in sys.modules if m.split(".")[0] in names]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setattr(sys, "meta_path", [_Absent(set(names)), *sys.meta_path])

    return hide


@pytest.mark.parametrize("kind", ["jets", "l1"])
@pytest.mark.parametrize("missing", ["pythia8mc", "fastjet"])
def test_missing_generator_package_is_a_tool_error_before_any_parts_folder(kind, missing, without, tmp_path):
    without(missing)
    out = tmp_path / "f.h5"
    result = CliRunner().invoke(main, ["data", kind, "--n", "10", "--out", str(out), "--quiet"])
    assert result.exit_code == 5, result.output  # a missing tool, not an internal error (was 7)
    assert f"event generation needs {missing}==" in result.output and f"pip install {missing}==" in result.output
    assert "nothing was generated" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no f.h5.parts left to --resume or --force past


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["jets", "--classes", "g,q", "--boson-width", "zero"],
            "--boson-width: only the W and Z jets use it, and --classes g,q has neither",
        ),
        (
            ["jets", "--classes", "t", "--boson-process", "wprime", "--boson-decays", "udsc"],
            "--boson-process --boson-decays: only the W and Z jets use it",
        ),
        (["l1", "--n-signal", "5"], "--n-signal: 5: sets the events of signal processes, and --process background"),
        (
            ["jets", "--features", "none", "--dtype", "float16"],
            "--dtype: sets the stored constituent list's type, and --features none stores none",
        ),
        (["l1", "--qcd-rehadronize", "10"], "--qcd-rehadronize: --qcd-rehadronize: set the QCD part of the background"),
        (["l1", "--pileup-pool", "1000"], "--pileup-pool: --pileup-pool needs --pileup above 0"),
        # round nine: each was run as if it meant something else
        (["jets", "--features", ""], "--features: '' names no feature; accepted: all, none"),  # stored no list
        (["jets", "--features", "j1_ptrel,j1_ptrel"], "--features names j1_ptrel more than once"),  # stored twice
        (["l1", "--process", "background,background"], "--process names background more than once"),
        (["l1", "--n-process", "background=5", "--n-process", "background=6"],  # kept the last
         "--n-process: 'background=5' and 'background=6' both set background; accepted: one --n-process per process"),
        (["l1", "--pileup", "nan"], "--pileup: nan: accepted: a mean number of interactions from 0 to 1000"),
        (["jets", "--pt-max", "inf"], "--pt-min 800 --pt-max inf: the jet pT window [GeV]; accepted: finite numbers"),
        # round ten: resume won and the existing output was replaced without the restart --force asks for
        (["jets", "--resume", "--force"], "--resume --force: --resume keeps the finished chunks of an interrupted run "
         "and --force restarts it; accepted: one of the two"),
        (["l1", "--resume", "--force"], "--resume --force: --resume keeps the finished chunks"),
    ],
)
def test_an_option_the_run_would_not_use_is_refused(args, message, tmp_path):
    result = CliRunner().invoke(main, ["data", *args, "--n", "10", "--out", str(tmp_path / "f.h5"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output  # click wraps its message
    assert list(tmp_path.iterdir()) == []


def test_boson_options_with_a_boson_class_are_applied():
    from codesign.data.production import jet_config_from_options

    config = jet_config_from_options(800.0, 1200.0, 150, boson_process="wprime", boson_width="zero")
    assert config.boson_process == "wprime" and config.boson_width == "zero"
    settings = config.pythia_settings("w")  # what the W class's Pythia runs with
    assert "NewGaugeBoson:ffbar2Wprime = on" in settings and "24:mWidth = 0.001" in settings


def _table(n: int = 50) -> np.ndarray:
    table = np.zeros((n, len(L.JET_COLUMNS)), np.float32)
    table[np.arange(n), [L.JET_COLUMNS.index(L.LABEL_COLUMNS[i % 5]) for i in range(n)]] = 1
    return table


def test_a_write_cut_short_is_refused_by_every_reader(tmp_path, monkeypatch):
    """Ctrl-C while the merged file is written (after its arrays, before its attributes): the arrays alone read as a
    complete data set before; the file still carries the writer's marker and every reader refuses it."""
    from codesign.data.summary import summarize

    def interrupted(handle, attrs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hdf5io, "_write_attrs", interrupted)
    out = tmp_path / "j.h5"
    with pytest.raises(KeyboardInterrupt):
        hdf5io.write_jets(out, _table(), L.JET_COLUMNS, None, (), attrs={"codesign_command": "codesign data jets"})
    tmp = tmp_path / "j.h5.tmp"
    assert not out.exists() and tmp.is_file()
    with pytest.raises(
        DataError, match=r"j\.h5: no such file \(left by an interrupted `codesign data` run .*j\.h5\.tmp"
    ):
        hdf5io.read_jets(out)
    for read in (hdf5io.read_jets, hdf5io.read_attrs, summarize):
        with pytest.raises(DataError, match=r"j\.h5\.tmp: incomplete: writing this file was interrupted"):
            read(tmp)


def test_a_finished_write_has_no_marker_and_reads_back(tmp_path):
    out = hdf5io.write_jets(tmp_path / "j.h5", _table(), L.JET_COLUMNS, None, (), attrs={"codesign_command": "x"})
    assert L.ATTR_INCOMPLETE not in hdf5io.read_attrs(out)
    np.testing.assert_array_equal(hdf5io.read_jets(out).labels, _table()[:, [L.JET_COLUMNS.index(c) for c in
                                                                             L.LABEL_COLUMNS]])  # fmt: skip
    particles = np.zeros((4, L.N_L1_OBJECTS, 4), np.float32)
    l1 = hdf5io.write_l1(tmp_path / "l1.h5", particles, np.zeros(4, np.int64), L.L1_PROCESSES)
    assert L.ATTR_INCOMPLETE not in hdf5io.read_attrs(l1) and len(hdf5io.read_l1(l1).particles) == 4


def test_memory_limit_is_the_merge_of_the_arrays(monkeypatch):
    """The bound is this machine's memory over the merge's copies of the arrays, so n just under it is accepted."""
    from codesign.data import production

    monkeypatch.setattr(production.os, "sysconf", lambda key: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1000}[key])
    per_item = 100
    most = 4096 * 1000 // (production.MERGE_COPIES * per_item)
    production.check_memory(most, per_item, "jet", "or fewer")
    with pytest.raises(DataError, match=rf"accepted: at most {most:,} jets per file here"):
        production.check_memory(most + 1, per_item, "jet", "or fewer")


def test_data_path_names_the_leftovers_of_an_interrupted_run(tmp_path):
    (tmp_path / "j.h5.parts").mkdir()
    assert "j.h5.parts" in hdf5io.interrupted_hint(tmp_path / "j.h5")
    assert hdf5io.interrupted_hint(tmp_path / "other.h5") == ""
