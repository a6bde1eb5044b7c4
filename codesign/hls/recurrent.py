"""Keras LSTM/GRU settings and types hls4ml 1.3's recurrent kernels (``nnet_recurrent.h``) cannot carry, refused by name.

Before any training (:func:`require_recurrent_settings`): a setting its converter does not read (``go_backwards``:
the firmware ran the sequence forward and the build said "bit-exact: yes" against the emulator of that firmware),
or one it fails on (a GRU with ``reset_after=False``, a layer without bias: an internal error), or an activation its
C++ has no class for (a g++ error); a Bidirectional layer with such a cell, or with a ``merge_mode`` other than
``concat`` (its C++ writes the concatenation past an output sized for one state), or in io_stream
(:func:`require_bidirectional_io`). After conversion (:func:`require_recurrent_types`): an LSTM whose input, accum
and result types differ, which does not compile (``lstm_stack`` instantiates the non-static ``lstm()`` whatever
``Static`` says, and that one passes its input, state and products as arrays of one type), or a ``table`` type the
user set, which hls4ml 1.3 does not read for a recurrent layer (its tables stay ``ap_fixed<18,8>``).

:func:`fix_lstm_types` makes the three one type where the user set none of them: an LSTM reading the model's input
takes the input's type as accum and result; one after another layer gives that layer the LSTM's result type (a float
model's Dense result is otherwise its exact sum, wider than hls4ml's default ``ap_fixed<16,6>`` of the LSTM).
"""

from __future__ import annotations

from typing import Any

from codesign.errors import SpecError
from codesign.hls.input_typed import asked_type, type_text

RECURRENT = ("LSTM", "GRU")
ACTIVATIONS = ("sigmoid", "tanh", "relu")  # nnet_recr_activations.h's classes


def _unsupported(layer: Any) -> list[str]:
    cfg = layer.get_config()
    why = []
    if cfg.get("go_backwards"):
        why.append("go_backwards=True, which hls4ml 1.3 does not read: its firmware runs the sequence forward")
    if cfg.get("stateful"):
        why.append("stateful=True: the firmware starts every sequence from a zero state")
    if type(layer).__name__ == "GRU" and not cfg.get("reset_after", True):
        why.append("reset_after=False: hls4ml 1.3's gru applies the reset gate after the recurrent product, and its "
                   "converter fails on the single bias row of reset_after=False")  # fmt: skip
    if not cfg.get("use_bias", True):
        why.append("use_bias=False, on which hls4ml 1.3's converter fails (a zero bias is the same layer)")
    for key in ("activation", "recurrent_activation"):
        act = cfg.get(key)
        name = act if isinstance(act, str) else getattr(act, "__name__", str(act))
        if name not in ACTIVATIONS:
            why.append(f"{key}='{name}', which hls4ml 1.3's recurrent kernels have no class for (g++ fails)")
    return why


def _bidirectional_unsupported(layer: Any) -> list[str]:
    """What hls4ml 1.3's Bidirectional converter and ``bidirectional_stack`` do not carry as Keras computes it."""
    why = []
    merge = layer.get_config().get("merge_mode")
    if merge != "concat":
        why.append(f"merge_mode={merge!r}: hls4ml 1.3's bidirectional_stack writes the concatenation of the two "
                   "states only (with 'sum' its C-simulation wrote past the output and crashed)")  # fmt: skip
    for d in ("forward", "backward"):
        cell = getattr(layer, f"{d}_layer", None)
        kind = type(cell).__name__
        if kind not in RECURRENT:
            why.append(f"{d} layer {kind}: hls4ml 1.3's bidirectional_stack has LSTM and GRU cells only")
            continue
        if d == "forward" and cell.get_config().get("go_backwards"):
            why.append("a wrapped layer with go_backwards=True: hls4ml 1.3 runs it forward and puts it second in "
                       "the concatenation, Keras first")  # fmt: skip
        why.extend(f"{d} {kind} {w}" for w in _unsupported(cell) if not w.startswith("go_backwards"))
    return why


def require_recurrent_settings(model: Any, source: str) -> None:
    """SpecError naming every float Keras LSTM/GRU (also inside a Bidirectional) with a setting hls4ml 1.3 does not
    convert as the model computes."""
    bad = [f"'{lyr.name}' ({type(lyr).__name__}, {'; '.join(why)})" for lyr in model.layers
           if type(lyr).__name__ in RECURRENT and (why := _unsupported(lyr))]  # fmt: skip
    bad += [f"'{lyr.name}' (Bidirectional, {'; '.join(why)})" for lyr in model.layers
            if type(lyr).__name__ == "Bidirectional" and (why := _bidirectional_unsupported(lyr))]  # fmt: skip
    if bad:
        raise SpecError(
            f"{source}: layer(s) {', '.join(bad)}; accepted: LSTM/GRU with go_backwards=False, stateful=False, "
            f"use_bias=True, reset_after=True (GRU), activation and recurrent_activation {', '.join(ACTIVATIONS)}; "
            "Bidirectional of such layers with merge_mode='concat'"
        )


