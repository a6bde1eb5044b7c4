"""Files that are not what they claim and options given twice, where the catalogue's rows (tests/bad_inputs/) cannot
say it: a YAML byte-order mark and aliases read as the same spec, the alias count against a count of the built
object, a usage error of click, a data file another process holds open, an --out whose user files stay as they
were, and `codesign check` on a scan folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from codesign.cli import main
from codesign.errors import SpecError
from codesign.spec.load import load_spec
from codesign.steps.model import TrainFloat
from codesign.yamlio import MAX_NODES, expanded_size, read_yaml_file

SPEC = {"name": "files", "data": {"source": "jets_hlf", "n_train": 200, "n_test": 100},
        "model": {"family": "mlp", "hidden": [4]}, "train": {"epochs": 1}, "quantize": {"bits": 6, "integer": 0}}  # fmt: skip


class _Trained(Exception):
    """Raised where the float training would start: the input got past every check (the command line reports it
    as an internal error naming the class)."""


def _stop_training(monkeypatch) -> None:
    def stop(self, ctx, state):
        raise _Trained

    monkeypatch.setattr(TrainFloat, "run", stop)


def _count(obj) -> int:
    """Values in a built YAML document, aliases counted per use (the object tree walked, not the YAML nodes)."""
    if isinstance(obj, dict):
        return 1 + sum(_count(k) + _count(v) for k, v in obj.items())
    if isinstance(obj, list):
        return 1 + sum(_count(v) for v in obj)
    return 1


@pytest.mark.parametrize("text", [
    "a: 1\n",
    "a: &x [1, 2, {b: 3}]\nc: *x\nd: [*x, *x]\n",
    "t: &t {epochs: 1, batch_size: 64}\nu: {v: *t, w: [*t, *t, *t]}\n",
    "l0: &l0 [x, x, x]\nl1: &l1 [*l0, *l0, *l0]\nl2: &l2 [*l1, *l1, *l1]\nl3: [*l2, *l2]\n",
    "- just\n- a\n- list\n",
])  # fmt: skip
def test_alias_expansion_count_equals_a_count_of_the_built_object(text: str):
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    assert expanded_size(node) == _count(yaml.safe_load(text))


def test_alias_bomb_is_refused_before_it_is_built(tmp_path: Path):
    levels = ["&a [x, x, x, x, x, x, x, x, x]"] + [
        f"&{chr(98 + k)} [" + ", ".join([f"*{chr(97 + k)}"] * 9) + "]" for k in range(8)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("name: b\nmodel: {family: mlp, hidden: [" + ", ".join(levels) + "]}\n")
    with pytest.raises(SpecError, match=rf"bomb.yaml: its YAML aliases .* more than {MAX_NODES:,} values"):
        read_yaml_file(path)


def test_byte_order_mark_and_aliases_read_as_the_plain_spec(tmp_path: Path):
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    aliased = tmp_path / "aliased.yaml"
    aliased.write_text("name: files\ndata: {source: jets_hlf, n_train: 200, n_test: 100}\n"
                       "model: {family: mlp, hidden: &width [4]}\ntrain: {epochs: &one 1}\n"
                       "quantize: {bits: 6, integer: 0}\n")  # fmt: skip
    want = load_spec(plain)
    assert load_spec(bom) == want
    assert load_spec(aliased) == want


@pytest.mark.parametrize("args, option, values", [
    (["build", "{spec}", "--part", "xcvu9p", "--part", "xcu250", "--out", "{tmp}/o"], "--part", "'xcvu9p', then 'xcu250'"),
    (["build", "{spec}", "--part", "xcvu9p", "--out", "{tmp}/a", "--out={tmp}/b"], "--out", "a', then '"),
    (["scan", "{tmp}/s.yaml", "--out", "{tmp}/sc", "--workers", "1", "--workers", "2"], "--workers", "'1', then '2'"),
    (["check", "{tmp}/b", "--n", "5", "--n", "9"], "--n", "'5', then '9'"),
    (["data", "jets", "--n", "10", "--out", "{tmp}/j.h5", "--n", "20"], "--n", "'10', then '20'"),
    (["estimate", "{tmp}/p", "--part", "xcvu9p", "--part", "xcu250"], "--part", "'xcvu9p', then 'xcu250'"),
])  # fmt: skip
def test_an_option_given_twice_is_refused_naming_both_values(args, option, values, tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    args = [a.replace("{spec}", str(spec)).replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"option {option} given 2 times" in result.output and values in result.output, result.output
    assert "accepted: the option once" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]  # nothing made


@pytest.mark.parametrize("args, option, value", [
    (["build", "{spec}", "--out", "--part", "xcvu9p"], "--out", "--part"),
    (["build", "{spec}", "--part", "xcvu9p", "--out=-o"], "--out", "-o"),
    (["build", "{spec}", "--part", "--out", "{tmp}/o"], "--part", "--out"),
    (["scan", "{tmp}/s.yaml", "--out", "--workers", "2"], "--out", "--workers"),
    (["check", "{tmp}/b", "--junit", "--trace"], "--junit", "--trace"),
    (["estimate", "{tmp}/p", "--out", "-j"], "--out", "-j"),
    (["data", "jets", "--out", "--n", "10"], "--out", "--n"),
])  # fmt: skip
def test_an_option_as_the_value_of_another_is_refused_naming_both(args, option, value, tmp_path: Path, monkeypatch):
    """`--out --part xcvu9p` built into a folder named '--part' (and then failed for want of a part, or not): a
    value starting with '-' given to a path option, or another option's name given as a value, is a usage error."""
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    args = [a.replace("{spec}", str(spec)).replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"option {option} got '{value}' as its value, which looks like an option" in result.output, result.output
    assert "accepted:" in result.output and sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_a_negative_number_and_a_path_written_dot_slash_dash_are_still_values(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["data", "jets", "--out", "x.h5", "--n", "10", "--pt-min", "-5"])
    assert result.exit_code == 2 and "--pt-min -5 --pt-max 1200: the jet pT window" in result.output, result.output
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    _stop_training(monkeypatch)
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", "./-o"])
    assert isinstance(result.exception, _Trained) or "_Trained" in result.output, result.output
    assert (tmp_path / "-o" / ".codesign").is_dir()


def test_a_flag_given_twice_is_applied_once(tmp_path: Path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "b"), "--trace", "--trace"])
    assert result.exit_code == 2 and "no such build folder" in result.output, result.output


