"""Every name a benchmark script imports from codesign or from a sibling script exists there (read from the source,
without importing TensorFlow): a benchmark the README names must not fail at its first line."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))


def module_file(module: str) -> Path | None:
    """The source of a codesign module or a sibling benchmark script (run as ``python benchmarks/x.py``)."""
    parts = module.split(".")
    if parts[0] == "benchmarks":
        parts = parts[1:]
    elif parts[0] != "codesign":
        sibling = ROOT / "benchmarks" / f"{module}.py"
        return sibling if len(parts) == 1 and sibling.is_file() else None
    base = ROOT / "benchmarks" if module.startswith("benchmarks") else ROOT
    path = base.joinpath(*parts)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def top_level_names(path: Path) -> set[str]:
    """Names bound at a module's top level (and, for a package, its submodules)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try)):
            names.update(top_level_names_of(node))
    if path.name == "__init__.py":
        names.update(p.stem for p in path.parent.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file())
    return names


def top_level_names_of(node: ast.AST) -> set[str]:
    """Names bound inside a top-level ``if``/``try`` (conditional imports and definitions)."""
    out: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.FunctionDef, ast.ClassDef)):
            out.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in sub.names)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            out.add(sub.id)
    return out


def missing_imports(script: Path) -> list[str]:
    """``module.name`` for every ``from module import name`` of the script that the module does not define."""
    missing = []
    for node in ast.walk(ast.parse(script.read_text())):
        if not isinstance(node, ast.ImportFrom) or node.level or node.module is None:
            continue
        source = module_file(node.module)
        if source is None:
            if node.module.split(".")[0] in ("codesign", "benchmarks"):
                missing.append(node.module)
            continue
        defined = top_level_names(source)
        missing += [f"{node.module}.{a.name}" for a in node.names if a.name != "*" and a.name not in defined]
    return missing


def test_a_name_the_module_lacks_is_found(tmp_path):
    script = tmp_path / "bench.py"
    script.write_text("from throughput_harness import demo_model, no_such_name\nfrom codesign.nowhere import x\n")
    assert missing_imports(script) == ["throughput_harness.no_such_name", "codesign.nowhere"]


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_imports_resolve(script):
    assert not missing_imports(script), f"{script.name} imports names that do not exist: {missing_imports(script)}"
