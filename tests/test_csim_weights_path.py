"""The C-simulation's WEIGHTS_DIR define holds any build folder codesign accepts: g++ compiles it and the program
sees the path byte for byte (a quote, a backslash or a newline in --out ended the string literal: exit 5 after the
training)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from codesign.hls.library_build import c_string_literal, weights_define

PATHS = ["/tmp/plain/firmware/weights", '/tmp/a "quoted" name', "/tmp/back\\slash\\", "/tmp/new\nline\r", "/tmp/tab\there",
         "/tmp/dïr ☃ with spaces", "/tmp/del\x7fand\x01digits\x0278", "/tmp/%s %d ??= trigraph"]  # fmt: skip


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_every_path_reaches_the_program_unchanged(tmp_path):
    prints = "".join(f"    std::fputs(P{k}, stdout); std::fputc(31, stdout);\n" for k in range(len(PATHS)))
    (tmp_path / "show.cpp").write_text(f"#include <cstdio>\nint main() {{\n{prints}}}\n")
    flags = [f"-DP{k}={c_string_literal(path)}" for k, path in enumerate(PATHS)]
    subprocess.run(["g++", "-std=c++17", *flags, "show.cpp", "-o", "show"], cwd=tmp_path, check=True)
    shown = subprocess.run([str(tmp_path / "show")], capture_output=True, check=True).stdout.split(b"\x1f")[:-1]
    assert shown == [path.encode() for path in PATHS]


def test_weights_define_is_the_resolved_path_as_a_literal(tmp_path):
    folder = tmp_path / 'we"ights'
    assert weights_define(folder) == f"-DWEIGHTS_DIR={c_string_literal(str(folder.resolve()))}"
    assert weights_define(tmp_path / "plain") == f'-DWEIGHTS_DIR="{(tmp_path / "plain").resolve()}"'  # unchanged
