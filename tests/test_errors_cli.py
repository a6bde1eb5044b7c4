"""Errors with meaning: one exit code per kind, internal errors as one line plus a log, no TensorFlow noise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesign import errors
from codesign.cli import main

REPO = Path(__file__).resolve().parents[1]


def _fail_with(monkeypatch, exc: BaseException) -> None:
    import codesign.api as api

    def boom(*_a, **_k):
        raise exc

    monkeypatch.setattr(api, "build", boom)  # the build command is a thin wrapper over codesign.api.build


@pytest.mark.parametrize(
    "exc, code",
    [
        (errors.SpecError("spec.yaml: key 'x'"), 2),
        (errors.DataError("data.h5: empty"), 2),
        (errors.ToolError("g++ failed; log: x"), 5),
        (errors.ConversionError("hls4ml could not convert the model: Exception: layer 'l'"), 5),
        (errors.ReferenceUnavailableError("layer 'c' (Conv2D)"), 6),
    ],
)
def test_each_kind_of_error_has_its_exit_code(monkeypatch, exc, code):
    _fail_with(monkeypatch, exc)
    result = CliRunner().invoke(main, ["build", "spec.yaml"])
    assert result.exit_code == code
    assert result.output.strip() == f"codesign: error: {exc}"


def _fail_in_folder(monkeypatch, exc: BaseException, folder: Path) -> None:
    """As :func:`_fail_with`, after naming ``folder`` as the build's (as codesign.api.build does once it knows it)."""
    import codesign.api as api
    import codesign.cli as cli

    def boom(*_a, **_k):
        cli.set_error_log_dir(folder)
        raise exc

    monkeypatch.setattr(api, "build", boom)


def test_unexpected_exception_is_one_line_and_a_log(monkeypatch, tmp_path):
    import codesign.cli as cli

    _fail_in_folder(monkeypatch, KeyError("surprise"), tmp_path / ".codesign")
    try:
        result = CliRunner().invoke(main, ["build", "spec.yaml"])
    finally:
        cli._error_log_dir.clear()
    assert result.exit_code == 7
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "KeyError" in lines[0]
    log = tmp_path / ".codesign" / "error.log"
    assert str(log) in lines[0]
    text = log.read_text()
    assert "Traceback" in text and "surprise" in text and "boom" in text


def test_a_later_command_does_not_log_into_an_earlier_builds_folder(monkeypatch, tmp_path):
    """In one process (the Python API, a notebook), a build names its folder; an internal error of a later command
    that has no folder (codesign data) went into that build's error.log."""
    import codesign.cli as cli

    cli.set_error_log_dir(tmp_path / "earlier_build" / ".codesign")  # left by an earlier build in this process
    _fail_with(monkeypatch, RuntimeError("later command"))
    try:
        result = CliRunner().invoke(main, ["build", "spec.yaml"])
    finally:
        cli._error_log_dir.clear()
    assert result.exit_code == 7
    assert not (tmp_path / "earlier_build" / ".codesign" / "error.log").exists()
    path = Path(result.output.split("traceback: ")[1].rstrip(")\n"))
    try:
        assert "later command" in path.read_text()
    finally:
        path.unlink()


def test_internal_error_without_a_build_folder_logs_to_a_temp_file(monkeypatch):
    _fail_with(monkeypatch, RuntimeError("no folder yet"))
    result = CliRunner().invoke(main, ["build", "spec.yaml"])
    assert result.exit_code == 7
    path = Path(result.output.split("traceback: ")[1].rstrip(")\n"))
    try:
        assert "no folder yet" in path.read_text()
    finally:
        path.unlink()


def test_help_lists_the_exit_codes():
    out = CliRunner().invoke(main, ["--help"]).output
    for code in ("2  bad input", "3  the firmware is not bit-exact", "5  a tool", "6  the bit-exact reference", "7  internal"):
        assert code in out


def _commands(group, path=()):
    yield path
    for name, cmd in getattr(group, "commands", {}).items():
        yield from _commands(cmd, (*path, name))


def test_every_help_page_prints_its_text_as_written():
    """click does not %-format help strings: a ``%%`` written for argparse reaches the user doubled."""
    paths = list(_commands(main))
    assert ("data", "jets") in paths and ("scan",) in paths
    for path in paths:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "%%" not in result.output, (path, [ln for ln in result.output.splitlines() if "%%" in ln])


