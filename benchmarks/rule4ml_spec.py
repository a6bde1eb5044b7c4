"""From a calibration record to the Keras model + hls4ml settings that rule4ml takes, or the reason it cannot.

rule4ml 0.2.0 predicts from a Keras model and one hls4ml configuration: a board (its ``supported_boards.json``:
pynq-z2, zcu102, alveo-u200, alveo-u250), one model-level strategy (Latency or Resource), one reuse factor and
one precision (``ap_fixed<W, I>``). Its training designs were io_parallel, 10 ns, Vivado HLS 2019.1 (its
``data_gen/nn_synth.py``), and its layer types are those of ``data_parser.default_layer_type_map``. A record is
represented when all of that can be said of it without inventing anything; otherwise :class:`Unrepresentable`
names what rule4ml has no input for. The layer description (:func:`record_spec`) is plain JSON so that the
driver (``rule4ml_driver.py``), run in rule4ml's own environment, builds the Keras model with its own Keras.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codesign.estimate.design import build_calls  # noqa: E402
from codesign.estimate.settings import settings_from_record  # noqa: E402

#: rule4ml's boards by device (its supported_boards.json parts: xc7z020clg400-1, xczu9eg-ffvb1156-2-e,
#: xcu200-fsgd2104-2-e, xcu250-figd2104-2L-e); a record matches on the device, package and grade aside.
BOARDS = {"xc7z020": "pynq-z2", "xczu9eg": "zcu102", "xcu200": "alveo-u200", "xcu250": "alveo-u250"}
#: With ``same_family``: the rule4ml board of the same device family (resources are absolute counts, so a
#: design's figures do not depend on the device's size; the board is one categorical input of rule4ml's).
FAMILY_BOARDS = (
    (re.compile(r"^xc7[zakv]"), "pynq-z2"),  # 7-series
    (re.compile(r"^xczu"), "zcu102"),  # Zynq UltraScale+ MPSoC
    (re.compile(r"^xc(u\d|vu\d+p|ku\d+p)"), "alveo-u200"),  # UltraScale+ (Alveo, Virtex/Kintex US+)
)

#: rule4ml 0.2.0's tool versions (its ``default_vivado_map``; the version is one of its inputs) and hls4ml versions
TOOL_VERSIONS = ("2019.1", "2019.2", "2020.1", "2020.2", "2021.1", "2021.2", "2022.1", "2022.2", "2023.1", "2023.2",
                 "2024.1", "2024.2")  # fmt: skip
#: No record names its hls4ml version (only a coarse hint, none of them >= 1.0): rule4ml's older one is given.
HLS4ML_VERSION = "0.8.1"

_ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax"}
_DENSE = re.compile(r"^dense(_latency|_resource|_large|_compressed)?$")
_CONV2D = re.compile(r"^conv_2d(_large)?(_cl)?$")
_POOL2D = re.compile(r"^pooling2d(_cl)?$")


class Unrepresentable(Exception):
    """The record has something rule4ml takes no input for (the message says what)."""


def board_for(part: str | None, same_family: bool = False) -> str:
    """rule4ml board for a part: the same device, or (``same_family``) the same family; else Unrepresentable."""
    if not part:
        raise Unrepresentable("no part in the record")
    compact = part.lower().replace("-", "")
    for dev, board in BOARDS.items():
        if compact.startswith(dev) and not compact[len(dev) : len(dev) + 1].isdigit():
            return board
    if same_family:
        for pat, board in FAMILY_BOARDS:
            if pat.match(compact):
                return board
    raise Unrepresentable(f"part {part}: rule4ml's boards are {', '.join(sorted(BOARDS.values()))}")


def tool_version(version: str | None) -> tuple[str, str | None]:
    """rule4ml's tool version for a record's: the same, else the nearest it knows (with a note saying so)."""
    if version in TOOL_VERSIONS:
        return version, None
    try:
        v = float(str(version))
    except ValueError:
        return TOOL_VERSIONS[0], f"tool version {version!r} unknown: {TOOL_VERSIONS[0]} given"
    near = min(TOOL_VERSIONS, key=lambda t: abs(float(t) - v))
    return near, f"tool version {version}: rule4ml knows {TOOL_VERSIONS[0]}-{TOOL_VERSIONS[-1]}, {near} given"


def precision_text(type_text: str) -> tuple[int, int]:
    """(width, integer bits) of an ``ap_fixed``/``ap_int`` type; Unrepresentable for anything else."""
    t = str(type_text).replace(" ", "")
    m = re.match(r"ap_u?fixed<(\d+),(-?\d+)", t)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.match(r"ap_u?int<(\d+)>", t)
    if m:
        return int(m.group(1)), int(m.group(1))
    raise Unrepresentable(f"weight type {type_text!r} is not ap_fixed/ap_int")


def _one(values: list, what: str) -> str:
    vals = sorted({str(v).lower() for v in values if v is not None})
    if len(vals) != 1:
        raise Unrepresentable(f"{what} {vals or 'missing'}: rule4ml takes one model-level {what}")
    return vals[0]


def _valid_reuse(n_in: int, n_out: int, rf: int) -> bool:
    """hls4ml's reuse-factor rule for a dense layer (the one rule4ml applies per layer)."""
    mult_limit = -(-(n_in * n_out) // min(n_in, rf))
    ok = (mult_limit % n_out == 0) or rf >= n_in
    return ok and (rf % n_in == 0 or rf < n_in) and (n_in * n_out) % rf == 0


def closest_reuse(n_in: int, n_out: int, chosen: int) -> int:
    """The valid reuse factor nearest ``chosen`` (the smaller on a tie), as rule4ml sets each layer's."""
    valid = [rf for rf in range(1, n_in * n_out + 1) if _valid_reuse(n_in, n_out, rf)]
    return min(valid, key=lambda rf: (abs(rf - chosen), rf))


def model_reuse_factor(kernels) -> int:
    """One model-level reuse factor from which rule4ml's per-layer rule gives every kernel's; else Unrepresentable."""
    rfs = [int(c.num("reuse_factor") or 1) for c in kernels]
    if len(set(rfs)) == 1:
        return rfs[0]
    sizes = [(int(c.num("n_in")), int(c.num("n_out"))) for c in kernels if _DENSE.match(c.function)]
    if len(sizes) == len(kernels):
        for cand in sorted(set(rfs), reverse=True):
            if all(closest_reuse(a, b, cand) == rf for (a, b), rf in zip(sizes, rfs, strict=True)):
                return cand
    raise Unrepresentable(f"reuse factors {sorted(set(rfs))}: no one model-level reuse factor gives them")


def _layers(calls) -> tuple[list[int], list[dict]]:
    """Input shape and the Keras layer list of a record's top-function calls."""
    shape: list[int] | None = None
    layers: list[dict] = []
    size = None  # flattened size of the current tensor

    for c in calls:
        f, cfg = c.function, c.config
        if _DENSE.match(f):
            n_in, n_out = c.num("n_in"), c.num("n_out")
            if not n_in or not n_out:
                raise Unrepresentable(f"dense layer {c.name} without n_in/n_out")
            if shape is None:
                shape, size = [int(n_in)], int(n_in)
            if int(n_in) != size:
                raise Unrepresentable(f"dense layer {c.name}: n_in {int(n_in)} but the previous output has {size}")
            if len(shape) > 1 and not (layers and layers[-1]["class"] == "Flatten"):
                layers.append({"class": "Flatten"})
            layers.append({"class": "Dense", "units": int(n_out)})
            shape, size = [int(n_out)], int(n_out)
        elif _CONV2D.match(f):
            keys = ("in_height", "in_width", "n_chan", "filt_height", "filt_width", "n_filt", "stride_height",
                    "stride_width", "out_height", "out_width")  # fmt: skip
            v = {k: c.num(k) for k in keys}
            if any(x is None for x in v.values()):
                raise Unrepresentable(f"conv2d layer {c.name} without its geometry")
            v = {k: int(x) for k, x in v.items()}
            pads = [int(c.num(k) or 0) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")]
            padding = "valid" if not any(pads) else "same"
            if shape is None:
                shape = [v["in_height"], v["in_width"], v["n_chan"]]
                size = v["in_height"] * v["in_width"] * v["n_chan"]
            if [v["in_height"], v["in_width"], v["n_chan"]] != shape:
                raise Unrepresentable(f"conv2d layer {c.name}: input {shape} does not chain")
            layers.append({"class": "Conv2D", "filters": v["n_filt"], "kernel_size": [v["filt_height"], v["filt_width"]],
                           "strides": [v["stride_height"], v["stride_width"]], "padding": padding})  # fmt: skip
            shape = [v["out_height"], v["out_width"], v["n_filt"]]
            size = v["out_height"] * v["out_width"] * v["n_filt"]
        elif _POOL2D.match(f):
            keys = ("pool_height", "pool_width", "stride_height", "stride_width", "out_height", "out_width", "n_filt")
            v = {k: c.num(k) for k in keys}
            if any(x is None for x in v.values()) or shape is None or len(shape) != 3:
                raise Unrepresentable(f"pooling layer {c.name} without its geometry")
            op = str(cfg.get("pool_op", "Max")).split(":")[-1].lower()
            cls = {"max": "MaxPooling2D", "average": "AveragePooling2D"}.get(op)
            if cls is None:
                raise Unrepresentable(f"pooling layer {c.name}: pool_op {op}")
            layers.append({"class": cls, "pool_size": [int(v["pool_height"]), int(v["pool_width"])],
                           "strides": [int(v["stride_height"]), int(v["stride_width"])]})  # fmt: skip
            shape = [int(v["out_height"]), int(v["out_width"]), int(v["n_filt"])]
            size = shape[0] * shape[1] * shape[2]
        elif f == "flatten":
            layers.append({"class": "Flatten"})
            shape = [size] if size else shape
        elif f in _ACTIVATIONS:
            if shape is None:
                raise Unrepresentable(f"the model starts with an activation ({f})")
            layers.append({"class": "Activation", "activation": _ACTIVATIONS[f]})
        elif f == "linear":
            continue  # rule4ml drops linear activations itself
        elif f == "normalize":
            if shape is None:
                raise Unrepresentable("the model starts with a batch normalisation")
            layers.append({"class": "BatchNormalization"})
        else:
            raise Unrepresentable(f"layer {c.name} ({f}) is none of rule4ml's layer types")
    if shape is None or not layers:
        raise Unrepresentable("no layer rule4ml knows")
    return _input_shape(calls, layers), layers


def _input_shape(calls, layers) -> list[int]:
    first = layers[0]
    c = next(c for c in calls if _DENSE.match(c.function) or _CONV2D.match(c.function))
    if first["class"] == "Conv2D":
        return [int(c.num("in_height")), int(c.num("in_width")), int(c.num("n_chan"))]
    return [int(c.num("n_in"))]


def record_spec(rec: dict, same_family: bool = False) -> dict:
    """rule4ml's view of a record: ``{input_shape, layers, hls_config}``; Unrepresentable with the reason."""
    if "custom_or_modified_hls4ml" in (rec.get("flags") or []):
        raise Unrepresentable("modified hls4ml (custom kernels): not what either estimator models")
    io = rec.get("io_type") or []
    if io != ["io_parallel"]:
        raise Unrepresentable(f"io_type {io or 'unknown'}: rule4ml has no io_type input (trained on io_parallel)")
    board = board_for(rec.get("part"), same_family)
    calls = build_calls(settings_from_record(rec))
    input_shape, layers = _layers(calls)
    if not any(x["class"] in ("Dense", "Conv2D") for x in layers):
        raise Unrepresentable("no dense or convolution layer")
    kernels = [c for c in calls if _DENSE.match(c.function) or _CONV2D.match(c.function)]
    strategy = _one([c.config.get("strategy") for c in kernels] or rec.get("strategy") or [], "strategy")
    if not any(c.config.get("strategy") for c in kernels):
        strategy = _one(rec.get("strategy") or [], "strategy")
    if strategy not in ("latency", "resource"):
        raise Unrepresentable(f"strategy {strategy}")
    reuse = model_reuse_factor(kernels)
    weights = [str(c.config.get("weight_t")) for c in kernels if c.config.get("weight_t")]
    if not weights:
        raise Unrepresentable("no weight type in the record")
    w, i = precision_text(weights[0])
    results = [str(c.config.get(k)) for c in kernels for k in ("result_t", "accum_t") if c.config.get(k)]
    rw, ri = precision_text(results[0]) if results else (w, i)
    if min(i, ri) < 0:
        raise Unrepresentable(f"negative integer bits ({weights[0]}): rule4ml reads ap_fixed<W, I> with I >= 0")
    types = {str(c.config.get(k)).replace(" ", "") for c in kernels for k in ("weight_t", "accum_t", "result_t")}
    types.discard("None")
    tool, note = tool_version(rec.get("hls_tool_version"))
    return {
        "id": rec["id"],
        "versions": {"hls4ml": HLS4ML_VERSION, "vivado": tool},
        "notes": [note] if note else [],
        "input_shape": input_shape,
        "layers": layers,
        "hls_config": {
            "board": board,
            "model": {"strategy": strategy.capitalize(), "reuse_factor": reuse, "precision": f"ap_fixed<{w}, {i}>"},
        },
        # rule4ml takes one precision (hls4ml's model default, which sets weights, accumulators and results
        # alike): the first kernel's weight type is given; its result type is the alternative (the benchmark
        # asks rule4ml with both); the kernels' other weight/accumulator/result types are listed
        "result_precision": f"ap_fixed<{rw}, {ri}>",
        "other_types": sorted(types - {str(weights[0]).replace(" ", "")}),
    }


def parameter_count(spec: dict) -> int:
    """Weights + biases the spec's Dense/Conv2D layers hold, from the layer sizes alone (for the tests)."""
    shape = list(spec["input_shape"])
    total = 0
    for layer in spec["layers"]:
        cls = layer["class"]
        if cls == "Dense":
            n_in = 1
            for d in shape:
                n_in *= d
            total += (n_in + 1) * layer["units"]
            shape = [layer["units"]]
        elif cls == "Conv2D":
            fh, fw = layer["kernel_size"]
            total += (fh * fw * shape[2] + 1) * layer["filters"]
            sh, sw = layer["strides"]
            if layer["padding"] == "valid":
                shape = [(shape[0] - fh) // sh + 1, (shape[1] - fw) // sw + 1, layer["filters"]]
            else:
                shape = [-(-shape[0] // sh), -(-shape[1] // sw), layer["filters"]]
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            (ph, pw), (sh, sw) = layer["pool_size"], layer["strides"]
            shape = [(shape[0] - ph) // sh + 1, (shape[1] - pw) // sw + 1, shape[2]]
        elif cls == "BatchNormalization":
            total += 4 * shape[-1]
        elif cls == "Flatten":
            n = 1
            for d in shape:
                n *= d
            shape = [n]
    return total
