"""Bad arguments of the Python API (``codesign.build``, ``codesign.check``, ``codesign.scan.run_scan``) and of
``codesign check SPEC``: a SpecError naming the argument and what is accepted, raised before any work (a spec's
build included); never a setting read the wrong way (``force='no'`` is truthy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codesign.errors import SpecError

SPEC = {"name": "api_bad", "model": {"family": "mlp", "hidden": [4]}, "quantize": {"bits": 6}}


@pytest.mark.parametrize("flag", ["force", "synth", "trust_model_code", "rtl", "plots"])
@pytest.mark.parametrize("value", ["no", 0, None])
def test_build_flags_are_booleans(flag: str, value, tmp_path: Path):
    import codesign

    with pytest.raises(SpecError, match=rf"codesign.build: {flag} must be True or False, got {value!r}"):
        codesign.build(SPEC, part="xcvu9p", out=tmp_path / "o", **{flag: value})
    assert not (tmp_path / "o").exists()  # refused before the build folder is made


def test_build_out_must_be_a_path(tmp_path: Path):
    import codesign

    with pytest.raises(SpecError, match=r"out must be a folder path \(str or Path\), got 5"):
        codesign.build(SPEC, part="xcvu9p", out=5)  # type: ignore[arg-type]


def test_build_cache_dir_that_is_a_file(tmp_path: Path):
    import codesign

    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(SpecError, match=r"cache_dir .*cache: is a file, not a folder \(accepted: "):
        codesign.build(SPEC, part="xcvu9p", out=tmp_path / "o", cache_dir=tmp_path / "cache")


def test_check_trace_is_a_boolean(tmp_path: Path):
    import codesign

    with pytest.raises(SpecError, match=r"codesign.check: trace must be True or False, got 'no'"):
        codesign.check(tmp_path, trace="no")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs, message",
    [  # round ten: each was a TypeError (exit 7)
        ({"junit": 5}, "codesign.check: junit 5: accepted: a file path (str or Path), or None"),
        ({"progress": 5}, "codesign.check: progress must be a function taking one line of text, or None; got 5"),
    ],
)
def test_check_refuses_a_junit_or_progress_of_another_type(kwargs, message, tmp_path: Path):
    import codesign

    with pytest.raises(SpecError, match=re.escape(message)):
        codesign.check(tmp_path, **kwargs)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--junit", "{tmp}/afile/c.xml"], "--junit {tmp}/afile/c.xml: a parent of this path is a file"),
        (["--n", "0"], "--n 0: the number of inputs must be an integer >= 1"),
        (["--seed", "-1"], "--seed -1: accepted: an integer >= 0"),
    ],
)
def test_check_of_a_spec_refuses_its_arguments_before_the_build(extra, message, tmp_path: Path, monkeypatch):
    from click.testing import CliRunner

    import codesign.api as api
    from codesign.cli import main

    def no_build(*_a, **_k):
        raise AssertionError("the spec was built before the check's arguments were checked")

    monkeypatch.setattr(api, "run_build", no_build)
    (tmp_path / "spec.yaml").write_text("name: x\n")
    (tmp_path / "afile").write_text("not a folder")
    args = ["check", str(tmp_path / "spec.yaml"), *(a.replace("{tmp}", str(tmp_path)) for a in extra)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"codesign: error: {message.replace('{tmp}', str(tmp_path))}" in result.output


def test_vendor_flow_line_is_a_command_that_works_in_a_folder_with_spaces(tmp_path: Path, capsys):
    """The line a build prints to run the vendor flow, pasted into a shell, goes into the build's hls/ folder also
    when the path has spaces and non-ASCII characters (it was printed unquoted)."""
    import shlex
    from types import SimpleNamespace

    from codesign.cli.build import _summary

    out = tmp_path / "my builds" / "jét mlp"
    (out / "hls").mkdir(parents=True)
    (out / "hls" / "build_prj.tcl").write_text("")
    result = SimpleNamespace(bit_accuracy={}, metrics={}, estimate=None, budget=None, rtl=None, out_dir=out,
                             report_md=out / "report.md")  # fmt: skip
    _summary(result)
    line = next(t for t in capsys.readouterr().out.splitlines() if t.startswith("vendor flow: "))
    words = shlex.split(line.removeprefix("vendor flow: ").split(" (tb_data/")[0])  # the command, not its comment
    assert words[:2] == ["cd", str(out / "hls")] and words[3:6] == ["vitis_hls", "-f", "build_prj.tcl"]


def test_synth_without_the_tool_names_a_command_that_works_in_a_folder_with_spaces(tmp_path: Path, monkeypatch):
    """--synth without vitis_hls: the command the error hands over, pasted into a shell, enters the project."""
    import shlex

    from codesign import synth, tools
    from codesign.errors import ToolError

    project = tmp_path / "my builds" / "jét mlp" / "hls"
    project.mkdir(parents=True)
    (project / "build_prj.tcl").write_text("")
    monkeypatch.setattr(tools, "which", lambda name: None)
    with pytest.raises(ToolError) as err:
        synth.run_synthesis(project, backend="Vitis", log_dir=tmp_path / "logs")
    command = str(err.value).split("The project is ready: ")[1].split("  (ready tcl:")[0]
    assert shlex.split(command) == ["cd", str(project), "&&", "vitis_hls", "-f", "build_prj.tcl"]


def test_build_progress_must_be_a_function(tmp_path: Path):
    """progress='yes' was a TypeError (no codesign error) after the build folder was made."""
    import codesign

    with pytest.raises(SpecError, match=r"codesign.build: progress must be a function taking one line of text"):
        codesign.build(SPEC, part="xcvu9p", out=tmp_path / "o", progress="yes")  # type: ignore[arg-type]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("part", ["", "  ", 9, ["xcvu9p"]])
def test_build_part_must_be_a_part_name(part, tmp_path: Path):
    """part='' was dropped: the spec's own part was used (or 'no FPGA part'); 9 was read as the text '9'."""
    import codesign

    with pytest.raises(SpecError, match=re.escape(f"--part {part!r}: not a part name (accepted: a known device")):
        codesign.build({**SPEC, "part": "xcku115"}, part=part, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_true_where_a_number_goes_is_refused_by_the_api_as_by_the_command_line(tmp_path: Path):
    """'epochs: yes' (YAML's true) trained 1 epoch, 'max_fraction: {lut: true}' allowed 100 % of the part: refused,
    with the same message from a dict (the API) as from the file (the command line)."""
    from click.testing import CliRunner

    import codesign
    from codesign.cli import main

    spec = {**SPEC, "train": {"epochs": True}, "budget": {"max_fraction": {"lut": True}}}
    with pytest.raises(SpecError) as err:
        codesign.build(spec, part="xcvu9p", out=tmp_path / "o")
    api_lines = str(err.value).splitlines()
    assert api_lines[0] == "<spec dict>: invalid spec"
    assert "  key 'train.epochs': bad value True: true/false is not a number (accepted: an integer from 0 to 10000)" in api_lines
    assert any(line.startswith("  key 'budget.max_fraction': bad value {...}: true/false") for line in api_lines)
    (tmp_path / "spec.yaml").write_text(
        "name: api_bad\nmodel: {family: mlp, hidden: [4]}\nquantize: {bits: 6}\ntrain: {epochs: yes}\n"
        "budget: {max_fraction: {lut: true}}\n"
    )
    args = ["build", str(tmp_path / "spec.yaml"), "--part", "xcvu9p", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    cli_lines = result.output.removeprefix("codesign: error: ").splitlines()
    assert cli_lines[0] == f"{tmp_path / 'spec.yaml'}: invalid spec" and cli_lines[1:] == api_lines[1:]


def test_build_reads_the_dict_as_it_is_at_each_call_and_leaves_it_unchanged(tmp_path: Path, monkeypatch):
    """A spec dict changed between two calls is built as changed (not from a copy kept by the first call), and the
    build does not change the caller's dict (paths are resolved in the parsed spec, not written back)."""
    import copy

    import codesign
    import codesign.pipeline as pipeline

    seen = []

    def stop(ctx, steps, progress=None):
        seen.append(ctx.spec)
        raise SpecError("stopped before the steps")

    monkeypatch.setattr(pipeline, "run_steps", stop)
    spec = {**SPEC, "model": {"family": "mlp", "hidden": [4]}, "quantize": {"bits": 6}}
    before = copy.deepcopy(spec)
    for bits in (6, 4):
        spec["quantize"]["bits"] = bits
        with pytest.raises(SpecError, match="stopped before the steps"):
            codesign.build(spec, part="xcvu9p", out=tmp_path / "o")
    assert [s.quantize.bits for s in seen] == [6, 4]
    spec["quantize"]["bits"] = 6
    assert spec == before


SCAN_ARGUMENTS = [
    ({"workers": 0}, "--workers 0: accepted: an integer >= 1"),  # fell back to the core count
    ({"workers": "2"}, "--workers '2': accepted: an integer >= 1"),  # TypeError
    ({"workers": True}, "--workers True: accepted: an integer >= 1"),
    ({"workers": 10**6}, "--workers 1000000: more local worker processes than 4 per core"),  # started them all
    ({"threads_per_worker": 0}, "--threads-per-worker 0: accepted: an integer >= 1"),  # fell back to the default
    ({"resume": "no"}, "run_scan: resume must be True or False, got 'no'"),  # 'no' resumed
    ({"shared_cache": "no"}, "run_scan: shared_cache must be True or False, got 'no'"),  # 'no' shared the cache
    ({"show_progress": "no"}, "run_scan: show_progress must be True or False, got 'no'"),
    ({"part": ""}, "--part '': not a part name"),  # the scan file's part was used
    ({"out": 5}, "--out 5: accepted: a folder path"),  # TypeError
    # round ten: '' ran the points locally without a word; 5 was a TypeError from Dask (exit 7)
    ({"scheduler": ""}, "--scheduler '': accepted: a Dask scheduler address such as tcp://host:8786"),
    ({"scheduler": 5}, "--scheduler 5: accepted: a Dask scheduler address"),
]


@pytest.mark.parametrize("kwargs, message", SCAN_ARGUMENTS)
def test_run_scan_refuses_its_arguments_before_any_work(kwargs, message, tmp_path: Path):
    import yaml

    from codesign.scan import run_scan

    def no_point(job):
        raise AssertionError("a point was built")

    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"spec": SPEC, "part": "xcvu9p", "mode": "grid",
                                                      "axes": {"quantize.bits": [4, 6]}, "objectives": {"lut": "min"}}))  # fmt: skip
    args = {"out": tmp_path / "sc", "show_progress": False, "point_fn": no_point, **kwargs}
    with pytest.raises(SpecError, match=re.escape(message)):
        run_scan(tmp_path / "s.yaml", **args)
    assert not (tmp_path / "sc").exists()


