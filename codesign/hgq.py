"""HGQ (High Granularity Quantization, v1 for tf.keras) models: which classes they name, and HGQ's own classes.

hls4ml 1.3 converts HGQ *proxy* models (``HGQ.to_proxy_model(model)``: Keras layers between
``FixedPointQuantizer`` layers, which hold each value's fixed-point type) bit-exactly. HGQ 0.2.6 declares
``keras<3`` while TensorFlow 2.21 needs Keras 3, so pip cannot install it beside codesign's stack; installed
with ``--no-deps`` it runs on tf-keras, which codesign aliases as ``keras`` (``make hgq`` does this). HGQ is
imported only when a model file names its classes, so builds of other models are unchanged by it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from typing import Any

from codesign import keras_env

PACKAGE = "HGQ"  # the import name of the 'hgq' distribution
PIN = "hgq==0.2.6"
INSTALL = f"pip install --no-deps {PIN}"
# Layer classes that only the HGQ package defines (HGQ layers, and the FixedPointQuantizer of proxy models).
LAYER = re.compile(r"^(HGQ>.*|HQuantize|HDense|HDenseBatchNorm|HConv1D|HConv2D|HConv1DBatchNorm|HConv2DBatchNorm|"
                   r"HActivation|HAdd|HBaseLayer|Signature|PAvgPool[12]D|PMaxPool[12]D|PAveragePooling[123]D|"
                   r"PMaxPooling[123]D|PConcatenate|PReshape|PFlatten|PDropout|FixedPointQuantizer|UnaryLUT)$")  # fmt: skip
HINT = (f"this looks like an HGQ model: install HGQ v1 with `{INSTALL}` (`make hgq`; HGQ's metadata asks for "
        "keras<3, which TensorFlow 2.21 excludes, so a plain pip install refuses it; it runs on tf-keras), then "
        "give codesign the proxy model (HGQ.to_proxy_model(model), saved as .h5)")  # fmt: skip


def installed() -> bool:
    """True when the HGQ package can be imported."""
    return importlib.util.find_spec(PACKAGE) is not None


@functools.lru_cache(maxsize=1)
def objects() -> dict[str, Any]:
    """HGQ's registered classes, by registered name ('HGQ>HDense') and class name; empty without HGQ."""
    if not installed():
        return {}
    keras_env.setup()
    import HGQ  # noqa: F401  (importing registers its classes with tf-keras)
    from tf_keras.src.saving.object_registration import _GLOBAL_CUSTOM_OBJECTS

    out: dict[str, Any] = {}
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        if key.startswith(PACKAGE + ">"):
            out[key] = obj
            out[key.split(">", 1)[1]] = obj
    return out


def named_in(cfg: Any) -> bool:
    """True when a Keras architecture (parsed JSON) names an HGQ class or module."""
    todo = [cfg]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            for key in ("class_name", "registered_name"):
                if isinstance(node.get(key), str) and LAYER.match(node[key]):
                    return True
            if isinstance(node.get("module"), str) and node["module"].split(".")[0] == PACKAGE:
                return True
            todo += list(node.values())
        elif isinstance(node, list):
            todo += node
    return False


def require_proxy(model: Any, source: str = "the model") -> None:
    """SpecError naming HGQ training layers (HDense, HQuantize ...): hls4ml converts only HGQ's proxy models."""
    from codesign.errors import SpecError

    bad = [f"'{layer.name}' ({type(layer).__name__})" for layer in getattr(model, "layers", ())
           if type(layer).__module__.split(".")[0] == PACKAGE and type(layer).__name__ not in PROXY_CLASSES]  # fmt: skip
    if bad:
        raise SpecError(
            f"{source}: HGQ layer(s) {', '.join(bad)} are HGQ's training layers, which hls4ml does not convert; "
            "give codesign the proxy model instead (proxy = HGQ.to_proxy_model(model), after HGQ.trace_minmax on "
            "your data; proxy.save('model.h5'))"
        )


PROXY_CLASSES = {"FixedPointQuantizer", "UnaryLUT"}
