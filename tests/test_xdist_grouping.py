"""`make test` runs under pytest-xdist: tests/conftest.py chooses the worker count and keeps a module's own
module-scoped fixtures on one worker (built once). Checked on the hook itself and on a real two-worker run."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

pytest.importorskip("xdist", reason="pytest-xdist (test extra) not installed")


def _conftest():
    spec = importlib.util.spec_from_file_location("conftest_under_test", HERE / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_auto_workers_are_the_affinity_cores_capped_and_the_env_knob_wins(monkeypatch):
    conf = _conftest()
    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    monkeypatch.setattr(conf.tools, "cpu_count", lambda: 2)
    assert conf.pytest_xdist_auto_num_workers(None) == 2
    monkeypatch.setattr(conf.tools, "cpu_count", lambda: 64)
    assert conf.pytest_xdist_auto_num_workers(None) == conf.MAX_AUTO_WORKERS == 8
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "3")
    assert conf.pytest_xdist_auto_num_workers(None) == 3
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "two")
    with pytest.raises(pytest.UsageError, match="PYTEST_XDIST_AUTO_NUM_WORKERS='two': expected a whole number"):
        conf.pytest_xdist_auto_num_workers(None)


SHARED = '''
import os
import pytest

@pytest.fixture(scope="module")
def built():
    with open(os.environ["BUILDS"], "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    return 42

@pytest.mark.parametrize("i", range(6))
def test_uses_the_shared_fixture(built, i):
    with open(os.environ["RAN"], "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    assert built == 42

@pytest.mark.parametrize("i", range(6))
def test_plain(i):
    assert i < 6
'''


def test_a_module_scoped_fixture_is_built_once_on_two_workers(tmp_path):
    (tmp_path / "conftest.py").write_text((HERE / "conftest.py").read_text())
    (tmp_path / "test_shared.py").write_text(SHARED)
    env = dict(os.environ, PYTHONPATH=str(REPO), BUILDS=str(tmp_path / "builds"), RAN=str(tmp_path / "ran"))
    env.pop("PYTEST_XDIST_AUTO_NUM_WORKERS", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", "test_shared.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "12 passed" in proc.stdout, proc.stdout
    builds = (tmp_path / "builds").read_text().split()
    ran = (tmp_path / "ran").read_text().split()
    assert len(builds) == 1, f"the module fixture was built {len(builds)} times ({builds})"
    assert len(ran) == 6 and set(ran) == set(builds)  # every test using it ran on the worker that built it
