"""Bad arguments of the Python API (``codesign.build``, ``codesign.check``) and of ``codesign check SPEC``: a
SpecError naming the argument and what is accepted, raised before any work (a spec's build included); never a
setting read the wrong way (``force='no'`` is truthy)."""

from __future__ import annotations

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
