"""hls4ml extension for :class:`codesign.score_layer.AnomalyScore`: parser, hls4ml layer, templates, C++ source.

The C++ is the fixed template ``firmware_templates/nnet_anomaly_score.h``; this module only renders its config
struct (kind, sizes, the types from the layer's :class:`~codesign.score_spec.ScoreSpec`) and the call. The table
is the layer's weight variable (``s<index>``), written by hls4ml with as many decimals as its type has fractional
bits, so the firmware holds exactly :func:`codesign.reference.score.table_values`. io_parallel only.
"""

from __future__ import annotations

from codesign import keras_env
from codesign.reference.score import table_values
from codesign.resources import shipped_path
from codesign.score_spec import KIND_CODES, ScoreSpec, parse_score

keras_env.setup()

import hls4ml  # noqa: E402  (keras_env.setup must run first)
from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate  # noqa: E402
from hls4ml.model.layers import Layer  # noqa: E402
from hls4ml.model.types import NamedType  # noqa: E402

CLASS_NAME = "AnomalyScore"
HEADER = "nnet_anomaly_score.h"
SPEC_KEYS = ("kind", "input_precision", "table_input", "table_precision", "accum_precision", "result_precision")
NO_TABLE_INDEX = "ap_fixed<1,1>"  # mu2 / sse read no table: a one-bit index into two unused entries
_registered = False


def parse_anomaly_score(keras_layer, input_names, input_shapes, data_reader):
    """hls4ml Keras-v2 handler: the layer's dict (its score settings) and its output shape [batch, 1]."""
    cfg = keras_layer["config"]
    shapes = [list(s) for s in input_shapes]
    if len(shapes) != 2 or shapes[0] != shapes[1] or len(shapes[0]) != 2:
        raise ValueError(f"AnomalyScore '{cfg['name']}' takes two flat inputs of one shape, got {shapes}")
    layer = {"class_name": CLASS_NAME, "name": cfg["name"], "n_in": int(shapes[0][1]), "inputs": input_names}
    for key in SPEC_KEYS:
        layer[f"score_{key}"] = cfg[key]
    return layer, [shapes[0][0], 1]


def _spec(layer: Layer) -> ScoreSpec:
    return parse_score({k: layer.get_attr(f"score_{k}") for k in SPEC_KEYS}, f"layer '{layer.name}'")


class HAnomalyScore(Layer):
    """hls4ml layer: two inputs of n_in values, one output; types from the score settings."""

    def initialize(self):
        """Output variable, named types and the table weight."""
        spec = _spec(self)
        convert = self.model.config.backend.convert_precision_string
        self.add_output_variable([1], precision=convert(spec.result_precision.to_hls()))
        has_table = spec.kind.value in ("rz", "kl")
        index = spec.table_input.to_hls() if has_table else NO_TABLE_INDEX
        self.set_attr("input_t", NamedType(f"{self.name}_input_t", convert(spec.input_precision.to_hls())))
        self.set_attr("index_t", NamedType(f"{self.name}_index_t", convert(index)))
        self.set_attr("accum_t", NamedType(f"{self.name}_accum_t", convert(spec.accum_precision.to_hls())))
        self.set_attr("index_bits", spec.table_input.width if has_table else 1)
        self.add_weights_variable(name="table", var_name="s{index}", precision=convert(spec.table_precision.to_hls()),
                                  data=table_values(spec))  # fmt: skip


CONFIG_TEMPLATE = """struct config{index} : nnet::anomaly_score_config {{
    static const unsigned n_in = {n_in};
    static const int kind = {kind};
    static const unsigned index_bits = {index_bits};
    static const unsigned table_size = {table_size};
    typedef {input_t} input_t;
    typedef {index_t} index_t;
    typedef {table_t} table_t;
    typedef {accum_t} accum_t;
}};\n"""

FUNCTION_TEMPLATE = "nnet::anomaly_score<{in1_t}, {in2_t}, {output_t}, {config}>({in1}, {in2}, {output}, {table});"


class AnomalyScoreConfigTemplate(LayerConfigTemplate):
    """The config struct of one score layer."""

    def __init__(self):
        super().__init__(HAnomalyScore)
        self.template = CONFIG_TEMPLATE

    def format(self, node):
        """Render the struct."""
        params = self._default_config_params(node)
        table = node.get_weights("table")
        params.update(kind=KIND_CODES[node.get_attr("score_kind")], table_size=table.data.size,
                      input_t=node.get_attr("input_t").name, index_t=node.get_attr("index_t").name,
                      table_t=table.type.name, accum_t=node.get_attr("accum_t").name)  # fmt: skip
        return self.template.format(**params)


class AnomalyScoreFunctionTemplate(FunctionCallTemplate):
    """The call of the fixed C++ kernel."""

    def __init__(self):
        super().__init__(HAnomalyScore, include_header=[f"nnet_utils/{HEADER}"])
        self.template = FUNCTION_TEMPLATE

    def format(self, node):
        """Render the call."""
        in1, in2 = (node.get_input_variable(name) for name in node.inputs)
        out = node.get_output_variable()
        return self.template.format(in1_t=in1.type.name, in2_t=in2.type.name, output_t=out.type.name,
                                    config=f"config{node.index}", in1=in1.name, in2=in2.name, output=out.name,
                                    table=node.get_weights("table").name)  # fmt: skip


def register() -> None:
    """Register the Keras handler, the hls4ml layer, the templates and the C++ source (once)."""
    global _registered
    if _registered:
        return
    from hls4ml.converters.keras_v2_to_hls import get_layer_handlers, register_keras_v2_layer_handler

    if CLASS_NAME not in get_layer_handlers():
        register_keras_v2_layer_handler(CLASS_NAME, parse_anomaly_score)
    hls4ml.model.layers.register_layer(CLASS_NAME, HAnomalyScore)
    source = shipped_path("firmware_templates", HEADER)
    for name in ("Vivado", "Vitis"):
        backend = hls4ml.backends.get_backend(name)
        backend.register_template(AnomalyScoreConfigTemplate)
        backend.register_template(AnomalyScoreFunctionTemplate)
        backend.register_source(source)
    _registered = True
