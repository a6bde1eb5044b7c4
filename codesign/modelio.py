"""Save and load Keras / QKeras models (HDF5 or Keras-2 JSON + weights) with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from codesign import keras_env
from codesign.errors import SpecError

ACCEPTED = ".h5 (Keras 2 / tf-keras, float or QKeras), .json + weights .h5, or .keras saved by tf-keras"


def custom_objects() -> dict:
    """The QKeras (and pruning-wrapper) classes a saved model may reference."""
    keras_env.setup()
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    return objects


def save_model(model, path: Path) -> Path:
    """Save a model as HDF5 (the format hls4ml's KerasH5 reader and QKeras both take)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    model.save(tmp, save_format="h5", include_optimizer=False)
    tmp.replace(path)
    return path


def _is_keras3_archive(path: Path) -> bool:
    import zipfile

    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        if "metadata.json" not in zf.namelist():
            return False
        meta = json.loads(zf.read("metadata.json"))
    return str(meta.get("keras_version", "")).startswith("3")


def load_model(path: Path, weights: Path | None = None):
    """Load a user's or a cached model; QKeras layers are resolved, Keras-3 files are refused clearly."""
    keras = keras_env.keras()
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"model file {path} not found (accepted: {ACCEPTED})")
    objects = custom_objects()
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            if weights is None:
                raise SpecError(f"{path}: a JSON model needs 'weights:' (an .h5 weights file)")
            model = keras.models.model_from_json(path.read_text(), custom_objects=objects)
            model.load_weights(str(weights))
            return model
        if suffix == ".keras" and _is_keras3_archive(path):
            raise SpecError(
                f"{path}: saved by Keras 3; QKeras and hls4ml 1.3's QKeras path need Keras 2 (tf-keras). "
                "Re-save it with tf-keras as .h5 (model.save('model.h5')), or rebuild it with TF_USE_LEGACY_KERAS=1"
            )
        if suffix not in (".h5", ".hdf5", ".keras"):
            raise SpecError(f"{path}: unknown model format '{suffix}' (accepted: {ACCEPTED})")
        return keras.models.load_model(str(path), custom_objects=objects, compile=False)
    except SpecError:
        raise
    except (ValueError, OSError, TypeError, KeyError) as exc:
        hint = ""
        if "HGQ" in str(exc) or "hgq" in str(exc).lower():
            hint = " (an HGQ model: install the HGQ package to load it)"
        raise SpecError(f"{path}: cannot load the model{hint}: {exc}") from None
