"""Reading a spec file: YAML (duplicate keys refused) into a BuildSpec or an Hls4mlConfig, paths resolved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesign.errors import SpecError
from codesign.spec.build import BuildSpec
from codesign.spec.hls4ml_yaml import HLS4ML_KEYS, Hls4mlConfig, is_hls4ml_config
from codesign.spec_errors import format_validation_error
from codesign.yamlio import read_yaml_file


def parse_spec(raw: Any, path: Path) -> BuildSpec | Hls4mlConfig:
    """Validate a YAML mapping read from ``path`` into a BuildSpec or an Hls4mlConfig."""
    if raw is None:
        raise SpecError(f"{path}: the file is empty or holds only comments (accepted: a codesign spec with name: and model:, or an hls4ml config)")
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the top level must be a mapping of keys (name:, model:, ...), got {type(raw).__name__}")
    bad_keys = [k for k in raw if not isinstance(k, str)]
    if bad_keys:
        raise SpecError(f"{path}: top-level key {bad_keys[0]!r} is not a name (accepted: name, model, data, ... "
                        "or the keys of an hls4ml config)")  # fmt: skip
    if "axes" in raw and ("base" in raw or "spec" in raw) and "model" not in raw:  # listed as 3 unknown keys
        raise SpecError(f"{path}: a scan file (axes:, {'base:' if 'base' in raw else 'spec:'}), not a spec to build "
                        f"(accepted: codesign scan {path} --out DIR, or a spec with name: and model:)")  # fmt: skip
    if is_hls4ml_config(raw):
        from codesign.hls4ml_values import check_hls4ml_values

        unknown = sorted(set(raw) - HLS4ML_KEYS)
        if unknown:
            raise SpecError(
                f"{path}: unknown hls4ml config key(s) {', '.join(unknown)} "
                f"(accepted: {', '.join(sorted(HLS4ML_KEYS))})"
            )
        check_hls4ml_values(raw, path)
        return Hls4mlConfig(path=path, config=raw)
    try:
        return BuildSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(format_validation_error(path, exc, BuildSpec)) from None


def load_spec(path: str | Path) -> BuildSpec | Hls4mlConfig:
    """Read and validate a spec file; relative model/data paths are resolved against its folder."""
    path = Path(path)
    raw = read_yaml_file(path, "spec file")
    spec = parse_spec(raw, path)
    if isinstance(spec, BuildSpec):
        spec = _resolve_paths(spec, path.parent, path)
    return spec


def _resolve_paths(spec: BuildSpec, base: Path, path: Path) -> BuildSpec:
    def fix(p: Path | None, key: str) -> Path | None:
        if p is None or p.is_absolute():
            return p
        try:
            return (base / p).resolve()
        except (RuntimeError, OSError) as exc:  # a symlink that points at itself: RuntimeError, an internal error
            raise SpecError(f"{path}: key '{key}': {base / p} cannot be resolved ({exc}); accepted: "
                            "a path to an existing file, relative to the spec's folder") from None  # fmt: skip

    model = spec.model.model_copy(update={"file": fix(spec.model.file, "model.file"),
                                          "weights": fix(spec.model.weights, "model.weights")})  # fmt: skip
    data = spec.data
    if data is not None and data.path is not None:
        data = data.model_copy(update={"path": fix(data.path, "data.path")})
    return spec.model_copy(update={"model": model, "data": data})
