"""Model I/O: save and load Keras / QKeras models (HDF5, tf-keras ``.keras``, JSON + weights) with clear errors.

The one place that knows which custom layer classes a saved model may reference (QKeras and codesign's
own) and the traps of loading them: a Keras-3 ``.keras`` file of a QKeras model cannot be used by QKeras
0.9 / hls4ml 1.3, and a ``QActivation`` built from a quantizer object does not rebuild from its JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from codesign import hgq, keras_env, model_safety, safe_names
from codesign.errors import SpecError, first_line
from codesign.model_safety import HGQ_HINT, custom_objects

__all__ = ["HGQ_HINT", "custom_objects", "load_model", "save_model"]


def save_model(model, path: Path) -> Path:
    """Save a model as HDF5 (the format hls4ml's KerasH5 reader and QKeras both take), atomically."""
    from codesign.durable import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:  # a failed save (full disk) leaves no half-written file behind
        model.save(tmp, save_format="h5", include_optimizer=False)
    return path


def _config_text(path: Path) -> str:
    """The architecture JSON stored in a model file (JSON, HDF5 ``model_config`` or a ``.keras`` archive)."""
    import zipfile

    try:
        if path.suffix == ".json":
            return path.read_text(errors="replace")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                return z.read("config.json").decode(errors="replace") if "config.json" in z.namelist() else ""
        import h5py

        with h5py.File(path, "r") as f:
            cfg = f.attrs.get("model_config", "")
            return cfg.decode(errors="replace") if isinstance(cfg, bytes) else str(cfg)
    except (OSError, ValueError, KeyError):
        return ""


def _load_hint(path: Path, custom: dict) -> str:
    """Why a model file does not load, where its architecture shows it: unknown layer classes, HGQ layers.

    tf-keras's own message for an unknown class can be as bare as "'str' object is not callable".
    """
    names = sorted(_layer_classes(_config_text(path)))
    if not names:
        return ""
    keras = keras_env.keras()
    unknown = [n for n in names if n not in custom and not hasattr(keras.layers, n) and n not in _MODEL_CLASSES]
    if not unknown:
        return ""
    hint = f" (layer class(es) {', '.join(unknown)} are neither Keras, QKeras nor codesign layers"
    if any(model_safety.HGQ_LAYER.match(n) for n in unknown) and not hgq.installed():
        hint += f"; {HGQ_HINT}"
    return hint + ")"


_MODEL_CLASSES = {"Functional", "Sequential", "Model"}
_ERROR_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")


def _innermost_error(text: str) -> str:
    """`` (cause: <type>: <message>)`` from the last ``SomethingError: message`` line of a Keras error whose first
    line only says which layer failed ("Exception encountered when calling layer ..."), else ''."""
    lines = text.strip().splitlines()
    if len(lines) < 2 or not lines[0].startswith("Exception encountered when calling layer"):
        return ""
    found = [m for line in lines[1:] if (m := _ERROR_LINE.match(line))]
    return f" (cause: {found[-1].group(1)}: {found[-1].group(2)[:200]})" if found else ""


def _layer_entries(text: str) -> list[dict]:
    """Every entry of every ``layers`` list in a Keras architecture JSON (nested models included); [] if not JSON."""
    try:
        cfg = json.loads(text)
    except ValueError:
        return []
    out: list[dict] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, v in node.items():
                if key == "layers" and isinstance(v, list):
                    out.extend(e for e in v if isinstance(e, dict))
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(cfg)
    return out


def _layer_names(text: str) -> list[str]:
    """The ``name`` of every entry of every ``layers`` list in a Keras architecture JSON."""
    names = (e.get("name", (e.get("config") or {}).get("name")) for e in _layer_entries(text))
    return [n for n in names if isinstance(n, str)]


def _layer_classes(text: str) -> set[str]:
    """The ``class_name`` of every entry of every ``layers`` list in a Keras architecture JSON."""
    return {str(e["class_name"]) for e in _layer_entries(text) if "class_name" in e}


def load_model(
    path: Path | str | None = None,
    *,
    json_path: Path | str | None = None,
    weights_path: Path | str | None = None,
    trust: bool = False,
    notes: list[str] | None = None,
) -> Any:
    """Load a tf-keras/QKeras model from ``.h5``/``.keras``, or from a JSON architecture + weights.

    The architecture is checked first (:func:`codesign.model_safety.check_file`): a file that would run code
    when loaded is refused unless ``trust``; what trust let through is appended to ``notes``.
    """
    if json_path is not None:
        jp = Path(json_path)
        if not jp.exists():
            raise SpecError(f"model architecture file {jp} does not exist")
        if weights_path is not None and not Path(weights_path).exists():
            raise SpecError(f"model weights file {weights_path} does not exist")
        keras = keras_env.keras()
        co = custom_objects()
        try:
            with model_safety.private_copy(jp) as local:  # the bytes checked are the bytes loaded
                _note(notes, model_safety.check_file(local, trust=trust, as_json=True, shown=jp))
                co = custom_objects(model_safety.needs_hgq(local, as_json=True))
                text = local.read_text()
            with model_safety.loading_scope(trust):
                model = keras.models.model_from_json(_qactivation_json_fix(text), custom_objects=co)
        except SpecError:
            raise
        except Exception as exc:
            safe_names.names_as_c(_layer_names(_config_text(jp)), str(jp))  # the reason, in codesign's words
            hint = _load_hint(jp, co)
            raise SpecError(f"{jp}: cannot build a Keras model from this JSON: {first_line(exc)}{hint}") from None
        if weights_path is not None:
            wp = Path(weights_path)
            try:
                model.load_weights(str(wp))
            except Exception as exc:
                raise SpecError(f"{wp}: cannot load weights into the model of {jp}: {first_line(exc)}") from None
        return model
    if path is None:
        raise SpecError("no model given: pass a .h5/.keras file or json_path (+ weights_path)")
    p = Path(path)
    if not p.exists():
        raise SpecError(f"model file {p} does not exist")
    if p.suffix == ".keras" and _is_keras3_file(p):
        uses_q = _keras3_uses_qkeras(p)
        if uses_q:
            raise SpecError(
                f"{p}: this is a Keras-3 '.keras' file of a QKeras model; QKeras 0.9 and hls4ml 1.3 need the "
                "Keras-2 (tf-keras) API, so it cannot be converted. Re-save the model with tf-keras "
                "(TF_USE_LEGACY_KERAS=1) as .h5, or as JSON + weights"
            )
    keras = keras_env.keras()
    co = custom_objects()
    try:
        with model_safety.private_copy(p) as local:  # the bytes checked are the bytes loaded
            _note(notes, model_safety.check_file(local, trust=trust, shown=p))
            co = custom_objects(model_safety.needs_hgq(local))
            with model_safety.loading_scope(trust):
                return keras.models.load_model(str(local), custom_objects=co, compile=False, safe_mode=not trust)
    except SpecError:
        raise
    except Exception as exc:
        safe_names.names_as_c(_layer_names(_config_text(p)), str(p))  # the reason, in codesign's words
        msg = first_line(exc) + _innermost_error(str(exc))
        hint = _load_hint(p, co)
        if not hint and p.suffix == ".keras" and _is_keras3_file(p):
            msg = msg.split(" Full object config:")[0]  # the rest is the whole architecture on one line
            hint = " (a Keras-3 '.keras' file: re-save it with tf-keras as .h5 to convert it)"
        elif not hint and _h5_keras_version(p).startswith("3"):
            msg = msg.split(" using config=")[0]  # the rest is the layer's whole config on one line
            hint = (f" (an .h5 written by Keras {_h5_keras_version(p)}: tf-keras, which QKeras 0.9 and hls4ml 1.3 "
                    "need, does not read Keras 3's layer configs; accepted: the model re-saved with tf-keras "
                    "(TF_USE_LEGACY_KERAS=1) as .h5, or as JSON + weights)")  # fmt: skip
        elif not hint and p.suffix == ".keras":
            hint = ("; tf-keras does not reload every QKeras layer (QActivation among them) from a '.keras' archive: "
                    "accepted: the same model saved as .h5 (model.save('model.h5')) or as JSON + weights")  # fmt: skip
        raise SpecError(f"{p}: cannot load the Keras model: {msg}{hint}") from None


def _note(notes: list[str] | None, lines: list[str]) -> None:
    if notes is not None:
        notes.extend(lines)


def _qactivation_json_fix(text: str) -> str:
    """Write QActivation quantizers stored as {class_name, config} in their string form.

    A ``QActivation(quantizer_object)`` serializes its quantizer as a dict, which QActivation's
    constructor keeps as a dict instead of a quantizer, so ``model_from_json`` fails; the string form
    (``quantized_relu(6,2)``) is what QActivation parses.
    """
    try:
        cfg = json.loads(text)
    except ValueError:
        return text
    from qkeras.quantizers import get_quantizer

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("class_name") == "QActivation" and isinstance(node.get("config"), dict):
                act = node["config"].get("activation")
                if isinstance(act, dict):
                    node["config"]["activation"] = str(get_quantizer(act))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(cfg)
    return json.dumps(cfg)


def _is_keras3_file(p: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
            if "metadata.json" in names:
                meta = json.loads(z.read("metadata.json"))
                return str(meta.get("keras_version", "3")).startswith("3")
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return False


def _h5_keras_version(p: Path) -> str:
    """The ``keras_version`` an HDF5 model file was written by ('' when it is not such a file)."""
    import h5py

    try:
        with h5py.File(p, "r") as f:
            v = f.attrs.get("keras_version", "")
    except (OSError, ValueError):
        return ""
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def fixed_input_shape(model: Any, where: str) -> tuple[int, ...]:
    """The shape of a one-input model's samples (no batch axis); a dimension left open (None) is refused: hls4ml
    sizes every firmware array when it converts, and the check's inputs are drawn with this shape. So are a fixed
    batch size and an input dtype that is not a float."""
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    for t in inputs:
        name = t.name.split(":")[0]
        dtype = getattr(t.dtype, "name", str(t.dtype))
        if t.shape[0] is not None:  # predict() pads or splits other batch sizes: NaN scores at the compare step
            raise SpecError(f"{where}: input '{name}' has a fixed batch size {t.shape[0]} (shape {tuple(t.shape)}); "
                            "codesign trains, predicts and checks in batches of other sizes (accepted: a model whose "
                            "input leaves the batch open, keras.Input(shape) without batch_size; re-save the model "
                            "built that way)")  # fmt: skip
        if not getattr(t.dtype, "is_floating", True):  # QKeras quantizers and hls4ml's input cast take floats
            raise SpecError(f"{where}: input '{name}' has dtype {dtype}; the model's layers then get integer "
                            "tensors, which QKeras's quantizers and the float reference do not take (accepted: a "
                            "float input, keras.Input(shape) with its default float32; the firmware's input type "
                            "is set by quantize.input / hls, not by the Keras dtype)")  # fmt: skip
        shape = tuple(t.shape[1:])
        open_axes = [i + 1 for i, d in enumerate(shape) if d is None]
        if open_axes:
            example = ", ".join("N" if d is None else str(int(d)) for d in shape) + ("," if len(shape) == 1 else "")
            raise SpecError(
                f"{where}: input '{name}' has shape {(None, *shape)}: dimension {', '.join(map(str, open_axes))} is "
                f"not fixed (None) and hls4ml sizes every firmware array when it converts (accepted: a model whose "
                f"input has a fixed shape apart from the batch, e.g. keras.Input(({example})) with N the size of "
                "your data; re-save the model built that way)"
            )
    return tuple(int(d) for d in inputs[0].shape[1:])


def _keras3_uses_qkeras(p: Path) -> bool:
    cfg = _config_text(p)
    return any(t in cfg for t in ("QDense", "QConv", "QActivation", "quantized_bits", "quantized_relu"))