def test_run_scan_reads_a_scan_file_path(tmp_path: Path):
    """A path (str or Path) is read as the scan file (it was an AttributeError: 'str' object has no attribute
    'mode'); anything else is refused naming what is accepted."""
    from codesign.scan import run_scan

    with pytest.raises(SpecError, match=r"nope.yaml: scan file not found"):
        run_scan(str(tmp_path / "nope.yaml"), tmp_path / "sc", show_progress=False)
    with pytest.raises(SpecError, match=r"run_scan: scan must be a scan file path or a ScanFile .* got dict"):
        run_scan({"spec": SPEC}, tmp_path / "sc", show_progress=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "patch, message",
    [  # round ten: each was built: a set in hash order with its repeats dropped, bytes read as text
        ({"model": {"family": "mlp", "hidden": {16, 8}}}, "key 'model.hidden': a set, which has no order and no repeats"),
        ({"name": b"api_bad"}, "key 'name': bytes (b'api_bad')"),
        ({"hls": {"layers": {"fc1": {"reuse_factor": bytearray(b"4")}}}}, "key 'hls.layers.fc1.reuse_factor': bytes"),
        ({"quantize": {"bits": 6, "layers": {"fc1": {"bits": frozenset({4})}}}}, "key 'quantize.layers.fc1.bits': a set"),
    ],
)
def test_build_refuses_a_dict_value_no_spec_file_holds(patch, message, tmp_path: Path):
    import codesign

    with pytest.raises(SpecError, match=re.escape(f"<spec dict>: {message}")) as err:
        codesign.build({**SPEC, **patch}, part="xcvu9p", out=tmp_path / "o")
    assert "accepted: the types a spec file holds" in str(err.value)
    assert not (tmp_path / "o").exists()
