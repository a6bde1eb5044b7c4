"""The spec's quantize section: quantization-aware training with QKeras (QKeras bit conventions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from codesign.precision import FixedPrecision
from codesign.spec.fields import Precision, _Strict


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
    epochs: int = Field(10, ge=0, description="QAT epochs")
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
        _check_weight_bits(self.bits, self.integer)
        # a bias follows its own setting, then the global bias setting, then its kernel's (codesign/quantize.py)
        _check_weight_bits(_first(self.bias_bits, self.bits), _first(self.bias_integer, self.integer), "bias_", "bias")
        for name, layer in self.layers.items():
            bits, integer = _first(layer.bits, self.bits), _first(layer.integer, self.integer)
            try:
                _check_weight_bits(bits, integer)
                _check_weight_bits(_first(layer.bias_bits, self.bias_bits, bits),
                                   _first(layer.bias_integer, self.bias_integer, integer), "bias_", "bias")  # fmt: skip
            except ValueError as exc:
                raise ValueError(f"layers.{name}: {exc}") from None
        return self

    @property
    def act_bits(self) -> int:
        """Activation bits after defaults."""
        return self.activation_bits if self.activation_bits is not None else self.bits

    @property
    def act_integer(self) -> int:
        """Activation integer bits after defaults."""
        return self.activation_integer if self.activation_integer is not None else 3
