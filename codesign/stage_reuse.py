"""A model stage's test-set results shared between builds: scan points that share a trained model share its scores.

Builds of a scan share the float model (every point), each pruned model and each QAT model (points that differ
only after it) through the shared step cache, but the compare step scores every stage again: the predictions on
the test set, the classification or anomaly figures and their bootstrap resamples. These depend on the model, the
data and the metrics settings alone, so the float, pruned and quantized stages' results (:class:`StageResult`) are
stored in the shared step cache under a key made from the key of the step that produced the model (the step keys
chain the data, the settings and the code before it), the metrics and score settings, and the code that computes
them. The firmware stage is always computed: its scores are the point's own C-simulation.

An entry is the stage's scores and resamples (``.npz``, read without pickle) and a JSON file with its report dict
and a SHA-256 over the key, the JSON content and the ``.npz`` bytes: an entry that does not match its digest
(damaged, edited, another key's) is never used; the stage is computed again and the entry replaced.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.metrics_stages import StagePart
from codesign.step_cache import SharedStepCache, module_digest

# the model stages whose results can be shared, and the step whose key addresses the model
STAGE_STEPS = {"float": "train_float", "pruned": "prune", "quantized": "quantize"}
# the code a stage's result depends on besides the model: its scoring, its metrics, this file's format
CODE = ("codesign.steps.verify", "codesign.steps.common", "codesign.arrays", "codesign.zoo", "codesign.metrics",
        "codesign.metrics_bootstrap", "codesign.metrics_stages", "codesign.stage_reuse")  # fmt: skip
FOLDER = (".codesign", "stages")  # where an entry is written before it is stored (relative: its layout)


@dataclass(frozen=True)
class StageResult:
    """One model stage on the test set: its scores (class probabilities, or {process: score}) and its figures."""

    scores: Any
    part: StagePart


def stage_key(model_key: str, label: str, settings: Any) -> str:
    """The shared cache key of a stage's result: the producing step's key, the stage, the metrics and score
    settings (``settings``, JSON types) and the digest of the code that computes it."""
    code = {m: module_digest(m) for m in CODE}
    blob = json.dumps({"model": model_key, "stage": label, "settings": settings, "code": code}, sort_keys=True)
    return "stage-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def files(label: str) -> list[str]:
    """A stage entry's files, relative to the build folder."""
    return [f"{FOLDER[0]}/{FOLDER[1]}/{label}.json", f"{FOLDER[0]}/{FOLDER[1]}/{label}.npz"]


def _digest(key: str, meta: dict, blob: bytes) -> str:
    h = hashlib.sha256(key.encode())
    h.update(json.dumps(meta, sort_keys=True).encode())
    h.update(blob)
    return h.hexdigest()


def write(out_dir: Path, key: str, label: str, result: StageResult) -> list[str]:
    """Write a stage's entry into the build folder; returns its files (relative) for the shared cache."""
    arrays: dict[str, np.ndarray] = {}
    if isinstance(result.scores, dict):
        names = list(result.scores)
        arrays.update({f"score_{i}": np.asarray(result.scores[n]) for i, n in enumerate(names)})
    else:
        names = None
        arrays["score"] = np.asarray(result.scores)
    figures = [list(k) for k in result.part.resamples]
    arrays.update({f"figure_{i}": v for i, v in enumerate(result.part.resamples.values())})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    blob = buf.getvalue()
    meta = {"label": label, "metrics": result.part.metrics, "score_names": names, "figures": figures}
    json_rel, npz_rel = files(label)
    (Path(out_dir) / npz_rel).parent.mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / npz_rel).write_bytes(blob)
    (Path(out_dir) / json_rel).write_text(json.dumps({**meta, "sha256": _digest(key, meta, blob)}))
    return [json_rel, npz_rel]


def read(out_dir: Path, key: str, label: str) -> StageResult | None:
    """A stage's entry from the build folder, or None when it is missing, unreadable or does not match its digest."""
    json_rel, npz_rel = files(label)
    try:
        meta = json.loads((Path(out_dir) / json_rel).read_text())
        blob = (Path(out_dir) / npz_rel).read_bytes()
        stored = meta.pop("sha256")
        if not isinstance(stored, str) or stored != _digest(key, meta, blob) or meta.get("label") != label:
            return None
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            names = meta["score_names"]
            scores = npz["score"] if names is None else {n: npz[f"score_{i}"] for i, n in enumerate(names)}
            resamples = {tuple(k): npz[f"figure_{i}"] for i, k in enumerate(meta["figures"])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return StageResult(scores, StagePart(meta["metrics"], resamples))


def fetch(cache: SharedStepCache, key: str, label: str) -> tuple[StageResult | None, bool]:
    """(the stored result of ``key``, read in the cache itself, whether an entry was there but did not match its
    digest); such an entry is removed."""
    if not cache.has(key):
        return None, False
    result = read(cache.entry(key), key, label)
    if result is not None:
        return result, False
    cache.discard(key)
    return None, True


def store(cache: SharedStepCache, out_dir: Path, key: str, label: str, result: StageResult) -> None:
    """Store a stage's entry in the shared cache (an entry already stored is kept), written first under the build
    folder's ``.codesign`` and removed from there once stored: a point's folder does not keep a copy."""
    if cache.has(key):  # stored by another build meanwhile (or found under --force): nothing to write
        return
    rels = write(out_dir, key, label, result)
    try:
        cache.put(key, out_dir, rels)
    finally:
        for rel in rels:
            (Path(out_dir) / rel).unlink(missing_ok=True)