def require_bidirectional_io(model: Any, io_type: str, source: str) -> None:
    """SpecError naming the Bidirectional layers of a model asked in io_stream (hls4ml 1.3 has no streaming one)."""
    named = [lyr.name for lyr in model.layers if type(lyr).__name__ == "Bidirectional"]
    if named and io_type != "io_parallel":
        raise SpecError(f"{source}: layer(s) {', '.join(repr(n) for n in named)} (Bidirectional): hls4ml 1.3 has no "
                        f"io_stream bidirectional_stack (its Vitis backend raises); hls.io_type {io_type!r} (accepted: "
                        "io_parallel)")  # fmt: skip


def _require_table(graph: Any, node: Any, cfg: dict) -> None:
    asked = asked_type(cfg, node, "table")
    if asked is None:
        return
    want = type_text(graph.config.backend.convert_precision_string(asked))
    got = type_text(node.get_attr("table_t").precision)
    if want != got:
        raise SpecError(
            f"layer '{node.name}' ({node.class_name}): Precision table {asked} asked, but hls4ml 1.3 does not read a "
            f"recurrent layer's table type (its firmware keeps {got}); accepted: no table type for an LSTM/GRU, or {got}"
        )


def _lstm_types(node: Any) -> dict[str, str]:
    return {
        "input": type_text(node.get_input_variable().type.precision),
        "accum": type_text(node.get_attr("accum_t").precision),
        "result": type_text(node.get_output_variable().type.precision),
    }


def _precision_entry(cfg: dict, name: str) -> dict:
    entry = cfg.setdefault("LayerName", {}).setdefault(name, {})
    prec = entry.get("Precision")
    if not isinstance(prec, dict):
        prec = entry["Precision"] = {} if prec is None else {"result": prec}
    return prec


def fix_lstm_types(cfg: dict, graph: Any, notes: list[str], user_set: dict[str, set[str]]) -> bool:
    """Make each LSTM's input, accum and result one type where the user set none of them; True if ``cfg`` changed."""
    changed = False
    for node in graph.get_layers():
        if node.class_name != "LSTM":
            continue
        types = _lstm_types(node)
        src = node.get_input_node()
        if len(set(types.values())) == 1 or src is None or user_set.get(node.name, set()) & {"accum", "result"}:
            continue
        if src.class_name == "Input":
            prec = _precision_entry(cfg, node.name)
            if prec.get("accum") == prec.get("result") == types["input"]:
                continue  # asked already; require_recurrent_types says why it did not take
            prec["accum"] = prec["result"] = types["input"]
            notes.append(f"LSTM '{node.name}': accum and result {types['input']}, its input's type (hls4ml 1.3's "
                         "lstm_stack compiles only when the three are one type)")  # fmt: skip
        elif types["accum"] == types["result"] and "result" not in user_set.get(src.name, set()):
            prec = _precision_entry(cfg, src.name)
            if prec.get("result") == types["result"]:
                continue
            prec["result"] = types["result"]
            notes.append(f"layer '{src.name}' before LSTM '{node.name}': result {types['result']}, the LSTM's type "
                         f"(was {types['input']}; hls4ml 1.3's lstm_stack compiles only when its input, accum and "
                         "result are one type)")  # fmt: skip
        else:
            continue
        changed = True
    return changed


def require_recurrent_types(graph: Any, cfg: dict) -> None:
    """SpecError naming an LSTM of a converted hls4ml graph whose input, accum and result types differ, or an LSTM/GRU
    whose table type is not the one its hls4ml config (``cfg``) asks for; a Bidirectional layer likewise (its LSTM
    types only with ``Static: false``: its static cells compile with three types)."""
    for node in graph.get_layers():
        if node.class_name not in (*RECURRENT, "Bidirectional"):
            continue
        _require_table(graph, node, cfg)
        if node.class_name == "Bidirectional":
            _require_bidirectional_types(node)
            continue
        if node.class_name != "LSTM":
            continue
        types = _lstm_types(node)
        if len(set(types.values())) > 1:
            listed = ", ".join(f"{k} {v}" for k, v in types.items())
            raise SpecError(
                f"layer '{node.name}' (LSTM): its types differ ({listed}); hls4ml 1.3's lstm_stack compiles only when "
                "the LSTM's input, accum and result types are one type (it instantiates the non-static lstm(), which "
                "passes all three as one array type, whatever Static says); accepted: the same type for the LSTM's "
                "accum and result (hls.layers.<lstm>.precision) and the result of the layer before it"
            )


def _require_bidirectional_types(node: Any) -> None:
    lstm = [d for d in ("forward", "backward") if node.get_attr(f"{d}_class_name") == "LSTM"]
    types = _lstm_types(node)
    if lstm and not node.get_attr("static", True) and len(set(types.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in types.items())
        raise SpecError(
            f"layer '{node.name}' (Bidirectional, {'/'.join(lstm)} LSTM): Static false and its types differ ({listed}); "
            "hls4ml 1.3's non-static lstm_class passes the input, state and products as one array type, so it does not "
            "compile; accepted: Static true (hls4ml's default), or the same type for the layer's accum and result and "
            "the result of the layer before it"
        )