def test_metrics_and_data_errors_are_codesign_errors():
    import numpy as np

    from codesign import metrics
    from codesign.data import jets

    with pytest.raises(errors.DataError, match="both signal and background"):
        metrics.roc_curve(np.ones(4, bool), np.arange(4.0))
    with pytest.raises(errors.SpecError, match="unknown jet class 'x'"):
        jets.generate_jet_chunk("x", 1, 0, None)


def test_tensorflow_start_up_lines_stay_off_the_console():
    code = (
        "from codesign import keras_env; keras_env.setup(); import warnings; "
        "print(keras_env.startup_log(), end=''); warnings.warn('codesign warning')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0
    # only the warning issued after setup reaches stderr; TensorFlow's lines (cuInit, absl) were captured
    assert proc.stderr.strip().splitlines()[-1].endswith("UserWarning: codesign warning"), proc.stderr
    assert "absl" not in proc.stderr and "cuInit" not in proc.stderr and "cudart" not in proc.stderr


def test_library_logging_records_go_to_the_build_log_not_the_console(tmp_path):
    """A module-level ``logging.warning`` inside the build (root unconfigured) made basicConfig hand root the console
    copy, and TensorFlow's records ('Compiled the loaded model ...' on saving converted.h5) then reached the
    console through it. Run in a fresh process: pytest configures the root logger itself."""
    log = tmp_path / "build.log"
    code = (
        "import logging, sys; from pathlib import Path; from codesign import console\n"
        "tf = logging.getLogger('tensorflow'); h = logging.StreamHandler(sys.stderr)\n"
        "h.setFormatter(logging.Formatter(logging.BASIC_FORMAT)); tf.addHandler(h)  # as tf.get_logger() does\n"
        f"with console.library_output_to(Path({str(log)!r})):\n"
        "    logging.warning('library record')\n"
        "    tf.warning('tensorflow record')\n"
        "logging.getLogger('after').warning('after the build')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "library record" not in proc.stderr and "tensorflow record" not in proc.stderr, proc.stderr
    assert "after the build" in proc.stderr  # the redirect is undone: later records show as before
    text = log.read_text()
    assert text.count("WARNING:root:library record") == 1 and text.count("WARNING:tensorflow:tensorflow record") == 1


def test_a_library_print_goes_to_the_build_log_and_codesign_lines_stay_on_stdout(tmp_path):
    """hls4ml 1.3 ``print``s 'Unsupported quantizer: ...' while it parses a QBatchNormalization: a function wrapped in
    ``console.library_prints_to_fd2`` (as ``hls.conversion.convert`` is) sends its prints to fd 2, the build log during
    a build, while stdout keeps codesign's own lines before and after (fresh process: pytest captures fds itself)."""
    log = tmp_path / "build.log"
    code = (
        "from pathlib import Path; from codesign import console\n"
        "@console.library_prints_to_fd2()\n"
        "def convert():\n"
        "    print('Unsupported quantizer: quantized_po2')\n"
        f"with console.library_output_to(Path({str(log)!r})):\n"
        "    print('[ 0.1 s] convert')\n"
        "    convert()\n"
        "    print('[ 0.2 s] csim')\n"
        "convert()  # outside a build: stderr, not stdout\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[ 0.1 s] convert\n[ 0.2 s] csim\n", proc.stdout
    assert log.read_text().count("Unsupported quantizer: quantized_po2") == 1
    assert proc.stderr.count("Unsupported quantizer: quantized_po2") == 1, proc.stderr


def test_a_logging_handler_made_during_the_build_outlives_it(tmp_path):
    """TensorFlow's logger takes ``sys.stderr`` when it first logs; made inside the build's redirect, it must not
    keep the console copy that the redirect closes (a later warning then printed a '--- Logging error ---')."""
    import logging

    from codesign import console

    logger = logging.getLogger("codesign-test-late-handler")
    with console.library_output_to(tmp_path / "build.log"):
        handler = logging.StreamHandler()  # takes sys.stderr now: the redirect's console copy
        logger.addHandler(handler)
    try:
        assert not handler.stream.closed
        logger.warning("after the build")
    finally:
        logger.removeHandler(handler)
