"""The spec's quantize section: quantization-aware training with QKeras (QKeras bit conventions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from codesign.precision import FixedPrecision
from codesign.spec.fields import MAX_EPOCHS, Precision, _Strict


def _check_weight_bits(bits: int | None, integer: int | None, prefix: str = "", what: str = "weight") -> None:
    if bits is not None and integer is not None and integer >= bits:
        raise ValueError(
            f"{prefix}integer {integer} >= {prefix}bits {bits}: quantized_bits({bits},{integer}) has no fractional "
            f"bits and a step of 2**{integer - bits + 1}, so every {what} below that rounds to 0; accepted: "
            f"{prefix}integer <= {prefix}bits - 1 (QKeras convention: integer excludes the sign bit)"
        )


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


class LayerQuant(_Strict):
    """Per-layer quantization override (QKeras convention: integer bits exclude the sign)."""

    bits: int | None = Field(None, ge=2, le=32, description="weight bits, 2 to 32")
    integer: int | None = Field(None, ge=0, le=31, description="weight integer bits without the sign, 0 to bits - 1")
    bias_bits: int | None = Field(None, ge=2, le=32, description="bias bits of this layer (default: its bits)")
    bias_integer: int | None = Field(None, ge=0, le=31, description="bias integer bits of this layer (default: its integer)")
    activation_bits: int | None = Field(None, ge=1, le=32, description="activation bits, 1 to 32")
    activation_integer: int | None = Field(None, ge=0, le=32, description="activation integer bits, 0 to 32")

    @model_validator(mode="after")
    def _fraction_bits(self) -> LayerQuant:
        _check_weight_bits(self.bits, self.integer)
        return self


class QuantizeSpec(_Strict):
    """Quantization-aware training with QKeras."""

    bits: int = Field(6, ge=2, le=32, description="weight and bias bits, 2 to 32 (quantized_bits needs a sign and a value bit)")
    integer: int = Field(0, ge=0, le=31, description="integer bits of weights and biases, sign bit excluded, 0 to bits - 1")
    bias_bits: int | None = Field(None, ge=2, le=32, description="bias bits (default: bits)")
    bias_integer: int | None = Field(None, ge=0, le=31, description="bias integer bits, sign bit excluded (default: integer)")
    activation_bits: int | None = Field(None, ge=1, le=32, description="quantized_relu bits (default: bits)")
    activation_integer: int | None = Field(None, ge=0, le=32, description="quantized_relu integer bits, 0 to 32 (default: 3)")
    input: Precision = Field(FixedPrecision.parse("ap_fixed<16,6>"), description="the input type ap_fixed<W,I>, 1 <= W <= 24, I <= W; data are snapped to it")
    epochs: int = Field(10, ge=0, le=MAX_EPOCHS, description=f"QAT epochs, 0 to {MAX_EPOCHS}")
    layers: dict[str, LayerQuant] = Field(default_factory=dict, description="per-layer overrides by layer name")
    activation_range: Literal["fixed", "data"] = Field(
        "fixed", description="fixed: activation_integer everywhere; data: each ReLU's integer bits from its largest "
        "activation on the training inputs x headroom"
    )
    headroom: float | None = Field(None, ge=1.0, description="activation_range data: factor on the data's maximum (default 2)")
    activation_fractional: int | None = Field(
        None, ge=0, le=24, description="activation_range data: fractional bits kept; width = integer bits + this "
        "(default: the width stays activation_bits)"
    )
    distill: bool = Field(
        False,
        description="anomaly models: QAT fits the float model's outputs instead of the model's own targets (the AE's "
        "reconstruction; the VAE's z_mean and z_log_var, its decoder keeping its own target)",
    )
    distill_widen: Literal["none", "scale", "noise", "mix"] = Field(
        "none",
        description="with distill: a widened copy of the training background in the QAT set, as prune.distill_widen",
    )

    @model_validator(mode="after")
    def _fraction_bits(self) -> QuantizeSpec:
        if self.distill_widen != "none" and not self.distill:
            raise ValueError(f"quantize.distill_widen: {self.distill_widen!r} widens the distillation set, and "
                             "quantize.distill is false (accepted: set distill: true, or distill_widen: none)")  # fmt: skip
        if self.activation_range == "data" and self.activation_integer is not None:
            raise ValueError("activation_integer and activation_range 'data' both set the ReLU integer bits "
                             "(accepted: one of them)")  # fmt: skip
        if self.activation_range == "fixed" and (self.headroom is not None or self.activation_fractional is not None):
            raise ValueError("headroom / activation_fractional apply to activation_range 'data' only "
                             "(accepted: set activation_range: data, or remove them)")  # fmt: skip
        bits, integer, bias_bits, bias_integer = self.weight_bits()
        _check_weight_bits(bits, integer)
        _check_weight_bits(bias_bits, bias_integer, "bias_", "bias")
        for name in self.layers:
            bits, integer, bias_bits, bias_integer = self.weight_bits(name)
            try:
                _check_weight_bits(bits, integer)
                _check_weight_bits(bias_bits, bias_integer, "bias_", "bias")
            except ValueError as exc:
                raise ValueError(f"layers.{name}: {exc}") from None
        return self

    def weight_bits(self, layer: str | None = None) -> tuple[int, int, int, int]:
        """(bits, integer, bias_bits, bias_integer) of a layer's kernel and bias quantizers (the global ones without
        a layer): the layer's own setting, then the global one; a bias then follows its kernel's. The one cascade
        the spec is checked with and codesign/quantize.py builds the quantizers with."""
        own = self.layers.get(layer) if layer is not None else None
        lq = own if own is not None else LayerQuant()
        bits, integer = _first(lq.bits, self.bits), _first(lq.integer, self.integer)
        return (bits, integer, _first(lq.bias_bits, self.bias_bits, bits),
                _first(lq.bias_integer, self.bias_integer, integer))  # fmt: skip

    @property
    def act_bits(self) -> int:
        """Activation bits after defaults."""
        return self.activation_bits if self.activation_bits is not None else self.bits

    @property
    def act_integer(self) -> int:
        """Activation integer bits after defaults."""
        return self.activation_integer if self.activation_integer is not None else 3