def test_a_data_file_another_process_holds_open_for_writing(tmp_path: Path, monkeypatch):
    import h5py
    import numpy as np

    data = tmp_path / "data.h5"
    with h5py.File(data, "w") as fh:
        fh["x"], fh["y"] = np.zeros((400, 8), np.float32), np.arange(400) % 2
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "data": {"path": "data.h5", "inputs": "x", "labels": "y",
                                                     "n_train": 200, "n_test": 100}}))  # fmt: skip
    _stop_training(monkeypatch)
    holder = subprocess.Popen([sys.executable, "-c", "import h5py, sys, time; f = h5py.File(sys.argv[1], 'a'); "
                               "print('open', flush=True); time.sleep(120)", str(data)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        for args in (
            ["build", str(spec), "--part", "xcvu9p", "--out", str(tmp_path / "o")],
            ["data", "info", str(data)],
        ):
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 2, result.output
            assert f"{data}: " in result.output and "another program holds this file open for writing" in result.output
    finally:
        holder.kill()
        holder.wait()
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", str(tmp_path / "o")])
    assert "_Trained" in result.output, result.output  # the writer gone, the same file reads


def test_out_with_the_users_files_keeps_them_and_a_folder_with_only_the_spec_builds(tmp_path: Path, monkeypatch):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    mine = {"report.md": b"my notes\n", "report.json": b"{}", "models/float.h5": b"weights", "notes.txt": b"n"}
    for rel, content in mine.items():
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(content)
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "spec.yaml"), "--part", "xcvu9p", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert "report.json, report.md, models" in result.output and "not a codesign output folder" in result.output
    assert {rel: (tmp_path / rel).read_bytes() for rel in mine} == mine
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "models",
        "notes.txt",
        "report.json",
        "report.md",
        "spec.yaml",
    ]
    # a folder holding only the spec and the user's notes is not refused: the build starts there
    own = tmp_path / "own"
    own.mkdir()
    (own / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (own / "notes.txt").write_text("n")
    _stop_training(monkeypatch)
    result = CliRunner().invoke(main, ["build", str(own / "spec.yaml"), "--part", "xcvu9p", "--out", str(own)])
    assert "_Trained" in result.output, result.output  # stopped at the training: every check before it passed
    assert (own / "notes.txt").read_text() == "n"


def test_check_of_a_scan_folder_names_it_and_its_points(tmp_path: Path):
    sc = tmp_path / "sc"
    (sc / "points" / "p0001").mkdir(parents=True)
    (sc / "points" / "p0001" / "report.json").write_text("{}")
    (sc / ".codesign").mkdir()
    (sc / "scan.json").write_text("{}")
    result = CliRunner().invoke(main, ["check", str(sc)])
    assert result.exit_code == 2, result.output
    assert f"{sc}: a scan folder (scan.json), not a build" in result.output, result.output
    assert f"{sc / 'points' / 'p0001'}" in result.output
