"""A model file is data: refuse, before any deserialization, every object in it that would run code when loaded.

tf-keras rebuilds a model by calling the layers named in its architecture JSON; a ``Lambda`` layer carries
marshalled Python bytecode (or the name of a Python function), a ``TFOpLambda`` names a TensorFlow function
to call, and any class name, ``module`` key (``.keras`` archives: tf-keras imports that module) or
``registered_name`` can reach code that codesign did not choose. QKeras parses quantizer strings such as
``quantized_relu(6,2)`` by calling the named function. So codesign reads the architecture from the file
itself (``model_config`` of an ``.h5``, ``config.json`` of a ``.keras`` archive, the ``.json`` file) and
accepts only what it knows: Keras, QKeras, codesign's own layers (and HGQ's when installed). The user may opt
in (``--trust-model-code`` / ``model.trust_code``) for a model they wrote; a Lambda still cannot go to firmware.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesign import hgq, keras_env
from codesign.errors import SpecError

# Layers whose config names code that tf-keras runs while rebuilding the model.
CODE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda", "__lambda__"}
# Plain data that tf-keras decodes without looking anything up.
_DATA_OBJECTS = {"__tuple__", "__numpy__", "__tensor__", "__bytes__", "__ellipsis__", "__keras_tensor__"}
_TYPESPECS = {"TensorSpec", "RaggedTensorSpec", "SparseTensorSpec"}
_MODEL_CLASSES = {"Functional", "Sequential", "Model"}
_EXTRA_KERAS = {"Policy", "DTypePolicy", "FloatDTypePolicy", "InputSpec", "TensorShape"}
# QKeras quantizer functions that are not among its custom objects but that its quantizer strings may name.
_QKERAS_EXTRA = {"quantized_hswish", "binary_sigmoid", "binary_tanh", "hard_sigmoid", "hard_tanh",
                 "smooth_sigmoid", "smooth_tanh"}  # fmt: skip
# activation names tf-keras resolves outside keras.activations' own functions: Activation('leaky_relu') calls
# tf.nn.leaky_relu (slope 0.2, which hls4ml 1.3 converts as LeakyReLU(0.2): hls4ml's test_activations.py)
_KERAS_EXTRA_ACTIVATIONS = {"leaky_relu"}
_TRUSTED_PACKAGES = ("keras", "tf_keras", "qkeras", "codesign")
_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\(.*\))?\s*$", re.DOTALL)
OPT_IN = "--trust-model-code (or model.trust_code: true in a spec)"
HGQ_LAYER, HGQ_HINT = hgq.LAYER, hgq.HINT


@dataclass(frozen=True)
class Finding:
    """One object in a model file that codesign will not deserialize: where it is and why."""

    layer: str  # the layer it is or sits in ('' for the model itself)
    cls: str
    where: str  # key path inside that layer's entry ('' for the layer itself)
    why: str

    def describe(self) -> str:
        """One line: the layer, its class, the key and the reason."""
        at = f", at '{self.where}'" if self.where else ""
        return f"layer '{self.layer}' (class {self.cls}{at}): {self.why}"


def custom_objects(with_hgq: bool = False) -> dict:
    """The QKeras and codesign classes a saved model may reference (and HGQ's, ``with_hgq`` and installed)."""
    keras_env.setup()
    from qkeras.utils import _add_supported_quantized_objects

    from codesign.zoo import CUSTOM_OBJECTS

    objects: dict = dict(CUSTOM_OBJECTS)
    _add_supported_quantized_objects(objects)
    if with_hgq:
        objects.update(hgq.objects())
    return objects


@functools.lru_cache(maxsize=2)
def known_names(with_hgq: bool = False) -> tuple[frozenset[str], frozenset[str]]:
    """(classes, functions) a model file may name: Keras, QKeras, codesign's (and HGQ's), code layers excluded."""
    keras = keras_env.keras()
    classes: set[str] = set(_MODEL_CLASSES | _EXTRA_KERAS)
    for mod in (keras.layers, keras.initializers, keras.regularizers, keras.constraints, keras.mixed_precision,
                keras.optimizers, keras.losses, keras.metrics):
        classes.update(n for n in dir(mod) if not n.startswith("_") and inspect.isclass(getattr(mod, n, None)))
    functions = {n for mod in (keras.activations, keras.losses, keras.metrics) for n in dir(mod)
                 if not n.startswith("_") and inspect.isfunction(getattr(mod, n, None))}  # fmt: skip
    functions.add("linear")
    for name, obj in custom_objects(with_hgq).items():
        kind = classes if inspect.isclass(obj) else functions
        kind.add(name)
        kind.add(keras.saving.get_registered_name(obj))  # 'codesign>Sampling' for a registered class
    functions |= _QKERAS_EXTRA | _KERAS_EXTRA_ACTIVATIONS
    classes -= CODE_LAYERS
    return frozenset(classes), frozenset(functions - CODE_LAYERS)


def _module_ok(module: Any, with_hgq: bool) -> bool:
    if module is None:
        return True
    if not isinstance(module, str):
        return False
    packages = _TRUSTED_PACKAGES + ((hgq.PACKAGE,) if with_hgq else ())
    return module == "builtins" or any(module == p or module.startswith(p + ".") for p in packages)


def accepted_text() -> str:
    """What a model file may contain, for error messages."""
    extra = "HGQ layers" if hgq.installed() else f"HGQ layers only when HGQ is installed ({hgq.INSTALL})"
    return (f"Keras layers, initializers, regularizers and constraints; QKeras layers and quantizers; codesign's "
            f"{', '.join(sorted(_codesign_classes()))}; {extra}")  # fmt: skip


def _codesign_classes() -> set[str]:
    from codesign.zoo import CUSTOM_OBJECTS

    return set(CUSTOM_OBJECTS)


def _code_reason(cls: str, cfg: dict) -> str:
    if cls == "__lambda__":
        return "holds marshalled Python bytecode (a lambda) that would run when the model is loaded"
    if cls in ("TFOpLambda", "SlicingOpLambda"):
        return f"calls the TensorFlow function '{cfg.get('function')}' named in the file when the model is loaded"
    kind = cfg.get("function_type")
    fn = cfg.get("function")
    if kind == "function":
        return (f"names the Python function '{cfg.get('module')}.{fn}', which would be imported and run when "
                "the model is loaded")  # fmt: skip
    return "holds marshalled Python bytecode (a lambda) that would run when the model is loaded"


def _unknown(what: str, name: Any) -> str:
    text = f"{what} {name!r} is not a Keras, QKeras or codesign class, so loading it could run code it brings"
    if isinstance(name, str) and HGQ_LAYER.match(name) and not hgq.installed():
        text += f"; {HGQ_HINT}"
    return text


def _check_object(node: dict, with_hgq: bool) -> str | None:
    """Why this ``{class_name, config, module, registered_name}`` object would not be safe to rebuild."""
    classes, functions = known_names(with_hgq)
    cls = node.get("class_name")
    cfg = node.get("config") if isinstance(node.get("config"), dict) else {}
    if not isinstance(cls, str):
        return f"class_name {cls!r} is not a name"
    if cls in CODE_LAYERS:
        return _code_reason(cls, cfg)
    if cls in _DATA_OBJECTS:
        return None
    module = node.get("module")
    if cls == "__typespec__":  # a tensor spec, found by its module (TensorFlow's) and name
        spec, reg = node.get("spec_name"), node.get("registered_name")
        ok = spec in _TYPESPECS and reg in (None, spec) and str(module).split(".")[0] in ("tensorflow", "tf_keras")
        return None if ok else f"type spec {spec!r} of module {module!r} is not a TensorFlow tensor spec"
    if cls != "function" and cls not in classes:
        return _unknown("class", cls) + (f" (from module {module!r})" if module else "")
    if not _module_ok(module, with_hgq):
        return (f"names the module {module!r}, which tf-keras would import (running its code); accepted modules: "
                f"{', '.join(p + '.*' for p in _TRUSTED_PACKAGES)}")  # fmt: skip
    if cls == "function":
        fn = node.get("config")
        return None if fn in functions else _unknown("function", fn)
    reg = node.get("registered_name")
    if reg is not None and reg != cls and reg not in classes and reg not in functions:
        return _unknown("registered name", reg)
    return None


def _check_string(key: str, value: str, with_hgq: bool) -> str | None:
    """A quantizer/activation string: QKeras calls the function it names, so the name must be known."""
    classes, functions = known_names(with_hgq)
    m = _NAME.match(value)
    if value.strip() == "" or (m and (m.group(1) in functions or m.group(1) in classes)):
        return None
    name = m.group(1) if m else value[:60]
    return f"'{key}' names {name!r}, which is not a Keras activation or QKeras quantizer (it would be called)"


def _entry_name(node: dict) -> str | None:
    name = node.get("name")
    if not isinstance(name, str) and isinstance(node.get("config"), dict):
        name = node["config"].get("name")
    return name if isinstance(name, str) else None


def scan(cfg: Any) -> list[Finding]:
    """Every object of a Keras architecture (already parsed JSON) that would run code or is unknown."""
    out: list[Finding] = []
    with_hgq = uses_hgq(cfg)

    def visit(node: Any, layer: tuple[str, str], path: str, top: bool) -> None:
        if isinstance(node, list):
            for v in node:
                visit(v, layer, path, False)
            return
        if not isinstance(node, dict):
            return
        if "class_name" in node:
            name = _entry_name(node)
            cls = str(node.get("class_name"))
            is_layer = name is not None and (top or path.endswith("layers") or path == "" or cls in CODE_LAYERS)
            if is_layer:
                layer, path = (name, cls), ""
            why = _check_object(node, with_hgq)
            if why is not None:
                out.append(Finding(layer[0], cls if is_layer else layer[1], path if not is_layer else "",
                                   why if is_layer else f"object of class {cls}: {why}"))  # fmt: skip
                return  # what it holds is its own business: it is refused as a whole
        for key, value in node.items():
            if top and key == "compile_config":
                continue  # codesign loads with compile=False: tf-keras drops the top-level compile config
            sub = f"{path}.{key}" if path else key
            if isinstance(value, str) and key != "name" and (
                key.endswith("quantizer") or key.endswith("activation") or _CALL.match(value)
            ):
                why = _check_string(key, value, with_hgq)
                if why is not None:
                    out.append(Finding(layer[0], layer[1], sub, why))
            else:
                visit(value, layer, sub if key != "config" else path, False)

    visit(cfg, ("(model)", str(cfg.get("class_name")) if isinstance(cfg, dict) else "?"), "", True)
    return out


def uses_hgq(cfg: Any) -> bool:
    """True when HGQ is installed and the architecture names its classes (HGQ is then imported to load it)."""
    return hgq.installed() and hgq.named_in(cfg)


def needs_hgq(path: Path, *, as_json: bool = False) -> bool:
    """True when HGQ is installed and the model file names its classes."""
    return hgq.installed() and not Path(path).is_dir() and uses_hgq(read_architecture(path, as_json=as_json))


def read_architecture(path: Path, *, as_json: bool = False) -> Any:
    """The architecture JSON stored in a model file (or, ``as_json``, the file itself), parsed, read exactly as
    tf-keras will read it; SpecError when there is none to read."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(
            f"{path}: a folder (TensorFlow SavedModel) holds traced TensorFlow graphs whose code codesign cannot "
            f"check; re-save the model as .h5, tf-keras .keras or .json + weights, or pass {OPT_IN}"
        )
    try:
        if as_json:
            text: str | bytes = path.read_text()
        elif str(path).endswith(".keras") and zipfile.is_zipfile(path):  # tf-keras's own test, so both read one file
            with zipfile.ZipFile(path) as z:
                if "config.json" not in z.namelist():
                    raise SpecError(f"{path}: a zip archive without config.json is not a Keras .keras model")
                text = z.read("config.json")  # bytes, as tf-keras hands them to json.loads
        else:
            import h5py

            with h5py.File(path, "r") as f:
                raw = f.attrs.get("model_config")
            if raw is None:
                raise SpecError(
                    f"{path}: no model architecture in this HDF5 file (no 'model_config' attribute): a weights-only "
                    "file? Give the architecture .json as the model and this file as its weights"
                )
            text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise SpecError(f"{path}: cannot read a Keras model architecture from it ({exc}); accepted: an HDF5 .h5 "
                        "model, a tf-keras .keras archive or an architecture .json") from None  # fmt: skip
    try:
        cfg = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SpecError(f"{path}: the model architecture is not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(cfg, dict) or "class_name" not in cfg:
        raise SpecError(f"{path}: the stored architecture is not a Keras model config (no top-level class_name)")
    return cfg


@contextlib.contextmanager
def private_copy(path: Path):
    """A copy of a model file in a private temporary folder, so that the file checked is the file loaded."""
    path = Path(path)
    if path.is_dir():
        yield path  # a SavedModel folder: refused unless trusted, and then loaded as it is
        return
    with tempfile.TemporaryDirectory(prefix="codesign-model-") as tmp:
        local = Path(tmp) / path.name
        try:
            shutil.copyfile(path, local)
        except OSError as exc:
            raise SpecError(f"{path}: cannot read the model file ({exc})") from None
        yield local


def check_file(path: Path, *, trust: bool = False, as_json: bool = False, shown: Path | None = None) -> list[str]:
    """Refuse a model file that would run code when loaded (SpecError); with ``trust``, say what was let through.

    ``shown`` is the name to report (the user's file, when ``path`` is a private copy of it). Returns the notes
    for the build report: empty when nothing needed trust.
    """
    path = Path(path)
    if trust and path.is_dir():
        return [f"{shown or path}: SavedModel folder loaded unchecked ({OPT_IN})"]
    try:
        cfg = read_architecture(path, as_json=as_json)
        findings = scan(cfg)
    except SpecError as exc:
        raise SpecError(str(exc).replace(str(path), str(shown or path))) from None
    except RecursionError:
        raise SpecError(f"{shown or path}: the model architecture is nested too deeply to check") from None
    path = Path(shown or path)
    if not findings:
        return []
    if trust:
        return [f"{path}: loaded although {f.describe()} ({OPT_IN})" for f in findings]
    shown = findings[:8]
    more = f"\n  ... and {len(findings) - len(shown)} more" if len(findings) > len(shown) else ""
    raise SpecError(
        f"{path}: refusing to load this model: it would run code that is not Keras', QKeras' or codesign's\n"
        + "\n".join(f"  {f.describe()}" for f in shown) + more
        + f"\nAccepted: {accepted_text()}. If you wrote this model and trust it, pass {OPT_IN}; a Lambda layer "
        "still cannot go to firmware (replace it with Keras/QKeras layers)."
    )


def trust_notes(trust: bool, notes: list[str]) -> list[str]:
    """Report lines for --trust-model-code: what it let through, or that nothing needed it."""
    if not trust:
        return []
    return notes or [f"{OPT_IN} was given; the model file(s) had nothing that needed it"]


@contextlib.contextmanager
def loading_scope(trust: bool):
    """tf-keras's own safe mode on (untrusted) or off (trusted) while a model is rebuilt: a second lock."""
    from tf_keras.src.saving.serialization_lib import SafeModeScope

    with SafeModeScope(safe_mode=not trust):
        yield


def firmware_blockers(model: Any) -> list[str]:
    """Layers of a loaded model that carry Python code and so cannot become firmware, as 'name (class)'."""
    out = []
    for layer in _all_layers(model):
        cls = type(layer).__name__
        if cls in CODE_LAYERS:
            out.append(f"'{layer.name}' ({cls})")
    return out


def _all_layers(model: Any) -> list[Any]:
    """Every layer, nested models' and wrappers' (TimeDistributed, Bidirectional) included."""
    out, todo = [], list(getattr(model, "layers", ()))
    while todo:
        layer = todo.pop(0)
        out.append(layer)
        todo += list(getattr(layer, "layers", ()) or ())
        inner = getattr(layer, "layer", None)
        if inner is not None:
            todo.append(inner)
    return out


def require_firmware_safe(model: Any, source: str = "the model") -> None:
    """SpecError naming every Lambda-like layer: hls4ml has no such layer, and its Python cannot become HLS."""
    bad = firmware_blockers(model)
    if bad:
        raise SpecError(
            f"{source}: layer(s) {', '.join(bad)} run Python code, which cannot go to firmware (hls4ml has no Lambda "
            "layer, even with --trust-model-code); replace them with Keras/QKeras layers (e.g. Multiply, Add, "
            "Activation, Reshape) and re-save the model"
        )
