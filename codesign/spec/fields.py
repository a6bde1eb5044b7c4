"""What every spec section is made of: the strict frozen base model and the shared field types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from codesign.precision import FixedPrecision, parse_field

SEED_MAX = 2**32 - 1  # numpy's and TensorFlow's seed range
CLOCK_NS_RANGE = (1.0, 100.0)  # 1 GHz .. 10 MHz: outside it no FPGA fabric closes timing / no trigger runs


def _parse_precision(value: Any) -> FixedPrecision:
    p = parse_field(value)
    if p.integer > p.width:
        raise ValueError(f"'{value}' has more integer bits ({p.integer}) than bits ({p.width}); accepted: "
                         "ap_fixed<W,I> with 1 <= W and I <= W, e.g. ap_fixed<16,6>")  # fmt: skip
    return p


Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description="random seed, 0 .. 2**32-1")]
Size = Annotated[int, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1, description="a fraction of the part, in (0, 1]")]
Precision = Annotated[FixedPrecision, BeforeValidator(_parse_precision), PlainSerializer(lambda p: p.to_hls())]
PathStr = Annotated[Path, PlainSerializer(lambda p: str(p))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False)
