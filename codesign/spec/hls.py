"""The spec's hls section: the hls4ml conversion settings, whole model and per layer (no hls4ml import here)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import Field, field_validator

from codesign.safe_names import UNSIGNED_MAX
from codesign.spec.fields import CLOCK_NS_RANGE, Precision, _Strict, text_not_number


class Backend(str, Enum):
    """hls4ml backends whose projects codesign writes."""

    VIVADO = "Vivado"
    VITIS = "Vitis"


class LayerPrecisionSpec(_Strict):
    """Per-layer hls4ml types (parsed into precision value objects here, at the edge)."""

    accum: Precision | None = Field(None, description="accumulator type, e.g. ap_fixed<32,12>")
    result: Precision | None = Field(None, description="output type (narrower than exact costs bit-exactness)")


class HlsLayerSpec(_Strict):
    """hls4ml settings of one layer, by name; unset keys follow the hls section."""

    reuse_factor: int | None = Field(None, ge=1)
    strategy: Literal["Latency", "Resource"] | None = None
    precision: LayerPrecisionSpec | None = None

    def overrides(self) -> dict:
        """The layer's entry for hls4ml's ``LayerName`` config (only what was set)."""
        out: dict = {}
        if self.reuse_factor is not None:
            out["ReuseFactor"] = self.reuse_factor
        if self.strategy is not None:
            out["Strategy"] = self.strategy
        if self.precision is not None:
            prec = {k: v.to_hls() for k, v in (("accum", self.precision.accum), ("result", self.precision.result))
                    if v is not None}  # fmt: skip
            if prec:
                out["Precision"] = prec
        return out


class HlsSpec(_Strict):
    """hls4ml conversion settings."""

    backend: Backend = Backend.VITIS
    io_type: Literal["io_parallel", "io_stream"] = "io_parallel"
    strategy: Literal["Latency", "Resource"] = "Latency"
    reuse_factor: int = Field(1, ge=1, description="an integer >= 1")
    clock_ns: float = Field(5.0, ge=CLOCK_NS_RANGE[0], le=CLOCK_NS_RANGE[1], description="clock period, 1 to 100 ns")
    parallelization_factor: Annotated[int, Field(ge=1, le=UNSIGNED_MAX)] | Literal["full"] = Field(
        "full", description="io_parallel Conv1D (per-constituent) layers: outputs computed per cycle, an integer >= 1 "
        "dividing the layer's outputs; 'full' = all (II 1)"
    )  # fmt: skip
    tool_version: str | None = Field(
        None, pattern=r"^[0-9]{4}\.[0-9]+(\.[0-9]+)?$", description="the release of the HLS tool (the backend's Vivado HLS or "
        "Vitis HLS) that will synthesise the project, e.g. 2024.1: the estimate's version-gated rules follow it "
        "(default: none known)"
    )
    project_name: str = Field("myproject", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                              description="a C identifier, no C++ keyword")  # fmt: skip

    @field_validator("project_name")
    @classmethod
    def _not_a_keyword(cls, value: str) -> str:
        """hls4ml names the top function after it: 'class' or 'int' made g++ fail once the model was trained."""
        from codesign.safe_names import CPP_KEYWORDS

        if value in CPP_KEYWORDS:
            raise ValueError(f"{value!r} is a C++ keyword, and hls4ml names the top function after it")
        return value

    @field_validator("tool_version", mode="before")
    @classmethod
    def _release_as_text(cls, value: object) -> object:
        """YAML reads 2024.1 as a number, and 2022.10 as 2022.1: say to quote it rather than "a valid string"."""
        return text_not_number(value, "a release such as 2022.10 as the number 2022.1", "tool_version: '2024.1'")
    layers: dict[str, HlsLayerSpec] = Field(default_factory=dict, description="per-layer settings by layer name")
