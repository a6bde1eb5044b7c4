"""Step caches: which steps of a build folder are finished, and a content-addressed store shared between builds.

- :class:`StepCache`: the step keys of the last build in ``<out>/.codesign/cache.json`` (``make``-like reuse
  of a single build folder).
- :class:`SharedStepCache`: ``<cache_dir>/objects/<key>/`` holds the files a finished step wrote (its trained
  model, its C-simulation outputs), under the step's key. Builds that share a key (scan points that differ only
  after pruning share the float training; only in hls settings, the QAT model) copy the files in instead of
  recomputing them. Entries are written to a temporary folder and renamed into place (atomic on one file
  system); a per-key lock file makes a second worker wait for the first instead of training the same model
  twice.
- :func:`code_digest`: what of codesign's code a step depends on: the abstract syntax tree of its modules,
  without docstrings, so a comment, a docstring or a reformat does not redo a training.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import inspect
import json
import os
import shutil
import textwrap
import uuid
from pathlib import Path


class StepCache:
    """Step keys of the last successful build in ``<out>/.codesign/cache.json``."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / ".codesign" / "cache.json"
        try:
            keys = json.loads(self.path.read_text())
        except (OSError, ValueError):
            keys = {}  # missing or unreadable: nothing is reused
        self.keys: dict[str, str] = keys if isinstance(keys, dict) else {}

    def hit(self, name: str, key: str) -> bool:
        """True when the step last finished with this key."""
        return self.keys.get(name) == key

    def store(self, name: str, key: str) -> None:
        """Record a finished step (written at once, atomically, so an interrupted build keeps it)."""
        self.keys[name] = key
        self.store_all()

    def forget(self, name: str) -> None:
        """Drop a step's key before its artefacts are rewritten."""
        if self.keys.pop(name, None) is not None:
            self.store_all()

    def store_all(self) -> None:
        """Write the key file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.keys, indent=1))
        tmp.replace(self.path)


class SharedStepCache:
    """A content-addressed store of step outputs, shared by builds (and processes, and machines on one file system)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "objects").mkdir(parents=True, exist_ok=True)
        (self.root / "locks").mkdir(parents=True, exist_ok=True)

    def entry(self, key: str) -> Path:
        """The folder of a key's files."""
        return self.root / "objects" / key

    def has(self, key: str) -> bool:
        """True when a finished entry exists for the key."""
        return (self.entry(key) / "files.json").is_file()

    @contextlib.contextmanager
    def lock(self, key: str):
        """Hold the key's lock while computing it, so that a second worker waits and then reuses the result."""
        with open(self.root / "locks" / f"{key}.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def fetch(self, key: str, out_dir: Path) -> bool:
        """Copy a key's files into a build folder; False when there is no complete entry."""
        entry = self.entry(key)
        try:
            files = json.loads((entry / "files.json").read_text())
        except (OSError, ValueError):
            return False
        for rel in files:
            src, dst = entry / rel, Path(out_dir) / rel
            if not src.is_file():
                return False
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.tmp")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
        return True

    def discard(self, key: str) -> None:
        """Remove a key's entry (found damaged): renamed away first, so that no reader sees it half removed."""
        gone = self.root / "objects" / f".{key}.{uuid.uuid4().hex}.gone"
        try:
            self.entry(key).rename(gone)
        except OSError:  # already removed (or replaced) by another process
            return
        shutil.rmtree(gone, ignore_errors=True)

    def put(self, key: str, out_dir: Path, files: list[str]) -> None:
        """Store a finished step's files (paths relative to the build folder); a key already stored is kept."""
        if self.has(key) or not files:
            return
        tmp = self.root / "objects" / f".{key}.{uuid.uuid4().hex}.tmp"
        for rel in files:
            dst = tmp / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(out_dir) / rel, dst)
        (tmp / "files.json").write_text(json.dumps(sorted(files)))
        try:
            tmp.rename(self.entry(key))
        except OSError:  # another process stored it first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------------ code digests


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


def source_digest(text: str) -> str:
    """Hash of Python source by meaning: its syntax tree without docstrings, comments or formatting."""
    tree = _strip_docstrings(ast.parse(textwrap.dedent(text)))  # a class defined inside a function is indented
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


@functools.cache
def module_digest(module: str) -> str:
    """Digest of a codesign module (a package: all its modules), found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(module)
    origin = Path(spec.origin)
    files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(source_digest(f.read_text()).encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def templates_digest() -> str:
    """Digest of the firmware templates (the testbench codesign writes)."""
    from codesign.resources import shipped_path

    h = hashlib.sha256()
    for f in sorted(shipped_path("firmware_templates").glob("*")):
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def code_digest(step) -> str:
    """What of codesign's code a step's result depends on: its own class, the helpers and modules it lists in
    ``code`` (``"codesign.train"``, ``"codesign.build_steps:_check_inputs"``, ``"templates"``)."""
    h = hashlib.sha256(source_digest(inspect.getsource(type(step))).encode())
    for dep in step.code:
        if dep == "templates":
            h.update(templates_digest().encode())
        elif ":" in dep:
            mod, name = dep.split(":")
            obj = getattr(importlib.import_module(mod), name)
            h.update(source_digest(inspect.getsource(obj)).encode())
        else:
            h.update(module_digest(dep).encode())
    return h.hexdigest()[:16]
